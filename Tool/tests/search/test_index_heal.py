"""A damaged search index heals: the damage is found, the collection rebuilt, and one line says so.

Milvus Lite allows one owning process per database, so each `ttvis index` runs in its own process (as
a user would run it) and opens the damaged files afresh; the server's search runs in this process.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(TOOL), OMP_NUM_THREADS="2")


def _index(run):
    return subprocess.run([sys.executable, "-m", "ttvis", "index", str(run), "--quiet"], env=ENV,
                          capture_output=True, text=True, timeout=300)


def _lines(text):
    return [line for line in text.replace("\r", "\n").splitlines() if line.strip()]


def _collection(root):
    cols = root / ".milvus" / "ttvis.db" / "collections"
    return next(p for p in cols.iterdir() if p.name.endswith("_rep"))


def _truncate_segments(col):
    for f in col.rglob("*.parquet"):
        f.write_bytes(f.read_bytes()[:100])


def _break_manifest(col):
    for name in ("manifest.json", "manifest.json.prev"):
        (col / name).write_text("{garbled")


def _delete_schema(col):
    (col / "schema.json").unlink()


DAMAGE = {"truncated segments": _truncate_segments, "broken manifest": _break_manifest,
          "deleted schema": _delete_schema}


@pytest.fixture
def root(digits_run, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(digits_run, root / "r")
    made = _index(root / "r")
    assert made.returncode == 0, made.stderr
    return root


def _search(root):
    from ttvis.server import create_app

    client = create_app({"DATA_ROOT": str(root)}).test_client()
    return client.get("/api/runs/r/search?sample=0&epoch=2&k=5")


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_rebuilt_with_one_line(root, damage, digits_run, knn):
    DAMAGE[damage](_collection(root))
    healed = _index(root / "r")
    assert healed.returncode == 0 and "Traceback" not in healed.stderr, healed.stderr
    lines = _lines(healed.stderr)
    assert len(lines) == 1 and "search index" in lines[0] and "damaged" in lines[0] and "rebuilt" in lines[0], lines

    DAMAGE[damage](_collection(root))  # and once more, for the server to find
    r = _search(root)
    assert r.status_code == 200, r.get_json()
    from ttvis.run.reader import Run

    ids, _ = knn(Run(digits_run).representations(2), 0, 5)
    assert r.get_json()["ids"] == ids


def test_unrepairable_index_names_what_to_delete(root):
    col = _collection(root)
    shutil.rmtree(col)
    col.write_text("not a collection")  # Milvus Lite can neither open nor replace it
    failed = _index(root / "r")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    lines = _lines(failed.stderr)
    assert len(lines) == 1 and f"delete {col}" in lines[0], lines
    r = _search(root)
    assert r.status_code == 503 and f"delete {col}" in r.get_json()["error"]


def _blocked_by_a_file(root):
    (root / ".milvus").write_text("")


def _read_only(root):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    root.chmod(0o555)


@pytest.mark.parametrize("unwritable", [_blocked_by_a_file, _read_only])
def test_unwritable_index_folder_is_503(digits_run, tmp_path, unwritable):
    root = tmp_path / "root"
    shutil.copytree(digits_run, root / "r")
    unwritable(root)
    try:
        r = _search(root)
        assert r.status_code == 503
        assert f"cannot write the search index under {root / '.milvus'}" in r.get_json()["error"]
    finally:
        root.chmod(0o755)
