"""The Recorder: a few lines in a training loop give a valid run; a crash never leaves a bad epoch."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from ttvis import atomic
from ttvis.run import Run
from ttvis.run.check import check_run
from ttvis.run.recorder import Recorder

TOOL = Path(__file__).resolve().parents[2]
N, C, D = 120, 4, 8


class ToyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, D), nn.Tanh())
        self.fc = nn.Sequential(nn.Linear(D, 6), nn.ReLU(), nn.Linear(6, C))

    def forward(self, x):
        return self.fc(self.body(x))


def _data(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, 10, generator=g)
    y = (x[:, 0] > 0).long() * 2 + (x[:, 1] > 0).long()
    split = np.arange(N) % 5 == 0  # a boolean "is test" mask is accepted
    return x, y, split


def _recorder(path, x, y, split):
    return Recorder(path, inputs=x, labels=y, split=split, classes=["a", "b", "c", "d"],
                    feature=lambda m, xb: m.body(xb), head=lambda m: m.fc)


def _train(model, x, y, steps=5):
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()


def test_three_lines_give_a_valid_run(tmp_path):
    torch.manual_seed(0)
    x, y, split = _data()
    model = ToyNet()
    rec = _recorder(tmp_path / "toy", x, y, split)  # line 1
    for epoch in range(1, 4):
        _train(model, x, y)
        rec.record(model, epoch)  # line 2
    assert check_run(tmp_path / "toy") == []
    run = Run(tmp_path / "toy")
    assert run.epochs == [1, 2, 3] and run.n == N and run.dim == D
    np.testing.assert_array_equal(run.split, split.astype(np.uint8))
    np.testing.assert_array_equal(run.labels, y.numpy())
    with torch.no_grad():
        np.testing.assert_allclose(run.logits(3), model(x).numpy(), rtol=1e-5, atol=1e-6)
        # the self-contained head (standard layers, no user code) reproduces the logits
        z = run.head(3)(torch.from_numpy(np.array(run.representations(3)))).numpy()
    np.testing.assert_allclose(z, run.logits(3), rtol=1e-5, atol=1e-6)
    assert [layer["type"] for layer in run.meta["head"]] == ["Linear", "ReLU", "Linear"]


def test_reopening_resumes(tmp_path):
    x, y, split = _data()
    model = ToyNet()
    _recorder(tmp_path / "toy", x, y, split).record(model, 1)
    rec = _recorder(tmp_path / "toy", x, y, split)
    assert rec.epochs == [1]
    rec.record(model, 2)
    assert Run(tmp_path / "toy").epochs == [1, 2] and check_run(tmp_path / "toy") == []


def test_exception_mid_epoch_leaves_no_epoch(tmp_path, monkeypatch):
    x, y, split = _data()
    model = ToyNet()
    rec = _recorder(tmp_path / "toy", x, y, split)
    rec.record(model, 1)

    def failing_write_torch(path, obj):  # representations and logits are written by now
        raise OSError("disk full")

    monkeypatch.setattr(atomic, "write_torch", failing_write_torch)
    with pytest.raises(OSError):
        rec.record(model, 2)
    monkeypatch.undo()
    assert check_run(tmp_path / "toy") == []
    assert Run(tmp_path / "toy").epochs == [1]
    assert sorted(p.name for p in (tmp_path / "toy/epochs").iterdir()) == ["epoch_1"]  # no temp left
    rec.record(model, 2)
    assert Run(tmp_path / "toy").epochs == [1, 2] and check_run(tmp_path / "toy") == []


KILLER = textwrap.dedent("""
    import os, signal, sys
    import numpy as np, torch
    sys.path.insert(0, {tests!r})
    from test_run_recorder import ToyNet, _data, _recorder
    from ttvis import atomic

    x, y, split = _data()
    model = ToyNet()
    rec = _recorder({run!r}, x, y, split)
    rec.record(model, 1)
    where = {where!r}
    real = getattr(atomic, where)
    def die(*a, **k):
        if where == "write_npy":
            real(*a, **k)  # one file of the epoch written, then killed
        os.kill(os.getpid(), signal.SIGKILL)
    setattr(atomic, where, die)
    rec.record(model, 2)
