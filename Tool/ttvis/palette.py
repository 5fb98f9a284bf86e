"""Fixed class colours: class k always gets the same colour, whatever classes an epoch predicts."""

import colorsys

import numpy as np

# Tableau 10 and 20: distinct, colour-blind-aware and familiar from matplotlib. Tableau 10's grey (class 7)
# reads as "uncertain" on a map, so a dark olive takes its place; the page keeps near-black and magenta
# for correct / wrong, which differ from every class colour.
_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
          "#8c564b", "#e377c2", "#637939", "#bcbd22", "#17becf"]
_TAB20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
          "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
          "#bcbd22", "#dbdb8d", "#17becf", "#9edae5"]


def class_colors(n_classes: int) -> np.ndarray:
    """Return a (n_classes, 3) uint8 palette sized to the number of classes."""
    if n_classes < 1:
        raise ValueError(f"n_classes must be >= 1, got {n_classes}")
    if n_classes <= 10:
        hexes = _TAB10[:n_classes]
    elif n_classes <= 20:
        hexes = _TAB20[:n_classes]
    else:
        # Golden-ratio hue steps keep neighbours apart for any count; alternate lightness too.
        hexes = []
        for k in range(n_classes):
            h = (k * 0.618033988749895) % 1.0
            r, g, b = colorsys.hls_to_rgb(h, 0.45 if k % 2 else 0.6, 0.75)
            hexes.append("#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255)))
    return np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)] for h in hexes], dtype=np.uint8)


def class_hex(n_classes: int) -> list:
    return ["#%02x%02x%02x" % tuple(int(v) for v in c) for c in class_colors(n_classes)]
