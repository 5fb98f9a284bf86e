"""The original tool's classic layout: checked, imported, and extracted through its own Model/model.py."""

import json
import shutil

import numpy as np
import pytest
import torch

from classic_builder import CLASSIC_EPOCHS, CLASSIC_MODEL, N_TEST, N_TRAIN
from ttvis import cli
from ttvis.errors import RunError
from ttvis.run import Run
from ttvis.run.check import check_run
from ttvis.run.classic import ClassicRun, import_classic


def _direct_outputs(classic, epoch):
    """feature()/prediction() of the classic network, computed here without ttvis."""
    ns = {}
    exec(CLASSIC_MODEL, ns)
    model = ns["TinyNet"]()
    model.load_state_dict(torch.load(classic / f"Model/Epoch_{epoch}/subject_model.pth", weights_only=True))
    model.eval()
    x = torch.cat([torch.load(classic / "Training_data/training_dataset_data.pth", weights_only=True),
                   torch.load(classic / "Testing_data/testing_dataset_data.pth", weights_only=True)])
    with torch.no_grad():
        f = model.feature(x)
        return f.numpy(), model.prediction(f).numpy()


def test_classic_run_passes_check(classic_run, capsys):
    assert check_run(classic_run) == []
    assert cli.main(["check", str(classic_run)]) == 0
    assert capsys.readouterr().out.strip() == f"{classic_run}: ok"
    run = ClassicRun(classic_run)
    assert run.epochs == CLASSIC_EPOCHS and run.net == "TinyNet" and run.classes == ["ring", "bar", "dot"]


