"""User-facing errors: one line that names the file and what is wrong."""

from pathlib import Path


class RunError(Exception):
    """A problem with user input. The CLI prints it as one line and exits non-zero."""

    def __init__(self, path, problem):
        self.path = str(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


def rel(path, root=None):
    """Shorten a path for messages (relative to root when inside it)."""
    path = Path(path)
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


class Problems(list):
    """One-line problems found by a check, each distinct message once (one root cause, one line)."""

    def attempt(self, fn, *args):
        """Call fn(*args); on RunError record its line and return None."""
        try:
            return fn(*args)
        except RunError as exc:
            if str(exc) not in self:  # e.g. model code failing the same way for every epoch
                self.append(str(exc))
        return None


def first_line(exc, limit=200):
    """The first line of an exception's message, at most `limit` characters (its type's name when empty).
    A MilvusException's own `message` is preferred to its wrapped text."""
    text = str(getattr(exc, "message", None) or exc)
    return (text.splitlines() or [type(exc).__name__])[0][:limit]
