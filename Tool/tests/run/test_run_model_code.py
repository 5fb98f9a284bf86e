"""A run's model.py that exits, is interrupted or never returns: check and train end with one line
naming model.py and a non-zero exit, and a server build ends as failed with that line."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from serving import build, link_out
from ttvis import cli

TOOL = Path(__file__).resolve().parents[2]


def _with_model_code(src, dst, old, new):
    shutil.copytree(src, dst)
    code = (dst / "model.py").read_text()
    assert old in code
    (dst / "model.py").write_text(code.replace(old, new))
    return dst


def _ttvis(*args):
    env = dict(os.environ, PYTHONPATH=str(TOOL), TTVIS_DEBUG="")
    env.pop("TTVIS_MODEL_TIMEOUT", None)
    return subprocess.run([sys.executable, "-m", "ttvis", *args], capture_output=True, text=True, env=env,
                          timeout=240)


def test_check_process_reports_model_code_that_exits(imported_run, tmp_path):
    run = _with_model_code(imported_run, tmp_path / "r", "from torch import nn",
                           "import sys\nsys.exit(0)\nfrom torch import nn")
    proc = _ttvis("check", str(run))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        f"{run / 'model.py'}: cannot import model code: the code called sys.exit(0)", f"1 problem(s) in {run}"]
    assert proc.stderr == ""


def test_check_process_stops_model_code_that_loops(imported_run, tmp_path):
    run = _with_model_code(imported_run, tmp_path / "r", "return self.fc(f)", "while True:\n            pass")
    proc = _ttvis("--model-timeout", "2", "check", str(run))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        f"{run / 'model.py'}: TinyNet.prediction() fails: still running after 2 s (raise the limit with "
        "--model-timeout or TTVIS_MODEL_TIMEOUT)", f"1 problem(s) in {run}"]


def test_train_refuses_model_code_that_exits_or_loops(imported_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TTVIS_MODEL_TIMEOUT", "1.5")
    looping = _with_model_code(imported_run, tmp_path / "loops", "return self.fc(f)", "while True:\n            pass")
    exiting = _with_model_code(imported_run, tmp_path / "exits", "return self.body(x)",
                               "raise SystemExit('bye')")
    # check probes prediction() only; feature() runs when the build mixes inputs for boundary samples
    assert cli.main(["train", str(exiting), "--method", "dvi", "--param", "max_passes=1"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"ttvis train: error: {exiting / 'model.py'}: TinyNet.feature() fails: the code called sys.exit('bye')")
    assert cli.main(["train", str(looping), "--method", "pca"]) == 1
    assert capsys.readouterr().err == (f"ttvis train: error: {looping / 'model.py'}: TinyNet.prediction() fails: "
                                       "still running after 1.5 s (raise the limit with --model-timeout or "
                                       "TTVIS_MODEL_TIMEOUT)\n")


def test_bad_timeout_setting_is_refused(imported_run, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's usage error
        cli.main(["--model-timeout", "0", "check", str(imported_run)])
    assert exc.value.code == 2 and "--model-timeout must be a positive number" in capsys.readouterr().err
    monkeypatch.setenv("TTVIS_MODEL_TIMEOUT", "soon")
    assert cli.main(["check", str(imported_run)]) == 2
    assert "TTVIS_MODEL_TIMEOUT='soon' must be a positive number of seconds" in capsys.readouterr().err


@pytest.mark.parametrize("code,why", [
    ("import sys\n        if len(f) > 4:\n            sys.exit(0)\n        return self.fc(f)",
     "the code called sys.exit(0)"),
    ("while len(f) > 4:\n            pass\n        return self.fc(f)",
     "still running after 1.5 s (raise the limit with --model-timeout or TTVIS_MODEL_TIMEOUT)"),
])
def test_server_build_with_failing_model_code_ends_failed(imported_run, tmp_path, monkeypatch, code, why):
    """The code passes check (4 samples) and fails in the build; the run can be built again after."""
    from ttvis.server import create_app

    monkeypatch.setenv("TTVIS_MODEL_TIMEOUT", "1.5")
    run = _with_model_code(imported_run, tmp_path / "root" / "r", "return self.fc(f)", code)
    client = create_app({"DATA_ROOT": str(tmp_path / "root"), "TESTING": True}).test_client()
    for method in ("dvi", "pca"):  # a second build can start: the first one is not left running
        state = build(client, "r", method)
        assert state["state"] == "failed"
        assert state["message"] == f"RunError: {run / 'model.py'}: TinyNet.prediction() fails: {why}"


@pytest.mark.parametrize("rel", ["model.py", "epochs/epoch_3/checkpoint.pt"])
def test_server_build_refuses_model_files_linked_out_of_the_root(imported_run, tmp_path, rel):
    """The server runs a run's model code only from inside its data root."""
    from ttvis.server import create_app

    run = tmp_path / "root" / "r"
    shutil.copytree(imported_run, run)
    link_out(run, rel, tmp_path / "outside")
    client = create_app({"DATA_ROOT": str(tmp_path / "root"), "TESTING": True}).test_client()
    state = build(client, "r", "pca")
    assert state["state"] == "failed" and f"{run / rel} is outside the data root" in state["message"], state
    assert not (run / "visualize/pca/params.json").exists()
