"""Epoch folder names: epoch_of inverts epoch_dirname and refuses everything else."""

from ttvis.errors import first_line
from ttvis.run import layout


def test_epoch_of_inverts_epoch_dirname():
    for epoch in (0, 7, 10**9):
        assert layout.epoch_of(layout.epoch_dirname(epoch)) == epoch
    for name in ("epoch_", "epoch_-1", "epoch_1_2", "epoch_1.npy", "Epoch_1", "epochs_1", "epoch_١", "model", ""):
        assert layout.epoch_of(name) is None, name


def test_first_line_keeps_one_bounded_line():
    assert first_line(ValueError("bad thing\nTraceback ...")) == "bad thing"
    assert first_line(ValueError("x" * 500), 120) == "x" * 120
    assert first_line(KeyboardInterrupt()) == "KeyboardInterrupt"
