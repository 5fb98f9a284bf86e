"""One sample: its label, split, prediction and confidence at every epoch, flips, and its image."""

import io

import numpy as np
from flask import Blueprint, jsonify

from ttvis.run import layout
from ttvis.server.cache import get_cache
from ttvis.server.responses import abort_json, bytes_response, get_run, int_arg, sample_arg

bp = Blueprint("samples", __name__, url_prefix="/api/runs/<run>/samples")

MAX_SCALE = 32


@bp.get("/<sample>")
def sample(run, sample):
    r = get_run(run)
    i = sample_arg(r, sample)
    store = get_cache()
    dyn = r.dynamics
    label = int(store.labels(run)[i])
    preds = dyn.predictions[:, i]
    flips = [dyn.epochs[k] for k in np.flatnonzero(preds[1:] != preds[:-1]) + 1]
    return jsonify({
        "index": i, "label": label, "label_name": r.classes[label],
        "split": "test" if int(store.split(run)[i]) == layout.TEST else "train",
        "epochs": dyn.epochs, "predictions": preds.tolist(),
        "confidences": [round(float(v), 6) for v in dyn.confidences[:, i]],
        "label_probabilities": [round(float(v), 6) for v in dyn.label_probabilities[:, i]],
        "flips": flips,
    })


@bp.get("/<sample>/image.png")
def image(run, sample):
    """The sample's image as PNG, upscaled `scale` times with nearest neighbours (crisp pixels)."""
    r = get_run(run)
    i = sample_arg(r, sample)
    scale = int_arg("scale", default=1, lo=1, hi=MAX_SCALE)
    store = get_cache()
    images = store.images(run)
    if images is None:
        abort_json(404, f"run {run!r} keeps no images")
    if max(images.shape[1:3]) * scale > 4096:
        abort_json(400, f"parameter 'scale' too large for {images.shape[1]}x{images.shape[2]} images")

    def encode():
        from PIL import Image

        img = np.asarray(images[i])
        if scale > 1:
            img = np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG")
        return buf.getvalue()

    sig = store.signature(run, layout.IMAGES)
    body = store.cache.get_or_make(("image", run, sig, i, scale), encode)
    return bytes_response(body, "image/png", f"{sig[0]:x}-{sig[1]:x}-{i}-{scale}")
