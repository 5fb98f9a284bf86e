"""Quality metrics of a projection (ALGORITHMS.md, "Quality metrics"); each a function of arrays.

All neighbour searches are exact (KD-trees in 2D, blocked matrix products in high-D), so the numbers are
reproducible.
"""

import numpy as np
import torch

from ttvis.visualize.graph import cross_knn, knn, shared_neighbours

KS = (10, 15, 20)


def nn_preservation(X, Y, ks=KS):
    """{k: {"count": mean shared neighbours out of k, "fraction": count / k}} over the rows of X/Y."""
    kmax = min(max(ks), len(X) - 1)
    hi, _ = knn(X, kmax, exclude_self=True)
    lo, _ = knn(Y, kmax, exclude_self=True)
    return _shared_neighbours(hi, lo, ks, kmax)


def boundary_preservation(X, Y, XB, YB, ks=KS):
    """NN preservation restricted to neighbours among boundary points (XB high-D, YB their 2D)."""
    if XB is None or len(XB) == 0:
        return None
    kmax = min(max(ks), len(XB))
    hi, _ = cross_knn(X, XB, kmax)
    lo, _ = cross_knn(Y, YB, kmax)
    return _shared_neighbours(hi, lo, ks, kmax)


def _shared_neighbours(hi, lo, ks, kmax):
    """{k: {"count", "fraction"}} from neighbour index lists sorted nearest first."""
    out = {}
    for k in ks:
        kk = min(k, kmax)
        c = float(shared_neighbours(hi[:, :kk], lo[:, :kk]).mean())
        out[str(k)] = {"count": c, "fraction": c / kk}
    return out


def ppr(pred_original, pred_roundtrip):
    """Prediction preservation rate: share of samples whose prediction survives encode -> decode."""
    pred_original, pred_roundtrip = np.asarray(pred_original), np.asarray(pred_roundtrip)
    return float((pred_original == pred_roundtrip).mean()) if len(pred_original) else None


def trustworthiness(X, Y, n_neighbors=15, max_samples=1500, seed=0):
    """sklearn's trustworthiness (Venna and Kaski), on a seeded subsample of at most max_samples rows.

    Each map neighbour's high-D rank is counted (how many points are nearer) instead of sorting every
    row of the distance matrix, which is most of sklearn's time; the value is the same barring ties."""
    n, k = len(X), n_neighbors
    if n <= k * 2 + 1:
        return None
    if n > max_samples:
        idx = np.sort(np.random.default_rng(seed).choice(n, max_samples, replace=False))
        X, Y = X[idx], Y[idx]
        n = max_samples
    x = torch.from_numpy(np.asarray(X, np.float64))
    d = torch.cdist(x, x).fill_diagonal_(float("inf"))
    lo, _ = knn(Y, k, exclude_self=True)
    near = torch.gather(d, 1, torch.from_numpy(lo))                      # (n, k) their high-D distances
    rank = torch.stack([(d < near[:, j:j + 1]).sum(1) for j in range(k)], 1) + 1  # 1 = the nearest
    excess = (rank - k).clamp(min=0).sum().item()
    return float(1.0 - excess * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))


def _ranks(a):
    """Ranks along the last axis (ties averaged), as scipy.stats.rankdata(axis=-1)."""
    from scipy.stats import rankdata

    return rankdata(a, axis=-1)


def temporal_ranking(highs, lows, top=5):
    """Per epoch index t: temporal_ranking_against all the other epochs.

    highs: list over epochs of (n, D); lows: list of (n, 2). Returns (spearman[T], top_overlap[T]).
    """
    T = len(highs)
    out = [temporal_ranking_against(highs[t], lows[t], highs[:t] + highs[t + 1:], lows[:t] + lows[t + 1:], top)
           for t in range(T)]
    return [o[0] for o in out], [o[1] for o in out]


def temporal_ranking_against(high, low, ref_highs, ref_lows, top=5):
    """Mean over samples of the Spearman correlation between the rankings of the reference epochs by
    the sample's distance to itself in high-D and in 2D, and the overlap of the `top` nearest.

    high (n, D) and low (n, 2): one epoch; ref_highs / ref_lows: lists of the same for other epochs.
    (None, None) with fewer than 2 references."""
    if len(ref_highs) < 2:
        return None, None
    dh, dl = _distances_to(high, ref_highs), _distances_to(low, ref_lows)
    top = min(top, dh.shape[1])
    rh, rl = _ranks(dh), _ranks(dl)
    rh -= rh.mean(1, keepdims=True)
    rl -= rl.mean(1, keepdims=True)
    den = np.sqrt((rh ** 2).sum(1) * (rl ** 2).sum(1))
    rho = np.where(den > 0, (rh * rl).sum(1) / np.where(den > 0, den, 1), 0.0)
    th = np.argsort(dh, 1, kind="stable")[:, :top]
    tl = np.argsort(dl, 1, kind="stable")[:, :top]
    return float(rho.mean()), float(shared_neighbours(th, tl).mean() / top)


def _distances_to(x, refs):
    """(n, len(refs)): each row's distance to the same row of every reference (float16 references are
    widened by torch, several times faster than numpy)."""
    x = torch.from_numpy(np.asarray(x, np.float32))
    return torch.stack([torch.linalg.vector_norm(torch.from_numpy(np.asarray(r)).float() - x, dim=1)
                        for r in refs], 1).numpy()
