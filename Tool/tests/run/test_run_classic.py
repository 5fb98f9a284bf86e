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


def test_import_classic_checks_arguments(classic_run, tmp_path, capsys):
    assert cli.main(["import-classic", str(classic_run), str(tmp_path / "a"), "--out", str(tmp_path / "b")]) == 2
    assert cli.main(["import-classic", str(tmp_path / "nothing"), "--out", str(tmp_path / "c")]) == 1
    assert "config.json: file is missing" in capsys.readouterr().err
