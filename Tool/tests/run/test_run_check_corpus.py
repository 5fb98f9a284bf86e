"""A corpus of malformed runs, each made from a valid run by one defect: `ttvis check` must report
exactly that defect in one line naming the file, exit non-zero, and never show a traceback.

The acceptance test holds check, train and the server to one truth over the corpus and over runs that
are odd but valid: a run check rejects, train refuses with the same line; a run check accepts, train
builds and every GET route of the server answers without a 5xx."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from corpus_util import make_tiny_run
from serving import get_urls, link_out
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


def _rename_epoch(run, old, new, epochs):
    (run / f"epochs/epoch_{old}").rename(run / f"epochs/epoch_{new}")
    _meta(run, epochs=epochs)


def _narrow_head(run, out):
    """A head giving `out` logits, its weights to match, and one epoch only (so one line names it)."""
    meta = json.loads((run / "run.json").read_text())
    meta["head"][0]["out_features"] = out
    _meta(run, head=meta["head"], epochs=[1])
    state = torch.load(run / "epochs/epoch_1/head.pt", weights_only=True)
    torch.save({k: v[:out] for k, v in state.items()}, run / "epochs/epoch_1/head.pt")


def _model_code(run, old, new):
    (run / "model.py").write_text((run / "model.py").read_text().replace(old, new))


def _symlink_out(run, rel):
    """Replace a run file by a symbolic link to an identical file outside the data root (run's parent)."""
    link_out(run, rel, run.parent.parent / "outside")


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
    # a run.json or array that later broke train or the server, or gave an "internal error"
    "name_not_string": ("digits", lambda r: _meta(r, name=5), "run.json", '"name" must be a string'),
    "n_samples_bool": ("digits", lambda r: _meta(r, n_samples=True), "run.json", '"n_samples"'),
    "representation_dim_text": ("digits", lambda r: _meta(r, representation_dim="sixteen"), "run.json",
                                '"representation_dim"'),
    "epoch_too_large": ("digits", lambda r: _rename_epoch(r, 6, 10**19, [1, 2, 3, 4, 5, 10**19]), "run.json",
                        '"epochs" must lie in'),
    "negative_epoch": ("digits", lambda r: _rename_epoch(r, 1, -1, [-1, 2, 3, 4, 5, 6]), "run.json",
                       '"epochs" must lie in'),
    "too_many_classes": ("digits", lambda r: _meta(r, classes=[str(k) for k in range(65536)]), "run.json",
                         "at most 65535"),
    "head_too_wide": ("digits", lambda r: _meta(r, head=[{"type": "Linear", "in_features": 64,
                                                           "out_features": 10**8}]), "run.json", '"head"'),
    "head_bad_argument": ("digits", lambda r: _meta(r, head=[{"type": "Linear", "in_features": "64",
                                                               "out_features": 10}]), "run.json", "in_features"),
    "head_fewer_logits_than_classes": ("digits", lambda r: _narrow_head(r, 9), E.format(1) + "head.pt",
                                       "head outputs shape (9,), expected (10,)"),
    "deeply_nested_run_json": ("digits", lambda r: (r / "run.json").write_text("[" * 100000 + "]" * 100000),
                               "run.json", "nested too deeply"),
    "epoch_without_samples": ("digits", lambda r: _edit_npy(r / (E.format(2) + "logits.npy"), lambda a: a[:0]),
                              E.format(2) + "logits.npy", "0 rows"),
    "images_without_pixels": ("digits", lambda r: _edit_npy(r / "dataset/images.npy",
                                                            lambda a: np.zeros((len(a), 0, 0), np.uint8)),
                              "dataset/images.npy", "at least 1"),
    "representations_without_dims": ("digits", lambda r: _edit_npy(r / (E.format(2) + "representations.npy"),
                                                                    lambda a: a[:, :0]),
                                     E.format(2) + "representations.npy", "at least 1"),
    "ground_truth_ragged_labels": ("noisy", lambda r: _gt(r, lambda g: g["label_noise"].__setitem__(
        "noisy_labels", [[1], [2, 3]])), "dataset/ground_truth.json", "noisy_labels"),
    "index_json_huge_index": ("imported", lambda r: (r / (E.format(1) + "index.json")).write_text("[0, 1e400, 10]"),
                              E.format(1) + "index.json", "integer sample indices"),
    "index_json_overflowing_index": ("imported", lambda r: (r / (E.format(1) + "index.json")).write_text(
        "[0, 100000000000000000000000]"), E.format(1) + "index.json", "outside 0..83"),
    "model_file_not_python": ("imported", lambda r: _meta(r, model={"file": "model.txt", "class": "TinyNet"}),
                              "run.json", '"file" must name a .py file'),
    "model_file_outside_run": ("imported", lambda r: _meta(r, model={"file": "../model.py", "class": "TinyNet"}),
                               "run.json", '"file" must name a .py file'),
    "model_code_exits": ("imported", lambda r: _model_code(r, "from torch import nn",
                                                            "import sys\nsys.exit(0)\nfrom torch import nn"),
                         "model.py", "cannot import model code: the code called sys.exit(0)"),
    "model_code_interrupts": ("imported", lambda r: _model_code(r, "return self.fc(f)", "raise KeyboardInterrupt"),
                              "model.py", "TinyNet.prediction() fails: the code raised KeyboardInterrupt"),
}