""")


@pytest.mark.parametrize("where", ["write_npy", "write_json"],
                         ids=["killed_inside_epoch_folder", "killed_before_run_json_update"])
def test_kill_mid_epoch_leaves_no_epoch_check_accepts(tmp_path, where):
    run = tmp_path / "toy"
    script = KILLER.format(tests=str(Path(__file__).parent), run=str(run), where=where)
    env = dict(os.environ, PYTHONPATH=str(TOOL))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert check_run(run) == []
    assert Run(run).epochs == [1]  # epoch 2 is not listed, whatever was on disk
    x, y, split = _data()
    rec = _recorder(run, x, y, split)
    rec.record(ToyNet(), 2)
    assert Run(run).epochs == [1, 2] and check_run(run) == []


def test_record_refuses_bad_input(tmp_path):
    x, y, split = _data()
    model = ToyNet()
    rec = _recorder(tmp_path / "toy", x, y, split)
    rec.record(model, 3)
    reps = np.zeros((N, D), np.float32)
    logits = np.zeros((N, C), np.float32)
    with pytest.raises(ValueError, match="not after the last recorded epoch"):
        rec.record(model, 3)
    with pytest.raises(ValueError, match="not after the last recorded epoch"):
        rec.record(model, 2)
    with pytest.raises(ValueError, match="expected representations"):
        rec.record(None, 4, representations=reps[:-1], logits=logits[:-1], head=model.fc)
    with pytest.raises(ValueError, match="expected representations"):
        rec.record(None, 4, representations=reps, logits=np.zeros((N, C + 1), np.float32), head=model.fc)
    bad = reps.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or inf"):
        rec.record(None, 4, representations=bad, logits=logits, head=model.fc)
    with pytest.raises(ValueError, match="dimension changed"):
        rec.record(None, 4, representations=np.zeros((N, D + 1), np.float32), logits=logits, head=model.fc)
    assert Run(tmp_path / "toy").epochs == [3] and check_run(tmp_path / "toy") == []
    # torch tensors (with grad) are accepted too
    rec.record(None, 4, representations=torch.zeros(N, D, requires_grad=True), logits=torch.zeros(N, C),
               head=model.fc)
    assert Run(tmp_path / "toy").epochs == [3, 4]


def test_recorder_refuses_bad_dataset(tmp_path):
    x, y, split = _data()
    with pytest.raises(ValueError, match="labels must lie"):
        Recorder(tmp_path / "a", labels=np.full(N, 9), split=split, classes=["a", "b"])
    with pytest.raises(ValueError, match="split"):
        Recorder(tmp_path / "b", labels=y, split=np.full(N, 2), classes=list("abcd"))
    with pytest.raises(ValueError, match="differ in length"):
        Recorder(tmp_path / "c", labels=y, split=split, classes=list("abcd"), inputs=x[:-1])
    with pytest.raises(ValueError, match="images"):
        Recorder(tmp_path / "d", labels=y, split=split, classes=list("abcd"), images=np.zeros((N, 4, 4)))
    assert not any((tmp_path / name).exists() for name in "abcd")


def test_recorder_applies_the_run_format_rules(tmp_path):
    """What `ttvis check` would reject, the Recorder refuses before writing it."""
    from ttvis.errors import RunError

    x, y, split = _data()
    with pytest.raises(RunError, match="no sample is in the training split"):
        Recorder(tmp_path / "a", labels=y, split=np.ones(N), classes=list("abcd"))
    with pytest.raises(RunError, match="every dimension must be at least 1"):
        Recorder(tmp_path / "b", labels=y, split=split, classes=list("abcd"), images=np.zeros((N, 0, 0), np.uint8))
    with pytest.raises(RunError, match="at most 65535"):
        Recorder(tmp_path / "c", labels=y, split=split, classes=[str(k) for k in range(65536)])
    assert not any((tmp_path / name).exists() for name in "abc")
    rec = _recorder(tmp_path / "d", x, y, split)
    with pytest.raises(RunError, match="every dimension must be at least 1"):
        rec.record(None, 1, representations=np.zeros((N, 0), np.float32), logits=np.zeros((N, C), np.float32))
    with pytest.raises(RunError, match='"epochs" must lie in 0..'):
        rec.record(None, -1, representations=np.zeros((N, D), np.float32), logits=np.zeros((N, C), np.float32))
    assert Run(tmp_path / "d").epochs == [] and not (tmp_path / "d/epochs").exists()
