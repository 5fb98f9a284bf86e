"""A write that the system refuses (disk full, file size limit) ends a command with one line naming the
file, not an "internal error"."""

import os
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2]


def _small_files_only():
    """In the child: writes beyond 4 KiB fail with EFBIG, as they would with ENOSPC on a full disk."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_refused_write_names_the_file(run_copy):
    env = dict(os.environ, PYTHONPATH=str(TOOL), TTVIS_DEBUG="")
    proc = subprocess.run([sys.executable, "-m", "ttvis", "train", str(run_copy), "--method", "pca", "--no-metrics"],
                          capture_output=True, text=True, env=env, timeout=240, preexec_fn=_small_files_only)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ttvis train:")]
    assert len(errors) == 1 and errors[0].endswith(": cannot write: File too large"), proc.stderr
    assert errors[0].startswith(f"ttvis train: error: {run_copy / 'visualize/pca'}/")
    assert not [p for p in (run_copy / "visualize").rglob("*") if p.name.endswith(".tmp")]
