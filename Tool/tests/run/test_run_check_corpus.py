"""A corpus of malformed runs, each made from a valid run by one defect: `ttvis check` must report
exactly that defect in one line naming the file, exit non-zero, and never show a traceback."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ttvis import cli
from ttvis.run.check import check_run

TOOL = Path(__file__).resolve().parents[2]


# -- helpers that damage one thing ------------------------------------------------------------
def _meta(run, **changes):
    p = run / "run.json"
    meta = json.loads(p.read_text())
    meta.update(changes)
    p.write_text(json.dumps(meta))


def _edit_npy(path, fn):
    a = np.load(path)
    np.save(path, fn(a))


def _set(a, index, value):
    a = a.copy()
    a[index] = value
    return a


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _gt(run, fn):
    p = run / "dataset" / "ground_truth.json"
    gt = json.loads(p.read_text())
    fn(gt)
    p.write_text(json.dumps(gt))


def _config(run, fn):
    p = run / "config.json"
    config = json.loads(p.read_text())
    p.write_text(json.dumps(fn(config)))


def _wrong_arch_checkpoint(run):
    state = torch.load(run / "Model/Epoch_3/subject_model.pth", weights_only=True)
    state["fc.weight"] = torch.zeros(4, 16)
    torch.save(state, run / "Model/Epoch_3/subject_model.pth")


E = "epochs/epoch_{}/"
# id: (base run, damage(run) -> folder to check (None = the run itself), file named, problem named)
DEFECTS = {
    "missing_run_folder": ("digits", lambda r: r / "no_such_run", "no_such_run", "does not exist"),
    "missing_run_json": ("digits", lambda r: (r / "run.json").unlink(), "run.json", "missing"),
    "bad_json": ("digits", lambda r: (r / "run.json").write_text('{"format": "ttvis-run", "classes": ['),
                 "run.json", "bad JSON"),
    "run_json_not_object": ("digits", lambda r: (r / "run.json").write_text("[1, 2]"), "run.json", "JSON object"),
    "wrong_format": ("digits", lambda r: _meta(r, format="tensorboard"), "run.json", '"format"'),
    "empty_classes": ("digits", lambda r: _meta(r, classes=[]), "run.json", '"classes"'),
    "non_increasing_epochs": ("digits", lambda r: _meta(r, epochs=[1, 2, 4, 3, 5, 6]), "run.json", "increasing"),
    "bad_head_spec": ("digits", lambda r: _meta(r, head=[{"type": "Conv9d"}]), "run.json", '"head"'),
    "epoch_folder_missing": ("digits", lambda r: shutil.rmtree(r / "epochs/epoch_3"), "epochs/epoch_3",
                             "folder is missing"),
    "labels_missing": ("digits", lambda r: (r / "dataset/labels.npy").unlink(), "dataset/labels.npy", "missing"),
    "labels_out_of_range": ("digits", lambda r: _edit_npy(r / "dataset/labels.npy", lambda a: _set(a, 5, 10)),
                            "dataset/labels.npy", "label 10 of sample 5 is outside 0..9"),
    "labels_wrong_dtype": ("digits", lambda r: _edit_npy(r / "dataset/labels.npy", lambda a: a.astype(np.float32)),
                           "dataset/labels.npy", "dtype float32"),
    "labels_wrong_length": ("digits", lambda r: _edit_npy(r / "dataset/labels.npy", lambda a: a[:-1]),
                            "dataset/labels.npy", "1796 rows"),
    "split_not_0_1": ("digits", lambda r: _edit_npy(r / "dataset/split.npy", lambda a: _set(a, 0, 2)),
                      "dataset/split.npy", "0 (train) or 1 (test)"),
    "split_without_training": ("digits", lambda r: _edit_npy(r / "dataset/split.npy", lambda a: np.ones_like(a)),
                               "dataset/split.npy", "no sample is in the training split"),
    "images_wrong_dtype": ("digits", lambda r: _edit_npy(r / "dataset/images.npy", lambda a: a.astype(np.float32)),
                           "dataset/images.npy", "dtype float32"),
    "representations_wrong_shape": ("digits", lambda r: _edit_npy(r / (E.format(2) + "representations.npy"),
                                                                   lambda a: a[:100]),
                                    E.format(2) + "representations.npy", "100 rows"),
    "representations_nan": ("digits", lambda r: _edit_npy(r / (E.format(4) + "representations.npy"),
                                                           lambda a: _set(a, (7, 3), np.nan)),
                            E.format(4) + "representations.npy", "NaN"),
    "representation_dim_changes": ("digits", lambda r: _edit_npy(r / (E.format(3) + "representations.npy"),
                                                                  lambda a: a[:, :32]),
                                   E.format(3) + "representations.npy", "dimension 32, expected 64"),
    "logits_inf": ("digits", lambda r: _edit_npy(r / (E.format(5) + "logits.npy"), lambda a: _set(a, (0, 0), np.inf)),
                   E.format(5) + "logits.npy", "NaN or inf"),
    "logits_wrong_class_count": ("digits", lambda r: _edit_npy(r / (E.format(1) + "logits.npy"), lambda a: a[:, :9]),
                                 E.format(1) + "logits.npy", "9 columns for 10 classes"),
    "corrupt_npy": ("digits", lambda r: (r / (E.format(6) + "logits.npy")).write_bytes(b"\x93NUMPY garbage" * 9),
                    E.format(6) + "logits.npy", "unreadable array"),
    "truncated_checkpoint": ("digits", lambda r: _truncate(r / (E.format(4) + "checkpoint.pt")),
                             E.format(4) + "checkpoint.pt", "unreadable checkpoint"),
    "truncated_head": ("digits", lambda r: _truncate(r / (E.format(2) + "head.pt")),
                       E.format(2) + "head.pt", "unreadable head"),
    "ground_truth_bad_json": ("noisy", lambda r: (r / "dataset/ground_truth.json").write_text("{oops"),
                              "dataset/ground_truth.json", "bad JSON"),
    "ground_truth_index_out_of_range": ("noisy", lambda r: _gt(r, lambda g: g["label_noise"]["indices"].__setitem__(0, 10**6)),
                                        "dataset/ground_truth.json", "outside 0..1796"),
    "ground_truth_not_matching_labels": ("noisy", lambda r: _gt(r, lambda g: g["label_noise"]["noisy_labels"].__setitem__(
        0, (g["label_noise"]["noisy_labels"][0] + 1) % 10)), "dataset/ground_truth.json", "differ from dataset/labels.npy"),
    "ground_truth_backdoor_wrong_target": ("noisy", lambda r: _gt(r, lambda g: g["backdoor"].__setitem__("target", 7)),
                                           "dataset/ground_truth.json", "target 7"),
    "classic_missing_epoch": ("classic", lambda r: shutil.rmtree(r / "Model/Epoch_3"), "Model/Epoch_3",
                              "folder is missing"),
    "classic_config_without_dvi": ("classic", lambda r: _config(r, lambda c: c["DVI"]), "config.json", '"DVI"'),
    "classic_bad_epoch_range": ("classic", lambda r: _config(r, lambda c: {"DVI": {**c["DVI"], "EPOCH_END": 0}}),
                                "config.json", "EPOCH_START"),
    "classic_model_without_class": ("classic", lambda r: (r / "Model/model.py").write_text(
        (r / "Model/model.py").read_text().replace("class TinyNet", "class OtherNet")),
        "Model/model.py", "no class named 'TinyNet'"),
    "classic_model_constructor_fails": ("classic", lambda r: (r / "Model/model.py").write_text(
        (r / "Model/model.py").read_text().replace("super().__init__()", "raise RuntimeError('needs a GPU')")),
        "Model/model.py", "cannot construct TinyNet(): RuntimeError: needs a GPU"),
    "model_py_without_class": ("imported", lambda r: (r / "model.py").write_text(
        (r / "model.py").read_text().replace("class TinyNet", "class Renamed")), "model.py", "no class named"),
    "model_checkpoint_missing": ("imported", lambda r: (r / (E.format(3) + "checkpoint.pt")).unlink(),
                                 E.format(3) + "checkpoint.pt", "checkpoint is missing"),
    "index_json_not_training_samples": ("imported", lambda r: (r / (E.format(1) + "index.json")).write_text("[0, 83]"),
                                        E.format(1) + "index.json", "not training samples"),
    "classic_model_syntax_error": ("classic", lambda r: (r / "Model/model.py").write_text("def broken(:\n"),
                                   "Model/model.py", "cannot import model code"),
    "classic_truncated_checkpoint": ("classic", lambda r: _truncate(r / "Model/Epoch_5/subject_model.pth"),
                                     "Model/Epoch_5/subject_model.pth", "unreadable checkpoint"),
    "classic_checkpoint_wrong_shape": ("classic", _wrong_arch_checkpoint, "Model/Epoch_3/subject_model.pth",
                                       "does not fit TinyNet"),
    "classic_train_num_mismatch": ("classic", lambda r: _config(r, lambda c: {"DVI": {**c["DVI"], "TRAINING": {
        **c["DVI"]["TRAINING"], "train_num": 61}}}), "Training_data/training_dataset_label.pth", "train_num = 61"),
    "classic_test_labels_missing": ("classic", lambda r: (r / "Testing_data/testing_dataset_label.pth").unlink(),
                                    "Testing_data/testing_dataset_label.pth", "missing"),
    "classic_index_out_of_range": ("classic", lambda r: (r / "Model/Epoch_1/index.json").write_text("[0, 1, 600]"),
                                   "Model/Epoch_1/index.json", "outside the training set"),
}

# the defects also run as a real `python -m ttvis check` process (each costs a torch import)
SUBPROCESS = ["missing_run_folder", "bad_json", "labels_out_of_range", "truncated_checkpoint",
              "representations_nan", "ground_truth_index_out_of_range", "classic_missing_epoch",
              "classic_model_without_class"]


@pytest.fixture
def damaged(request, tmp_path, digits_run, noisy_run, classic_run, imported_run):
    """(run folder with one defect, expected file, expected problem)."""
    base, damage, file_part, problem = DEFECTS[request.param]
    src = {"digits": digits_run, "noisy": noisy_run, "classic": classic_run, "imported": imported_run}[base]
    run = tmp_path / "run"
    shutil.copytree(src, run)
    target = damage(run)
    return (target if isinstance(target, Path) else run), run / file_part, problem


def _assert_one_line(out, run, named, problem):
    """One problem line `<named path>: <problem>` and the summary line."""
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 2, out
    line, summary = lines
    assert line.startswith(f"{named}: "), line
    assert problem in line, line
    assert summary == f"1 problem(s) in {run}"


def test_valid_bases_pass(digits_run, noisy_run, classic_run, imported_run):
    """The corpus is made from runs that are valid, so each defect alone is what check reports."""
    for run in (digits_run, noisy_run, classic_run, imported_run):
        assert check_run(run) == []


def test_corpus_is_large():
    assert len(DEFECTS) >= 18 and len({d[3] + d[2] for d in DEFECTS.values()}) >= 18


@pytest.mark.parametrize("damaged", sorted(DEFECTS), indirect=True)
def test_check_reports_one_line(damaged, capsys):
    run, named, problem = damaged
    rc = cli.main(["check", str(run)])
    captured = capsys.readouterr()
    assert rc == 1
    assert captured.err == ""
    _assert_one_line(captured.out, run, named, problem)


@pytest.mark.parametrize("damaged", SUBPROCESS, indirect=True)
def test_check_process_reports_one_line(damaged):
    run, named, problem = damaged
    env = dict(os.environ, PYTHONPATH=str(TOOL), TTVIS_DEBUG="")
    proc = subprocess.run([sys.executable, "-m", "ttvis", "check", str(run)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    _assert_one_line(proc.stdout, run, named, problem)
