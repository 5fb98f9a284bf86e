"""`ttvis demo --data` refuses images it cannot turn into pixels, in one line naming the file."""

import numpy as np
import pytest

from ttvis import cli


@pytest.mark.parametrize("images, problem", [
    (np.full((30, 8, 8), np.nan), "NaN or infinite"),
    (np.array([["a"] * 8] * 8 * 30).reshape(30, 8, 8), "must hold numbers"),
])
def test_demo_refuses_images_that_are_not_finite_numbers(tmp_path, capfd, images, problem):
    data = tmp_path / "bad.npz"
    np.savez(data, images=images, labels=np.arange(30) % 3)
    code = cli.main(["demo", "--out", str(tmp_path / "r"), "--data", str(data), "--epochs", "1"])
    err = capfd.readouterr().err
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and str(data) in lines[0] and problem in lines[0], err
    assert not (tmp_path / "r").exists()  # no partial run
