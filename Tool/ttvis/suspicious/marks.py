"""A person's verdicts on suspicious samples, kept in the run folder as marks.json (format in SPEC.md).

A mark says a sample's label is wrong (and which class it is), that the sample is poisoned, or that it is
fine. The ranking re-orders with them, and `corrected_labels` turns them into the labels and exclusions
for the next training run.
"""

import csv
import io
import json
import threading

import numpy as np

from ttvis import atomic
from ttvis.errors import RunError, first_line

MARKS = "marks.json"
FORMAT = "ttvis-marks"
KINDS = ("wrong_label", "poisoned", "fine")
_write_lock = threading.Lock()  # read-modify-write of one process's marks files


def path_of(run):
    return run.path / MARKS


def check_mark(run, index, mark):
    """The mark as stored ({"mark": kind[, "label": class index]}), or ValueError saying what is wrong."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < run.n:
        raise ValueError(f"sample must be an integer in [0, {run.n}), got {index!r}")
    if not isinstance(mark, dict):
        raise ValueError('a mark must be a JSON object like {"mark": "wrong_label", "label": 4}')
    kind = mark.get("mark")
    if kind not in KINDS:
        raise ValueError(f'"mark" must be one of {", ".join(KINDS)}, got {str(kind)[:40]!r}')
    extra = set(mark) - {"mark", "label"}
    if extra:
        raise ValueError(f"unknown field(s) in a mark: {', '.join(sorted(extra))[:80]}")
    if kind != "wrong_label":
        if "label" in mark:
            raise ValueError(f'"label" only goes with "wrong_label", not with {kind!r}')
        return {"mark": kind}
    label = mark.get("label")
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label < run.n_classes:
        raise ValueError(f'"label" must be a class index in [0, {run.n_classes}), got {str(label)[:40]!r}')
    if label == int(run.labels[index]):
        raise ValueError(f"sample {index} is already labelled {run.classes[label]!r}")
    return {"mark": kind, "label": label}


def load(run):
    """{index: mark} from the run's marks file ({} when there is none); RunError when it is malformed."""
    path = path_of(run)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(path, f"not readable JSON ({first_line(exc, 120)})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("marks"), dict):
        raise RunError(path, f'must be a JSON object with "format": "{FORMAT}" and a "marks" object')
    out = {}
    for key, mark in data["marks"].items():
        try:
            index = int(key) if key.isdigit() else key
            out[index] = check_mark(run, index, mark)
        except ValueError as exc:
            raise RunError(path, f"mark {key[:20]!r}: {exc}") from None
    return out


def save(run, marks):
    atomic.write_json(path_of(run), {"format": FORMAT, "version": 1,
                                     "marks": {str(i): marks[i] for i in sorted(marks)}})


def set_mark(run, index, mark):
    """Store `mark` for sample `index` (None clears it); returns the stored mark or None."""
    with _write_lock:
        marks = load(run)
        if mark is None:
            marks.pop(index, None)
        else:
            marks[index] = mark = check_mark(run, index, mark)
        save(run, marks)
    return mark


def corrected_labels(run, marks):
    """(labels, excluded): labels with the marked corrections applied, and a bool mask of poisoned samples."""
    labels = np.array(run.labels, dtype=np.int64)
    excluded = np.zeros(run.n, dtype=bool)
    for i, m in marks.items():
        if m["mark"] == "wrong_label":
            labels[i] = m["label"]
        elif m["mark"] == "poisoned":
            excluded[i] = True
    return labels, excluded


def labels_csv(run, marks):
    """The CSV text: one row per sample (index, label, class, original_label, excluded, mark)."""
    labels, excluded = corrected_labels(run, marks)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", "label", "class", "original_label", "excluded", "mark"])
    for i in range(run.n):
        w.writerow([i, labels[i], run.classes[labels[i]], int(run.labels[i]), int(excluded[i]),
                    marks.get(i, {}).get("mark", "")])
    return buf.getvalue()
