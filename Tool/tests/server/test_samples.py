"""One sample's JSON and image."""

import io

import numpy as np
from PIL import Image

from ttvis.run.dynamics import softmax


def test_sample_json(client, data_root, digits):
    i = 7
    r = client.get(f"/api/runs/digits/samples/{i}")
    assert r.status_code == 200
    s = r.get_json()
    labels = np.load(data_root / "digits/dataset/labels.npy")
    split = np.load(data_root / "digits/dataset/split.npy")
    probs = [softmax(np.load(data_root / f"digits/epochs/epoch_{e}/logits.npy"))[i] for e in digits.epochs]
    assert s["index"] == i and s["label"] == labels[i] and s["label_name"] == digits.classes[labels[i]]
    assert s["split"] == ("test" if split[i] else "train")
    assert s["epochs"] == digits.epochs
    preds = [int(p.argmax()) for p in probs]
    assert s["predictions"] == preds
    np.testing.assert_allclose(s["confidences"], [p.max() for p in probs], atol=1e-5)
    np.testing.assert_allclose(s["label_probabilities"], [p[labels[i]] for p in probs], atol=1e-5)
    assert s["flips"] == [digits.epochs[k] for k in range(1, len(preds)) if preds[k] != preds[k - 1]]


def test_sample_with_flips(client, digits):
    """Some sample changes its prediction during training, and flips lists exactly those epochs."""
    found = False
    for i in range(0, digits.n, 37):
        s = client.get(f"/api/runs/digits/samples/{i}").get_json()
        p = s["predictions"]
        assert s["flips"] == [s["epochs"][k] for k in range(1, len(p)) if p[k] != p[k - 1]]
        found = found or bool(s["flips"])
    assert found


def test_sample_image(client, data_root):
    images = np.load(data_root / "digits/dataset/images.npy")
    r = client.get("/api/runs/digits/samples/11/image.png")
    assert r.status_code == 200 and r.content_type == "image/png"
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(r.data))), images[11])
    r = client.get("/api/runs/digits/samples/11/image.png?scale=5")
    big = np.asarray(Image.open(io.BytesIO(r.data)))
    assert big.shape == (40, 40)
    np.testing.assert_array_equal(big[::5, ::5], images[11])
    assert client.get("/api/runs/digits/samples/11/image.png?scale=5",
                      headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
