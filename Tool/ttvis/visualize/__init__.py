"""Visualization: projectors (2D <-> high-D), territories, metrics, and where their outputs live."""
