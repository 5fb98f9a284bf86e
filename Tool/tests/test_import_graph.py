"""The package's modules import each other without circles, lazy imports inside functions included.

A circle means two modules each need the other: one of them holds a function that belongs elsewhere.
The root package's PEP 562 `__getattr__` (ttvis.Recorder, ttvis.show) is the one exception: it is the
public facade over everything and runs no import until a user asks for that name.
"""

import ast
from pathlib import Path

import ttvis

ROOT = Path(ttvis.__file__).parent


def _modules():
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(tree, name, is_package, modules):
    """Modules of the package that `tree` imports: `from a import b` counts as a.b when b is a module."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    nodes = list(ast.walk(tree))
    if name == "ttvis":  # the lazy facade
        lazy = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"]
        skip = {id(n) for f in lazy for n in ast.walk(f)}
        nodes = [n for n in nodes if id(n) not in skip]
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                found.add(sub if sub in modules else mod)
    return (found & set(modules)) - {name}


def import_graph():
    modules = _modules()
    return {name: _imports(ast.parse(path.read_text()), name, path.name == "__init__.py", modules)
            for name, path in modules.items()}


def find_cycle(graph):
    """One import circle as a list of modules (first == last), or None."""
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                return trail[trail.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, trail + [dep])
                if found:
                    return found
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_the_checker_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_ttvis_has_no_import_circle():
    graph = import_graph()
    assert "ttvis.run.reader" in graph and "ttvis.run.rules" in graph["ttvis.run.reader"]
    assert find_cycle(graph) is None
