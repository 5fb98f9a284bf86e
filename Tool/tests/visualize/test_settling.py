"""Settling samples into the territory of their predicted class (settling.py)."""

import numpy as np
import torch

from ttvis.visualize.settling import BISECT, STEP, settle


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


def _diagonal(Z):
    return float((Z.max(0).values - Z.min(0).values).norm())


def test_samples_cross_the_border_the_shortest_way_and_stop_just_inside():
    decode, head = _half_planes()
    Z, predicted = _samples()
    wrong = _decoded(Z) != predicted
    assert int(wrong.sum()) > 100

    out = settle(decode, head, Z, predicted, reach=1.0)  # every sample is within reach

    torch.testing.assert_close(out[~wrong], Z[~wrong], rtol=0, atol=0)  # decoded as predicted: not moved
    assert bool((_decoded(out) == predicted).all())
    moved = out[wrong] - Z[wrong]
    assert float(moved[:, 1].abs().max()) < 1e-5  # straight towards the border
    past = out[wrong, 0].abs()  # how far inside the territory each sample stopped
    assert float(past.max()) <= STEP * _diagonal(Z) / 2 ** BISECT + 1e-5


def test_samples_beyond_reach_stay_where_they_were():
    decode, head = _half_planes()
    Z, predicted = _samples()
    wrong = _decoded(Z) != predicted
    reach = 0.1 * _diagonal(Z)
    near, far = wrong & (Z[:, 0].abs() < reach), wrong & (Z[:, 0].abs() > reach + STEP * _diagonal(Z))
    assert int(near.sum()) > 20 and int(far.sum()) > 20

    out = settle(decode, head, Z, predicted, reach=0.1)

    assert bool((_decoded(out[near]) == predicted[near]).all())
    torch.testing.assert_close(out[far], Z[far], rtol=0, atol=0)  # not half-way: where they were


def test_a_sample_walks_through_another_class_to_its_own():
    """Territories 0, 1, 2, 3 from left to right (class k scores -25 (x - k)^2): a sample predicted 2
    inside territory 0 crosses territory 1 when its own lies within reach, and stays put otherwise."""
    head = torch.nn.Linear(2, 4)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[0.0, 0.0], [50.0, 0.0], [100.0, 0.0], [150.0, 0.0]]))
        head.bias.copy_(torch.tensor([0.0, -25.0, -100.0, -225.0]))
    head.requires_grad_(False)
    Z = torch.tensor([[0.4, 0.0], [3.0, 0.0], [0.0, 1.0]])  # span: the diagonal of 3 x 1
    predicted = torch.tensor([2, 3, 0])
    far = settle(lambda z: z, head, Z, predicted, reach=0.3)  # 0.95 of the map: territory 2 begins 1.1 away
    torch.testing.assert_close(far, Z, rtol=0, atol=0)
    near = settle(lambda z: z, head, Z, predicted, reach=0.5)
    assert int(head(near[:1]).argmax(1)) == 2 and 1.5 < float(near[0, 0]) < 1.5 + STEP * _diagonal(Z) / 2 ** BISECT + 1e-5
    torch.testing.assert_close(near[1:], Z[1:], rtol=0, atol=0)


def test_nothing_to_settle():
    decode, head = _half_planes()
    Z = torch.tensor([[0.3, 0.0], [-0.3, 0.0]])
    assert settle(decode, head, Z, torch.tensor([1, 0]), reach=0.2) is Z
    assert settle(decode, head, Z, torch.tensor([0, 1]), reach=0.0) is Z  # settling turned off
    assert settle(decode, head, Z[:0], torch.tensor([], dtype=torch.long), reach=0.2).shape == (0, 2)
