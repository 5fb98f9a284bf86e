import numpy as np

from ttvis.run import Run
from ttvis.run.check import check_run


def test_demo_run_is_valid(digits_run):
    assert check_run(digits_run) == []
    run = Run(digits_run)
    assert run.epochs == [1, 2, 3, 4, 5, 6]
    reps = run.representations(6)
    assert reps.shape == (run.n, run.dim) and reps.dtype == np.float32
    # the stored head reproduces the stored logits
    import torch

    with torch.no_grad():
        z = run.head(6)(torch.from_numpy(np.array(reps))).numpy()
    np.testing.assert_allclose(z, run.logits(6), rtol=1e-4, atol=1e-4)
