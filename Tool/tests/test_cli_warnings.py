"""A failing verb prints its one error line and nothing else: warnings raised on the way (here a torch
warning from the run's model code) do not add stray lines. A verb that works still shows them."""

import os
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOOL / "tests" / "run"))
from classic_builder import CLASSIC_MODEL, build_classic_run  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=str(TOOL), OMP_NUM_THREADS="2")
WARNS = CLASSIC_MODEL.replace("from torch import nn", "import torch\nfrom torch import nn").replace(
    "return self.body(x)", "return self.body(torch.tensor(x))")  # torch: "To copy construct from a tensor..."


def _ttvis(*args):
    return subprocess.run([sys.executable, "-m", "ttvis", *map(str, args)], env=ENV, capture_output=True,
                          text=True, timeout=300)


def _lines(text):
    return [line for line in text.replace("\r", "\n").splitlines() if line.strip() and "\x1b" not in line
            and not line.lstrip().startswith(("importing", "epoch"))]  # progress bars


def test_warnings_do_not_add_lines_to_an_error(tmp_path):
    src = build_classic_run(tmp_path / "src")
    (src / "Model" / "model.py").write_text(WARNS.replace("return self.fc(f)", "return self.fc(f)[:, :2]"))
    p = _ttvis("import-classic", src, "--out", tmp_path / "dst")
    assert p.returncode == 1
    lines = _lines(p.stderr)
    assert len(lines) == 1 and lines[0].startswith("ttvis import-classic: error:") and "model.py" in lines[0], lines
    assert "Warning" not in p.stderr, p.stderr


def test_warnings_of_a_verb_that_works_are_shown(tmp_path):
    src = build_classic_run(tmp_path / "src")
    (src / "Model" / "model.py").write_text(WARNS)
    p = _ttvis("import-classic", src, "--out", tmp_path / "dst")
    assert p.returncode == 0, p.stderr
    assert "UserWarning: To copy construct from a tensor" in p.stderr