# odd but valid runs: check accepts them, train builds them, the server serves them
ACCEPTED = {
    "float16_representations": ("digits", lambda r: [_edit_npy(r / (E.format(e) + "representations.npy"),
                                                               lambda a: a.astype(np.float16)) for e in range(1, 7)]),
    "boolean_split": ("digits", lambda r: _edit_npy(r / "dataset/split.npy", lambda a: a.astype(bool))),
    "empty_name_and_unknown_keys": ("digits", lambda r: _meta(r, name="", comment={"any": ["thing"]})),
    "epoch_zero_only": ("digits", lambda r: _rename_epoch(r, 1, 0, [0])),
    "no_head": ("digits", lambda r: _meta(r, head=None)),
    "one_pixel_images": ("digits", lambda r: _edit_npy(r / "dataset/images.npy", lambda a: a[:, :1, :1])),
    "many_classes": ("many", lambda r: None),
    "imported_with_model_code": ("imported", lambda r: None),
    # a shared run may hold links out of the data root: the command line follows them, the server refuses
    "run_json_links_out": ("digits", lambda r: _symlink_out(r, "run.json")),
    "representations_link_out": ("digits", lambda r: _symlink_out(r, E.format(6) + "representations.npy")),
    "logits_link_out": ("digits", lambda r: _symlink_out(r, E.format(3) + "logits.npy")),
    "head_links_out": ("digits", lambda r: _symlink_out(r, E.format(2) + "head.pt")),
    "labels_link_out": ("digits", lambda r: _symlink_out(r, "dataset/labels.npy")),
    "inputs_link_out": ("digits", lambda r: _symlink_out(r, "dataset/inputs.npy")),
    "model_code_links_out": ("imported", lambda r: _symlink_out(r, "model.py")),
    "checkpoint_links_out": ("imported", lambda r: _symlink_out(r, E.format(1) + "checkpoint.pt")),
}

# the defects also run as a real `python -m ttvis check` process (each costs a torch import)
SUBPROCESS = ["missing_run_folder", "bad_json", "labels_out_of_range", "truncated_checkpoint",
              "representations_nan", "ground_truth_index_out_of_range", "classic_missing_epoch",
              "classic_model_without_class"]


@pytest.fixture(scope="session")
def many_classes_run(tmp_path_factory):
    """A tiny valid run with the most classes the format allows (labels travel as uint16)."""
    return make_tiny_run(tmp_path_factory.mktemp("many") / "many", 65535)


@pytest.fixture
def bases(digits_run, noisy_run, classic_run, imported_run, many_classes_run):
    return {"digits": digits_run, "noisy": noisy_run, "classic": classic_run, "imported": imported_run,
            "many": many_classes_run}


def _make(tmp_path, bases, base, change):
    """A copy of a base run at <tmp>/root/run, changed; returns the folder to check."""
    run = tmp_path / "root" / "run"
    shutil.copytree(bases[base], run)
    target = change(run)
    return target if isinstance(target, Path) else run


@pytest.fixture
def damaged(request, tmp_path, bases):
    """(run folder with one defect, expected file, expected problem)."""
    base, damage, file_part, problem = DEFECTS[request.param]
    return _make(tmp_path, bases, base, damage), tmp_path / "root" / "run" / file_part, problem


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


def test_corpus_has_odd_valid_runs():
    assert len(ACCEPTED) >= 15


@pytest.mark.parametrize("case", sorted(DEFECTS) + sorted(ACCEPTED))
def test_check_train_and_server_agree(case, tmp_path, bases, capsys):
    """Rejected by check: train refuses with check's first line. Accepted: train builds a PCA and every
    GET route of the server answers without a 5xx (search aside: it needs Milvus, tested elsewhere)."""
    from ttvis.server import create_app

    spec = DEFECTS.get(case) or ACCEPTED[case]
    run = _make(tmp_path, bases, spec[0], spec[1])
    problems = check_run(run)
    rc = cli.main(["train", str(run), "--method", "pca", "--grid", "32"])
    err = capsys.readouterr().err
    if problems:
        assert case in DEFECTS
        assert rc == 1 and err == f"ttvis train: error: {problems[0]}\n"
        assert problems[0].startswith(f"{tmp_path / 'root'}") and "\n" not in problems[0]
        assert not (run / "visualize").exists()
        return
    assert case in ACCEPTED
    assert rc == 0, err
    app = create_app({"DATA_ROOT": str(tmp_path / "root"), "TESTING": True})
    client = app.test_client()
    epoch = json.loads((run / "run.json").read_text())["epochs"][-1]
    statuses = {url: client.get(url).status_code for url in get_urls(app, "run", epoch=epoch)}
    assert len(statuses) >= 14
    assert all(status < 500 for status in statuses.values()), statuses
    assert client.get("/api/runs").status_code == 200


def test_class_count_bounds_what_a_build_allocates(many_classes_run, capsys):
    """65,535 classes travel as uint16; a territory grid too fine for them is refused before any work."""
    from ttvis.server import create_app

    assert cli.main(["train", str(many_classes_run), "--method", "pca", "--grid", "512"]) == 2
    assert capsys.readouterr().err == "ttvis train: error: grid 512 is too fine for 65535 classes: at most 256\n"
    assert not (many_classes_run / "visualize").exists()
    client = create_app({"DATA_ROOT": str(many_classes_run.parent), "TESTING": True}).test_client()
    response = client.get("/api/runs/many/labels")
    labels = np.frombuffer(response.data, np.uint16)
    assert response.headers["X-Dtype"] == "uint16"
    assert labels.max() == 65534 and np.array_equal(labels, np.load(many_classes_run / "dataset/labels.npy"))


@pytest.mark.parametrize("damaged", ["labels_wrong_length", "labels_out_of_range", "epoch_without_samples"],
                         indirect=True)
def test_other_commands_name_the_file(damaged, capsys):
    """Commands that read a run without checking it first still stop at the broken file, with check's line."""
    run, named, problem = damaged
    assert cli.main(["suspicious", str(run)]) == 1
    assert capsys.readouterr().err == f"ttvis suspicious: error: {check_run(run)[0]}\n"
