"""Installable like any Python tool: the pyproject declares what requirements*.txt list, and a wheel built
from Tool/ installs into a fresh venv where `ttvis demo`, `ttvis serve` and ttvis.show() work (web assets
included)."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

TOOL = Path(__file__).resolve().parents[2]
ROOT = TOOL.parent


def _req_lines(path):
    """Requirement strings of a requirements file (comments and -r includes left out)."""
    lines = (line.split(" #")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]


def _norm(reqs):
    return sorted(str(Requirement(r)) for r in reqs)


def test_pyproject_and_requirement_files_agree():
    project = tomllib.loads((TOOL / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    runtime = _req_lines(ROOT / "requirements.txt")
    assert _norm(project["dependencies"]) == _norm(runtime)
    assert _norm(extras["dev"]) == _norm(_req_lines(ROOT / "requirements-dev.txt"))
    assert set(_norm(extras["lightning"])) <= set(_norm(extras["dev"]))
    assert "torch==2.13.0" in _norm(project["dependencies"])
    # Windows: the same list without milvus-lite (no Windows wheel)
    assert _norm(_req_lines(ROOT / "win-requirements.txt")) == _norm(
        r for r in runtime if Requirement(r).name != "milvus-lite")


def _cache_dir():
    return Path(os.environ.get("TTVIS_TEST_CACHE") or Path.home() / ".cache" / "ttvis-tests")


def _dependency_dir(requires):
    """A folder holding exactly `requires` installed (pip --target), made once per requirement list.

    Installing torch and friends takes minutes; the fresh venv links this folder in through a .pth file,
    and since its key is the wheel's own requirement list, a dependency added to or removed from the
    pyproject makes a new one."""
    key = hashlib.sha256("\n".join([sys.version] + sorted(requires)).encode()).hexdigest()[:16]
    final = _cache_dir() / f"deps-{key}"
    if final.is_dir():
        return final
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--target", str(tmp), *requires], check=True)
    try:
        os.replace(tmp, final)
    except OSError:  # another test session made it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "TTVIS_"))}
    env.update(extra)
    return env


@pytest.mark.slow
def test_wheel_installs_and_serves(tmp_path):
    src = tmp_path / "src"  # a copy: building in place would leave build/ and egg-info in Tool/
    shutil.copytree(TOOL / "ttvis", src / "ttvis", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(TOOL / "pyproject.toml", src)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", str(src), "-w", str(tmp_path / "dist")], check=True)
    wheel = next((tmp_path / "dist").glob("ttvis-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert {"ttvis/web/index.html", "ttvis/web/app.js", "ttvis/web/style.css"} <= names
    requires = [line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    assert _norm(runtime) == _norm(_req_lines(ROOT / "requirements.txt"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.check_output([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                        text=True).strip())
    (site / "ttvis_test_deps.pth").write_text(str(_dependency_dir(runtime)) + "\n")
    # pip resolves the wheel's requirements against the fresh venv: all must be met by what it declares
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--disable-pip-version-check",
                    "--no-index", str(wheel)], check=True, env=_clean_env())
    ttvis = venv / "bin" / "ttvis"
    where = subprocess.check_output([py, "-c", "import ttvis; print(ttvis.__file__)"], text=True, env=_clean_env(),
                                    cwd=tmp_path)
    assert where.startswith(str(site))

    runs = tmp_path / "runs"
    subprocess.run([ttvis, "demo", "--epochs", "2", "--out", str(runs / "digits")], check=True, cwd=tmp_path,
                   env=_clean_env(OMP_NUM_THREADS="2"), capture_output=True)
    server = subprocess.Popen([ttvis, "serve", "--root", str(runs), "--port", "0"], cwd=tmp_path,
                              env=_clean_env(), stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        url = re.search(r"http://\S+/", line).group(0)
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        assert '<script type="module"' in page and "not installed" not in page
        assert urllib.request.urlopen(url + "static/app.js", timeout=30).status == 200
        runs_json = json.loads(urllib.request.urlopen(url + "api/runs", timeout=30).read())
        assert [(r["name"], r["epochs"]) for r in runs_json["runs"]] == [("digits", [1, 2])]
    finally:
        server.terminate()
        server.wait(timeout=30)
    show = ("import sys, urllib.request, ttvis; view = ttvis.show(sys.argv[1]); "
            "print(urllib.request.urlopen(view.url, timeout=30).status); view.stop()")
    out = subprocess.check_output([py, "-c", show, str(runs / "digits")], text=True, cwd=tmp_path, env=_clean_env())
    assert out.splitlines()[-1] == "200"  # no notebook here: show() prints the address and serves it
