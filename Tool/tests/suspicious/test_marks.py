"""Marks: kept in the run folder, served by the API (JSON only), re-ordering the ranking, exported as labels."""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ttvis.errors import RunError
from ttvis.run.reader import Run
from ttvis.server import create_app
from ttvis.suspicious import analyse, marks, ranking

TOOL = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "PYTHONPATH": TOOL}


def cli(*args):
    return subprocess.run([sys.executable, "-m", "ttvis", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=180)


def app_client(root):
    return create_app({"DATA_ROOT": str(root), "TESTING": True}).test_client()


def test_marks_persist_across_a_server_restart_and_reorder_the_ranking(marks_root):
    run = Run(marks_root / "noisy")
    top = [s["index"] for s in app_client(marks_root).get("/api/runs/noisy/suspicious?k=3").get_json()["samples"]]
    wrong, fine, poisoned = top
    other = (int(run.labels[wrong]) + 1) % run.n_classes
    c = app_client(marks_root)
    for sample, body in ((wrong, {"mark": "wrong_label", "label": other}), (fine, {"mark": "fine"}),
                         (poisoned, {"mark": "poisoned"})):
        r = c.put(f"/api/runs/noisy/marks/{sample}", json=body)
        assert r.status_code == 200 and r.get_json()["mark"] == body, r.get_json()
    assert (marks_root / "noisy" / "marks.json").is_file()

    c = app_client(marks_root)  # a new app over the same root: nothing held in memory
    got = c.get("/api/runs/noisy/marks").get_json()["marks"]
    assert got == {str(wrong): {"mark": "wrong_label", "label": other}, str(fine): {"mark": "fine"},
                   str(poisoned): {"mark": "poisoned"}}
    samples = c.get("/api/runs/noisy/suspicious?k=10000").get_json()["samples"]
    assert [s["index"] for s in samples[:2]] == sorted([wrong, poisoned], key=top.index)  # confirmed first
    assert samples[-1]["index"] == fine and samples[-1]["mark"] == {"mark": "fine"}  # fine drops to the end
    assert samples[0]["reasons"][0].startswith("marked: ")
    assert c.delete(f"/api/runs/noisy/marks/{fine}").get_json() == {"index": fine, "mark": None}
    assert str(fine) not in app_client(marks_root).get("/api/runs/noisy/marks").get_json()["marks"]


def test_confirmed_marks_lift_samples_that_learned_alike(noisy_run):
    """Every sample that has a confirmed sample among its trajectory neighbours gains score; others do not move."""
    run = Run(noisy_run)
    analysis = analyse(run)
    plain = {s["index"]: s["score"] for s in ranking(analysis)["samples"]}
    flipped = run.ground_truth()["label_noise"]
    confirmed = {i: {"mark": "wrong_label", "label": o}
                 for i, o in zip(flipped["indices"][:5], flipped["original_labels"][:5])}
    after = {s["index"]: s["score"] for s in ranking(analysis, confirmed)["samples"] if "mark" not in s}
    nbrs = analysis["trajectory_neighbours"]
    pos = {int(i): j for j, i in enumerate(analysis["indices"])}
    marked_pos = {pos[i] for i in confirmed}
    near = {int(analysis["indices"][j]) for j in range(len(nbrs)) if marked_pos & set(nbrs[j].tolist())}
    assert near - set(confirmed)
    for i, score in after.items():
        assert (score > plain[i]) if i in near else (score == plain[i]), i


def test_export_labels_writes_what_was_marked(marks_root, tmp_path):
    run = Run(marks_root / "noisy")
    i, j, f = (int(x) for x in run.train_idx[:3])
    right = (int(run.labels[i]) + 3) % run.n_classes
    marks.set_mark(run, i, {"mark": "wrong_label", "label": right})
    marks.set_mark(run, j, {"mark": "poisoned"})
    marks.set_mark(run, f, {"mark": "fine"})
    out = tmp_path / "labels.csv"
    res = cli("export-labels", marks_root / "noisy", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "1 corrected, 1 excluded, 1 confirmed fine" in res.stdout
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == run.n and [int(r["index"]) for r in rows] == list(range(run.n))
    assert (int(rows[i]["label"]), rows[i]["excluded"], rows[i]["mark"]) == (right, "0", "wrong_label")
    assert int(rows[i]["original_label"]) == int(run.labels[i]) and rows[i]["class"] == run.classes[right]
    assert (rows[j]["excluded"], rows[j]["mark"], int(rows[j]["label"])) == ("1", "poisoned", int(run.labels[j]))
    assert (rows[f]["excluded"], rows[f]["mark"]) == ("0", "fine")
    untouched = [r for r in rows if int(r["index"]) not in (i, j, f)]
    assert all(int(r["label"]) == int(run.labels[int(r["index"])]) and r["excluded"] == "0" and r["mark"] == ""
               for r in untouched)


@pytest.mark.parametrize("text", ["{not json", '{"format": "ttvis-marks", "marks": {"3": {"mark": "maybe"}}}',
                                  '{"format": "ttvis-marks", "marks": {"99999": {"mark": "fine"}}}', "[]"])
def test_a_malformed_marks_file_is_one_line(marks_root, text):
    path = marks_root / "noisy" / "marks.json"
    path.write_text(text)
    with pytest.raises(RunError) as err:
        marks.load(Run(marks_root / "noisy"))
    assert len(str(err.value).splitlines()) == 1 and str(err.value).startswith(str(path))
    r = app_client(marks_root).get("/api/runs/noisy/marks")
    assert r.status_code == 500 and str(path.name) in r.get_json()["error"]
    assert len(r.get_json()["error"].splitlines()) == 1


def test_the_cli_reports_a_malformed_marks_file_in_one_line(marks_root, tmp_path):
    path = marks_root / "noisy" / "marks.json"
    path.write_text('{"format": "ttvis-marks", "marks": {"3": {"mark": "maybe"}}}')
    run = marks_root / "noisy"
    for args in (("suspicious", run), ("export-labels", run, "--out", tmp_path / "x.csv")):
        res = cli(*args)
        assert res.returncode == 1, res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "x.csv").exists()


def test_marks_api_takes_json_bodies_only_and_checks_them(marks_root):
    c = app_client(marks_root)
    run = Run(marks_root / "noisy")
    r = c.put("/api/runs/noisy/marks/3", data="mark=fine", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415
    bad = [{"mark": "maybe"}, {"mark": "wrong_label"}, {"mark": "wrong_label", "label": run.n_classes},
           {"mark": "wrong_label", "label": int(run.labels[3])}, {"mark": "fine", "label": 1}, [1], "fine"]
    for body in bad:
        r = c.put("/api/runs/noisy/marks/3", json=body)
        assert r.status_code == 400 and "error" in r.get_json(), body
    assert c.put("/api/runs/noisy/marks/99999", json={"mark": "fine"}).status_code == 404
    assert c.put("/api/runs/nope/marks/3", json={"mark": "fine"}).status_code == 404
    assert not (marks_root / "noisy" / "marks.json").exists()


def test_a_cross_origin_write_is_refused(marks_root):
    """A page on another origin may not set marks (the app-wide Origin guard on state-changing routes)."""
    c = app_client(marks_root)
    r = c.put("/api/runs/noisy/marks/3", json={"mark": "fine"}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = c.delete("/api/runs/noisy/marks/3", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert not (marks_root / "noisy" / "marks.json").exists()


def test_marks_file_is_written_atomically_in_the_documented_format(marks_root):
    run = Run(marks_root / "noisy")
    marks.set_mark(run, 5, {"mark": "poisoned"})
    data = json.loads((marks_root / "noisy" / "marks.json").read_text())
    assert data == {"format": "ttvis-marks", "version": 1, "marks": {"5": {"mark": "poisoned"}}}
    assert [p.name for p in (marks_root / "noisy").iterdir() if p.name.startswith(".marks")] == []
    res = cli("check", marks_root / "noisy")
    assert res.returncode == 0, res.stdout + res.stderr
    assert np.array_equal(marks.corrected_labels(run, marks.load(run))[1], np.arange(run.n) == 5)


def test_a_marks_file_linking_out_of_the_data_root_is_refused(marks_root, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.json"
    outside.write_text('{"format": "ttvis-marks", "version": 1, "marks": {}}')
    (marks_root / "noisy" / "marks.json").symlink_to(outside)
    c = app_client(marks_root)
    assert c.get("/api/runs/noisy/marks").status_code == 404
    assert c.put("/api/runs/noisy/marks/3", json={"mark": "fine"}).status_code == 404
    assert c.get("/api/runs/noisy/suspicious?k=3").status_code == 404
    assert outside.read_text() == '{"format": "ttvis-marks", "version": 1, "marks": {}}'
