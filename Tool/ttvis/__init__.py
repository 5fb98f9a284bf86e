"""Time-Travelling Visualizer: turn a classifier's training into an explorable animation."""

__version__ = "0.1.0"

from ttvis.errors import RunError  # noqa: F401


def __getattr__(name):
    # Lazy so that `import ttvis` stays cheap (torch loads only when recording).
    if name == "Recorder":
        from ttvis.run.recorder import Recorder

        return Recorder
    if name == "show":
        from ttvis.notebook import show

        return show
    raise AttributeError(name)
