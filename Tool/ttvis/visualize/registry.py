"""The one list of methods: importing each method's module registers its projector class."""

from ttvis.visualize import baselines, dvi, timevis  # noqa: F401 (register the projectors)
from ttvis.visualize.projector import PROJECTORS, Projector


def methods():
    """The registered methods, cheapest to build first."""
    return sorted(PROJECTORS, key=lambda name: (PROJECTORS[name].cost, name))


def load(path):
    """The fitted projector saved at `path`, of whichever method saved it."""
    return Projector.load(path)
