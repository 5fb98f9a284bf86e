"""Temporary files of writers killed mid-write (kill -9) are removed by the next write of the same file;
those of writers still running are left alone."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from ttvis import atomic

TOOL = Path(__file__).resolve().parents[1]

KILLED = """
import os, signal, sys
from pathlib import Path
from ttvis import atomic

folder = Path(sys.argv[1])
with atomic.atomic_path(folder / "run.json") as tmp:
    tmp.write_text("{half")
    with atomic.atomic_dir(folder / "epoch_3") as d:
        (d / "representations.npy").write_bytes(b"half")
        os.kill(os.getpid(), signal.SIGKILL)
"""


def _temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_next_write_removes_what_a_killed_writer_left(tmp_path):
    p = subprocess.run([sys.executable, "-c", KILLED, str(tmp_path)], env=dict(os.environ, PYTHONPATH=str(TOOL)),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == -signal.SIGKILL, p.stderr
    assert len(_temporaries(tmp_path)) == 2  # what kill -9 leaves behind
    atomic.write_json(tmp_path / "run.json", {"epochs": [1, 2]})
    with atomic.atomic_dir(tmp_path / "epoch_3") as d:
        (d / "representations.npy").write_bytes(b"whole")
    assert _temporaries(tmp_path) == []
    assert (tmp_path / "epoch_3" / "representations.npy").read_bytes() == b"whole"


def test_a_running_writer_keeps_its_temporary_file(tmp_path):
    with atomic.atomic_path(tmp_path / "a.json") as slow:
        slow.write_text('{"slow": 1}')
        atomic.write_json(tmp_path / "a.json", {"fast": 1})  # another write of the same file meanwhile
        assert slow.exists()
    assert (tmp_path / "a.json").read_text() == '{"slow": 1}'
    assert _temporaries(tmp_path) == []
