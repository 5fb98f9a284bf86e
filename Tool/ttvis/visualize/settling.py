"""Settling: each sample shown where the decoder's territory agrees with the classifier.

A map keeps neighbourhoods, a decoder paints territories, and the two disagree on a few samples: those
the classifier predicts against most of their neighbours, which a neighbourhood-keeping layout puts
among another class, where a smooth decoder paints that class (digits, 20 epochs: 3% of the training
samples, 20% of whose map neighbours share their prediction against 46% in high-D).

Each sample the decoder mispredicts walks, in steps of STEP of the map's diagonal, down the gradient
of the cross-entropy of its decoded prediction (through the frozen decoder and head). The step that
takes it across the border of its class's territory is halved BISECT times, so it stops just inside,
and its neighbourhood barely changes. A sample that has not arrived within `reach` of the map's
diagonal stays where it was: it lies deep among another class, by its neighbours, and a long jump would
break them. Samples the decoder gets right do not move. The test split and new data settle too: the
run records the classifier's prediction of every sample.

TimeVis, last epoch, PPR train / test and NN@15 train: digits 0.968 / 0.958 -> 0.995 / 0.994, NN@15
8.07 -> 8.04; MNIST 10k 0.946 / 0.948 -> 0.992 / 0.990, 5.26 -> 5.25. The first form of settling
(Adam against a quadratic hold on the start, only samples whose class was among the decoded top 3)
overshot near borders and stopped short of far ones: digits 0.990 / 0.989 at 7.98, MNIST 0.983 / 0.977
at 5.21. Steps of 0.4% without halving settle alike at twice the cost, which matters where the
classifier still guesses and most samples walk the whole reach in vain (synthetic 60k samples at
epoch 1, 54k mispredicted, 41 arriving: 42 s against 19 s; 0.6 s once it has learned)."""

import math

import torch
import torch.nn.functional as F

STEP = 0.008  # one step, as a share of the map's diagonal (MNIST, last epoch: 0.004 settles to PPR 0.992 /
              # 0.990 too, 0.01 to 0.990 / 0.990, 0.02 to 0.987 / 0.986: longer steps miss narrow territories)
BISECT = 2    # halvings of the step that crosses the border: a sample stops within STEP / 4 inside it,
              # under a cell of a 256-cell territory


def settle(decode, head, Z, predicted, *, reach, batch=65536):
    """Positions Z (n, 2) float32 tensor, with the samples that decode(Z) -> head does not predict as
    `predicted` (n,) moved into their class's territory where it lies within `reach` (a share of the
    map's diagonal) of them; every other sample unchanged."""
    if not reach or not len(Z):
        return Z
    rows = torch.nonzero(_misses(decode, head, Z, predicted, batch)).flatten()
    if not len(rows):
        return Z
    step = STEP * (float((Z.max(0).values - Z.min(0).values).norm()) or 1.0)
    z, want = Z[rows].clone(), predicted[rows]
    before = z.clone()  # where each sample was before its last step
    walking = torch.arange(len(rows), device=Z.device)
    arrived = torch.zeros(len(rows), dtype=torch.bool, device=Z.device)
    for _ in range(math.ceil(reach / STEP - 1e-9)):
        at = z[walking].requires_grad_(True)
        logits = head(decode(at))
        here = logits.detach().argmax(1) == want[walking]
        arrived[walking[here]] = True
        g, = torch.autograd.grad(F.cross_entropy(logits, want[walking], reduction="sum"), at)
        length = g.norm(dim=1, keepdim=True)
        on = ~here & (length[:, 0] > 0)  # a flat decoder leads nowhere
        walking, g, length = walking[on], g[on], length[on]
        if not len(walking):
            break
        before[walking] = z[walking]
        z[walking] -= step * g / length
    else:
        arrived[walking] = ~_misses(decode, head, z[walking], want[walking], batch)  # the last step's end
    done = torch.nonzero(arrived).flatten()
    outside, inside = before[done], z[done]
    with torch.no_grad():
        for _ in range(BISECT):
            mid = (outside + inside) / 2
            right = (head(decode(mid)).argmax(1) == want[done])[:, None]
            outside, inside = torch.where(right, outside, mid), torch.where(right, mid, inside)
    out = Z.clone()
    out[rows[done]] = inside
    return out


def _misses(decode, head, Z, predicted, batch):
    """Which of Z decode to another class than `predicted`."""
    with torch.no_grad():
        return torch.cat([head(decode(Z[s:s + batch])).argmax(1) != predicted[s:s + batch]
                          for s in range(0, len(Z), batch)])
