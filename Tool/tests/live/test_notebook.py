"""ttvis.show() in a real Jupyter kernel, executed headlessly: the IFrame's page answers, a second call reuses
the server, and epochs the notebook records later appear through the API."""

import html
import re

import pytest
import requests

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

SETUP = """
import numpy as np, torch, ttvis
from torch import nn
torch.manual_seed(0)
x = torch.randn(300, 8)
y = (x[:, 0] + x[:, 1] > 0).long()
split = (np.arange(300) % 4 == 0).astype(np.uint8)
model = nn.Sequential(nn.Sequential(nn.Linear(8, 6), nn.ReLU()), nn.Linear(6, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.5)
rec = ttvis.Recorder(RUN, inputs=x, labels=y, split=split, classes=["no", "yes"],
                     feature=lambda m, x: m[0](x), head=lambda m: m[1])

def train_epoch():
    opt.zero_grad()
    nn.functional.cross_entropy(model(x[split == 0]), y[split == 0]).backward()
    opt.step()

train_epoch()
rec.record(model, 1)
"""
SHOW = "view = ttvis.show(RUN, height=500)"
SHOW_AGAIN = "again = ttvis.show(RUN)"
TRAIN_MORE = """
for epoch in (2, 3):
    train_epoch()
    rec.record(model, epoch)
"""
STOP = "view.stop()"


def _iframe_src(cell):
    shown = "".join(o["data"]["text/html"] for o in cell.outputs if o.get("output_type") == "display_data")
    match = re.search(r'<iframe[^>]*src="([^"]+)"', shown)
    assert match, cell.outputs
    return html.unescape(match.group(1))


def test_show_in_a_notebook_follows_the_recorder(tmp_path):
    run = tmp_path / "runs" / "nb_run"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in (f"RUN = {str(run)!r}\n" + SETUP, SHOW, SHOW_AGAIN,
                                                        TRAIN_MORE, STOP)]
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells[:3]):
            client.execute_cell(cell, index)
        url = _iframe_src(nb.cells[1])
        assert url.startswith("http://127.0.0.1:") and "/?run=nb_run&follow=1" in url
        assert _iframe_src(nb.cells[2]) == url  # the same server again
        page = requests.get(url, timeout=30)
        assert page.status_code == 200 and '<script type="module"' in page.text
        base = url.split("?")[0]
        first = requests.get(f"{base}api/runs/nb_run/live", timeout=30)
        assert first.json()["epochs"] == [1]

        client.execute_cell(nb.cells[3], 3)
        etag, epochs = first.headers["ETag"], [1]
        for _ in range(10):  # long-poll until the recorded epochs are served (each answer is a change)
            r = requests.get(f"{base}api/runs/nb_run/live?wait=30", headers={"If-None-Match": etag}, timeout=60)
            if r.status_code == 200:
                etag, epochs = r.headers["ETag"], r.json()["epochs"]
                if epochs == [1, 2, 3]:
                    break
        assert epochs == [1, 2, 3]
        assert requests.get(f"{base}api/runs/nb_run", timeout=30).json()["epochs"] == [1, 2, 3]

        client.execute_cell(nb.cells[4], 4)
        with pytest.raises(requests.ConnectionError):
            requests.get(base, timeout=10)
