"""No file in a run folder can make the tool run code: a pickle whose __reduce__ would write a marker
file is planted in every file the tool reads with torch.load, and the verb that reads it must refuse
it in one line naming the file, with the marker never written.
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from ttvis import cli

sys.path.insert(0, str(Path(__file__).resolve().parent / "run"))
from classic_builder import build_classic_run  # noqa: E402


class Payload:
    """Unpickling this calls exec(), which writes the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


def plant(path, marker):
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": Payload(marker), "weight": torch.zeros(2)}, path)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """A 300-sample, 3-epoch demo run (its settings are repeated to resume it), with PCA built."""
    from sklearn.datasets import load_digits

    from ttvis.demo.train import make_demo_run
    from ttvis.visualize.build import build_visualization

    base = tmp_path_factory.mktemp("evil")
    d = load_digits()
    np.savez(base / "d.npz", images=(d.images[:300] * 15).astype(np.uint8), labels=d.target[:300])
    run = make_demo_run(base / "r", data=base / "d.npz", epochs=3, progress=False)
    build_visualization(run, "pca", evaluate=False)
    return run


def _demo_resume_args(run):
    """Forget the last epoch, so that `ttvis demo` resumes from epoch 2's checkpoint and state."""
    meta = json.loads((run / "run.json").read_text())
    meta["epochs"] = meta["epochs"][:2]
    (run / "run.json").write_text(json.dumps(meta))
    data = json.loads((run / "demo.json").read_text())["data"]
    return ["demo", "--out", run, "--data", data, "--epochs", 3]


CASES = {
    "head": ("epochs/epoch_2/head.pt", lambda r: ["check", r]),
    "demo checkpoint": ("epochs/epoch_2/checkpoint.pt", _demo_resume_args),
    "demo training state": ("epochs/epoch_2/demo_state.pt", _demo_resume_args),
    "timevis trainer": ("visualize/timevis/model/train/trainer.pt", lambda r: ["train", r, "--method", "timevis"]),
    "dvi trainer": ("visualize/dvi/model/train/trainer_epoch_1.pt", lambda r: ["train", r, "--method", "dvi"]),
    "dvi epoch model": ("visualize/dvi/model/train/model_epoch_1.pt", lambda r: ["train", r, "--method", "dvi"]),
    "projector state": ("visualize/pca/model/projector/state.pt", lambda r: ["train", r, "--method", "pca"]),
}


def _refused_in_one_line(capfd, code, planted, marker):
    """The verb failed, said so in one line naming the planted file, and the payload never ran."""
    out, err = capfd.readouterr()
    assert not marker.exists(), "the planted pickle ran"
    assert code != 0 and "Traceback" not in out + err, out + err
    lines = [line for line in (out + err).replace("\r", "\n").splitlines() if str(planted) in line]
    assert len(lines) == 1 and "refused" in lines[0], out + err
    return lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_planted_pickle_never_runs(case, small_demo, tmp_path, capfd):
    rel, args_of = CASES[case]
    run = tmp_path / "r"
    shutil.copytree(small_demo, run)
    marker = tmp_path / "MARKER"
    plant(run / rel, marker)
    args = [str(a) for a in args_of(run)]
    capfd.readouterr()
    code = cli.main(args)
    line = _refused_in_one_line(capfd, code, run / rel, marker)
    assert args[0] == "check" or line.startswith(f"ttvis {args[0]}: error: "), line


@pytest.mark.parametrize("rel", ["Training_data/training_dataset_data.pth", "Model/Epoch_3/subject_model.pth"])
def test_planted_pickle_in_a_classic_run_never_runs(rel, tmp_path, capfd):
    src = tmp_path / "classic"
    build_classic_run(src)
    marker = tmp_path / "MARKER"
    plant(src / rel, marker)
    capfd.readouterr()
    _refused_in_one_line(capfd, cli.main(["check", str(src)]), src / rel, marker)


def test_build_button_refuses_a_planted_pickle(small_demo, tmp_path):
    from ttvis.server import create_app

    root = tmp_path / "root"
    shutil.copytree(small_demo, root / "r")
    marker = tmp_path / "MARKER"
    planted = root / "r" / CASES["projector state"][0]
    plant(planted, marker)
    c = create_app({"DATA_ROOT": str(root)}).test_client()
    assert c.post("/api/runs/r/methods/pca/build", json={}).status_code == 202
    c.application.extensions["ttvis_builds"].wait(timeout=120)
    status = c.get("/api/runs/r/methods/pca/build").get_json()
    assert not marker.exists()
    assert status["state"] == "failed" and str(planted) in status["message"] and "refused" in status["message"]
