"""`ttvis extract`: representations and logits recomputed from model.py and the checkpoints."""

import json
import shutil

import numpy as np
import pytest

from ttvis import cli
from ttvis.errors import RunError
from ttvis.run import Run
from ttvis.run.check import check_run
from ttvis.run.extract import extract_run


@pytest.fixture
def stripped(imported_run, tmp_path):
    """A copy of the imported run with every representations.npy and logits.npy removed."""
    dst = tmp_path / "stripped"
    shutil.copytree(imported_run, dst)
    for epoch in Run(dst).epochs:
        (dst / f"epochs/epoch_{epoch}/representations.npy").unlink()
        (dst / f"epochs/epoch_{epoch}/logits.npy").unlink()
    return dst


def test_extract_recreates_outputs(stripped, imported_run, capsys):
    assert check_run(stripped) != []  # outputs are required by the format
    assert cli.main(["extract", str(stripped)]) == 0
    assert "extracted 3 epoch(s)" in capsys.readouterr().out
    assert check_run(stripped) == []
    new, old = Run(stripped), Run(imported_run)
    assert new.epochs == old.epochs
    for epoch in old.epochs:
        np.testing.assert_allclose(new.representations(epoch), old.representations(epoch), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(new.logits(epoch), old.logits(epoch), rtol=1e-6, atol=1e-6)


def test_extract_resumes_and_force_redoes(stripped):
    assert extract_run(stripped, progress=False) == [1, 3, 5]
    (stripped / "epochs/epoch_3/logits.npy").unlink()
    assert extract_run(stripped, progress=False) == [3]  # only what is missing
    assert extract_run(stripped, progress=False) == []
    assert extract_run(stripped, force=True, progress=False) == [1, 3, 5]
    assert check_run(stripped) == []


def test_extract_adds_epochs_that_only_have_a_checkpoint(stripped):
    """A run written as checkpoints only: run.json lists no epoch until its outputs exist."""
    meta = json.loads((stripped / "run.json").read_text())
    meta["epochs"], meta["representation_dim"] = [], None
    (stripped / "run.json").write_text(json.dumps(meta))
    extract_run(stripped, progress=False)
    run = Run(stripped)
    assert run.epochs == [1, 3, 5] and run.meta["representation_dim"] == 16
    assert check_run(stripped) == []


def test_extract_lists_complete_but_unlisted_epoch(stripped):
    """Killed after writing an epoch's outputs but before updating run.json: the rerun lists it."""
    extract_run(stripped, progress=False)
    meta = json.loads((stripped / "run.json").read_text())
    meta["epochs"] = [1, 3]
    (stripped / "run.json").write_text(json.dumps(meta))
    assert check_run(stripped) == []  # a valid, shorter run meanwhile
    assert extract_run(stripped, progress=False) == [5]
    assert Run(stripped).epochs == [1, 3, 5]


def test_extract_needs_model_code(digits_run, capsys):
    assert cli.main(["extract", str(digits_run)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith('run.json: "model" is null: extraction needs a model.py (see SPEC.md)')


def test_extract_needs_inputs(stripped):
    (stripped / "dataset/inputs.npy").unlink()
    with pytest.raises(RunError, match="inputs.npy: file is missing"):
        extract_run(stripped, progress=False)


@pytest.mark.parametrize("original, broken", [
    ("return self.fc(f)", "return self.fc(f).sum(1)"),
    ("return self.body(x)", "return self.body(x[:, :, :4])"),
], ids=["wrong_logits_shape", "feature_fails"])
def test_extract_reports_broken_model_code(stripped, capsys, original, broken):
    code = (stripped / "model.py").read_text()
    (stripped / "model.py").write_text(code.replace(original, broken))
    assert cli.main(["extract", str(stripped)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(err) == 1 and "Traceback" not in err[0]
    assert str(stripped) in err[0]
    assert not (stripped / "epochs/epoch_1/representations.npy").exists()


def test_extract_points_classic_runs_to_import(classic_run, capsys):
    assert cli.main(["extract", str(classic_run)]) == 1
    assert "import-classic" in capsys.readouterr().err
