"""Settling samples into the territory of their predicted class (settling.py)."""

import numpy as np
import torch

from ttvis.visualize.settling import settle


def _half_planes():
    """A decoder that is the identity and a head that predicts class 1 right of x = 0, class 0 left."""
    head = torch.nn.Linear(2, 2)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[-50.0, 0.0], [50.0, 0.0]]))
        head.bias.zero_()
    return (lambda z: z), head.requires_grad_(False)


def _samples(n=400):
    """Points in a unit square around the border, each predicted either class at random."""
    rng = np.random.default_rng(0)
    Z = torch.from_numpy(rng.uniform(-0.5, 0.5, (n, 2)).astype(np.float32))
    return Z, torch.from_numpy(rng.integers(0, 2, n))


def _decoded(Z):
    return (Z[:, 0] > 0).long()


def test_samples_just_across_the_border_cross_it_and_the_others_stay():
    decode, head = _half_planes()
    Z, predicted = _samples()
    wrong = _decoded(Z) != predicted
    near = wrong & (Z[:, 0].abs() < 0.1)
    assert int(near.sum()) > 20

    out = settle(decode, head, Z, predicted, hold=0.03, steps=200)

    torch.testing.assert_close(out[~wrong], Z[~wrong], rtol=0, atol=0)  # decoded as predicted: not moved
    assert bool((_decoded(out[near]) == predicted[near]).all())
    moved = out[wrong] - Z[wrong]
    assert float(moved[:, 1].abs().max()) < 1e-3  # straight towards the border, the shortest way
    assert float((moved[:, 0].abs() - Z[wrong, 0].abs()).max()) < 0.05  # no further than just past it


def test_a_higher_hold_moves_samples_less():
    decode, head = _half_planes()
    Z, predicted = _samples()
    wrong = _decoded(Z) != predicted
    loose = settle(decode, head, Z, predicted, hold=0.03, steps=200)
    firm = settle(decode, head, Z, predicted, hold=0.3, steps=200)
    assert float((firm - Z).norm(dim=1).sum()) < 0.5 * float((loose - Z).norm(dim=1).sum())
    crossed = [int((_decoded(out[wrong]) == predicted[wrong]).sum()) for out in (firm, loose)]
    assert 0 < crossed[0] < crossed[1] < int(wrong.sum())  # samples deep in the other class stay near


def test_nothing_to_settle():
    decode, head = _half_planes()
    Z = torch.tensor([[0.3, 0.0], [-0.3, 0.0]])
    assert settle(decode, head, Z, torch.tensor([1, 0]), hold=0.03, steps=200) is Z
    assert settle(decode, head, Z[:0], torch.tensor([], dtype=torch.long), hold=0.03, steps=200).shape == (0, 2)


def test_a_sample_far_from_its_class_stays_by_its_neighbours():
    """Decoded as its class's last of four (beyond settling.NEAR), a sample is not moved; decoded as
    its class's second, it is."""
    head = torch.nn.Linear(2, 4)
    with torch.no_grad():  # class k scores -50 |x - k|: left to right, territories 0, 1, 2, 3
        head.weight.copy_(torch.tensor([[0.0, 0.0], [50.0, 0.0], [100.0, 0.0], [150.0, 0.0]]))
        head.bias.copy_(torch.tensor([0.0, -25.0, -100.0, -225.0]))
    head.requires_grad_(False)
    Z = torch.tensor([[0.0, 0.0], [1.4, 0.0], [3.0, 0.0], [0.0, 1.0]])
    predicted = torch.tensor([3, 2, 3, 0])  # far, near, right, right
    out = settle(lambda z: z, head, Z, predicted, hold=0.03, steps=200)
    torch.testing.assert_close(out[[0, 2, 3]], Z[[0, 2, 3]], rtol=0, atol=0)
    assert int(head(out[1:2]).argmax(1)) == 2