def test_import_classic_cli_converts_and_extracts(classic_run, tmp_path, capsys):
    dst = tmp_path / "converted"
    assert cli.main(["import-classic", str(classic_run), "--out", str(dst)]) == 0
    assert f"run ready: {dst}" in capsys.readouterr().out
    assert check_run(dst) == []
    run = Run(dst)
    assert run.epochs == CLASSIC_EPOCHS
    assert run.classes == ["ring", "bar", "dot"] and run.n == N_TRAIN + N_TEST
    assert run.meta["model"] == {"file": "model.py", "class": "TinyNet"}
    assert (dst / "model.py").read_text() == CLASSIC_MODEL
    # training set first, then the test set, labels kept
    np.testing.assert_array_equal(run.split, np.r_[np.zeros(N_TRAIN), np.ones(N_TEST)])
    labels = torch.cat([torch.load(classic_run / "Training_data/training_dataset_label.pth", weights_only=True),
                        torch.load(classic_run / "Testing_data/testing_dataset_label.pth", weights_only=True)])
    np.testing.assert_array_equal(run.labels, labels.numpy())
    # normalised 1x8x8 tensors look like images: uint8 (N,8,8) spanning the full range
    images = run.images()
    assert images.dtype == np.uint8 and images.shape == (run.n, 8, 8)
    assert images.min() == 0 and images.max() == 255
    for epoch in CLASSIC_EPOCHS:
        reps, logits = _direct_outputs(classic_run, epoch)
        np.testing.assert_allclose(run.representations(epoch), reps, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(run.logits(epoch), logits, rtol=1e-5, atol=1e-6)
        # territories' head goes through model.py's prediction()
        with torch.no_grad():
            z = run.head(epoch)(torch.from_numpy(np.array(run.representations(epoch)))).numpy()
        np.testing.assert_allclose(z, logits, rtol=1e-5, atol=1e-5)
        index = json.loads((dst / f"epochs/epoch_{epoch}/index.json").read_text())
        assert index == json.loads((classic_run / f"Model/Epoch_{epoch}/index.json").read_text())


def test_import_resumes_after_interruption(imported_run, classic_run, tmp_path):
    dst = tmp_path / "resumed"
    shutil.copytree(imported_run, dst)
    # as if the import had stopped after epoch 1: later epochs unlisted, one left half-made
    meta = json.loads((dst / "run.json").read_text())
    meta["epochs"] = [1]
    (dst / "run.json").write_text(json.dumps(meta))
    shutil.rmtree(dst / "epochs/epoch_5")
    (dst / "epochs/epoch_3/logits.npy").unlink()
    before = (dst / "epochs/epoch_1/representations.npy").stat().st_mtime_ns
    import_classic(classic_run, dst, progress=False)
    assert check_run(dst) == []
    assert Run(dst).epochs == CLASSIC_EPOCHS
    assert (dst / "epochs/epoch_1/representations.npy").stat().st_mtime_ns == before  # kept, not redone
    np.testing.assert_array_equal(Run(dst).logits(5), Run(imported_run).logits(5))


def test_import_refuses_other_destination(classic_run, digits_run, tmp_path):
    with pytest.raises(RunError, match="already holds another run"):
        import_classic(classic_run, digits_run, progress=False)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(RunError, match="not a run imported from this source"):
        import_classic(classic_run, busy, progress=False)
    assert (busy / "notes.txt").read_text() == "mine"


def test_import_of_broken_classic_run_is_one_line(classic_copy, tmp_path, capsys):
    shutil.rmtree(classic_copy / "Model/Epoch_5")
    dst = tmp_path / "out"
    assert cli.main(["import-classic", str(classic_copy), str(dst)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "Model/Epoch_5: epoch 5 is in config.json's epoch range" in err[0]
    assert not dst.exists()  # found before any work


def test_import_stops_at_unreadable_epoch_keeping_earlier_ones(classic_copy, tmp_path, capsys):
    ckpt = classic_copy / "Model/Epoch_5/subject_model.pth"
    ckpt.write_bytes(ckpt.read_bytes()[:100])
    dst = tmp_path / "out"
    assert cli.main(["import-classic", str(classic_copy), str(dst)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(err) == 1 and f"{ckpt}: unreadable checkpoint" in err[0] and "Traceback" not in err[0]
    # the epochs before the broken one were converted and form a valid run
    assert check_run(dst) == [] and Run(dst).epochs == [1, 3]


def test_import_with_failing_model_code_is_one_line(classic_copy, tmp_path, capsys):
    """check probes only a few samples; a model failing later still gives one line at import."""
    code = (classic_copy / "Model/model.py").read_text()
    (classic_copy / "Model/model.py").write_text(code.replace(
        "return self.fc(f)", "assert len(f) <= 4, 'batch too large'\n        return self.fc(f)"))
    assert check_run(classic_copy) == []
    assert cli.main(["import-classic", str(classic_copy), "--out", str(tmp_path / "out")]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(err) == 1 and "Traceback" not in err[0]
    assert f"{classic_copy / 'Model/model.py'}: TinyNet.prediction() fails: AssertionError" in err[0]


def test_import_classic_checks_arguments(classic_run, tmp_path, capsys):
    assert cli.main(["import-classic", str(classic_run), str(tmp_path / "a"), "--out", str(tmp_path / "b")]) == 2
    assert cli.main(["import-classic", str(tmp_path / "nothing"), "--out", str(tmp_path / "c")]) == 1
    assert "config.json: file is missing" in capsys.readouterr().err


@pytest.mark.parametrize("shape, expected", [
    ((5, 1, 8, 8), (5, 8, 8)), ((5, 3, 6, 6), (5, 6, 6, 3)), ((5, 6, 6, 3), (5, 6, 6, 3)),
    ((5, 8, 8), (5, 8, 8)), ((5, 64), None), ((5, 3, 2, 2), None),
])
def test_images_from_classic_tensors(shape, expected):
    from ttvis.run.classic import _images_from

    data = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    images = _images_from(data)
    if expected is None:
        assert images is None
        return
    assert images.shape == expected and images.dtype == np.uint8
    channels = images.reshape(-1, 1 if images.ndim == 3 else 3)
    assert (channels.min(0) == 0).all() and (channels.max(0) == 255).all()  # per-channel min-max


def test_recorder_with_model_py(tmp_path):
    """The Recorder's model.py mode: feature()/prediction() of the user's class, head through its code."""
    from ttvis.run.recorder import Recorder

    (tmp_path / "net.py").write_text(CLASSIC_MODEL)
    ns = {}
    exec(CLASSIC_MODEL, ns)
    model = ns["TinyNet"]()
    x = torch.randn(30, 1, 8, 8)
    rec = Recorder(tmp_path / "run", inputs=x, labels=np.arange(30) % 3, split=np.arange(30) % 4 == 0,
                   classes=["a", "b", "c"], model_file=tmp_path / "net.py", model_class="TinyNet")
    rec.record(model, 1)
    assert check_run(tmp_path / "run") == []
    run = Run(tmp_path / "run")
    assert run.meta["model"] == {"file": "model.py", "class": "TinyNet"} and run.meta["head"] is None
    with torch.no_grad():
        expected = model(x).numpy()
        z = run.head(1)(torch.from_numpy(np.array(run.representations(1)))).numpy()
    np.testing.assert_allclose(run.logits(1), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-6)
