"""The training loop shared by the parametric projectors: sample graph edges by weight, minimise
UMAP cross-entropy + reconstruction (+ prediction preservation, + a parameter penalty), checkpoint
after every pass so that a killed job resumes to the same result."""

import math

import numpy as np
import torch

from ttvis import statefile
from ttvis.errors import RunError
from ttvis.visualize import losses
from ttvis.visualize.projector import cpu_threads


class EdgeTrainer:
    """Trains `model` on nodes X (M, D) of epochs E (M,) joined by directed weighted edges.

    targets (M, C) are the heads' softmax outputs for the prediction-preservation term (None: off);
    heads[i] is the head of epoch index i ({index: head} or a list). penalty(model) adds a term (DVI's
    parameter drift). anchors = (X (A, D), E (A,), Y (A, 2), weight): points whose encoding is pulled
    towards Y (incremental builds keep earlier epochs in place), a batch of them at every step.
    positions (M, 2): a target layout of the nodes (layout.py) that the encoder reproduces with weight
    layout_weight, in place of the UMAP loss (None: the UMAP loss shapes the map): each head where the
    layout has it and, with weight offset_weight (0: off, which saves encoding every edge's tail), each
    edge's offset as in the layout, where errors shared by neighbours cost nothing (it mattered while the
    encoder placed every sample: digits NN@15 7.1 -> 7.3, temporal ranking 0.70 -> 0.75; the layout's
    own positions are shown now). detach_decoder: the decoder's terms train the decoder only.
    decode_at ("encoder", "layout", "both"): with a layout, where the decoder's terms decode from: the
    encoder's output, the node's layout position (where TimeVis shows it), or both (every other edge).
    decoder_share: the decoder's terms learn from this share of each batch's heads (they cost most of a
    step).
    """

    def __init__(self, model, X, E, rows, cols, weights, *, a, b, lr, weight_decay, batch_size, pass_size,
                 max_passes, patience, tolerance, negative_rate, reconstruction_weight, prediction_weight,
                 targets=None, heads=None, penalty=None, anchors=None, positions=None, layout_weight=1.0,
                 offset_weight=0.0, decoder_share=1.0, detach_decoder=False, decode_at="encoder", seed=0,
                 device="cpu"):
        self.model = model.to(device)
        self.device = device
        self.X = torch.as_tensor(X, dtype=torch.float32, device=device)
        self.E = torch.as_tensor(E, dtype=torch.long, device=device)
        self.rows = torch.as_tensor(rows, dtype=torch.long, device=device)
        self.cols = torch.as_tensor(cols, dtype=torch.long, device=device)
        w = torch.as_tensor(weights, dtype=torch.float64)
        self.cum = torch.cumsum(w, 0).to(device)
        self.a, self.b = float(a), float(b)
        self.lr, self.batch_size, self.pass_size = lr, int(batch_size), int(pass_size)
        self.max_passes, self.patience, self.tolerance = int(max_passes), int(patience), float(tolerance)
        self.negative_rate = int(negative_rate)
        self.rw, self.pw = float(reconstruction_weight), float(prediction_weight)
        self.targets = None if targets is None else torch.as_tensor(targets, dtype=torch.float32, device=device)
        if heads is not None and not isinstance(heads, dict):
            heads = dict(enumerate(heads))
        self.heads = {i: h.to(device).eval().requires_grad_(False) for i, h in heads.items()} if heads else None
        self.penalty = penalty
        self.positions = None if positions is None else torch.as_tensor(positions, dtype=torch.float32, device=device)
        self.lw, self.ow, self.decoder_share = float(layout_weight), float(offset_weight), float(decoder_share)
        self.detach_decoder, self.decode_at = bool(detach_decoder), decode_at
        self.anchors = None
        if anchors is not None:
            ax, ae, ay, aw = anchors
            ay = torch.as_tensor(ay, dtype=torch.float32, device=device)
            span = float((ay.max(0).values - ay.min(0).values).norm()) or 1.0  # pull in units of the layout's size
            self.anchors = (torch.as_tensor(ax, dtype=torch.float32, device=device),
                            torch.as_tensor(ae, dtype=torch.long, device=device), ay / span, float(aw), span)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr, weight_decay=weight_decay)
        self.gen = torch.Generator(device="cpu").manual_seed(int(seed))
        self.history = []

    # -- checkpointing ------------------------------------------------------------------------
    def state_dict(self):
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                "generator": self.gen.get_state(), "history": list(self.history)}

    def load_state_dict(self, state):
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.gen.set_state(state["generator"])
        self.history = list(state["history"])

    def save(self, path):
        statefile.write(path, self.state_dict())

    def try_resume(self, path):
        if path is not None and path.is_file():
            state = statefile.read(path, "training checkpoint")
            try:
                self.load_state_dict(state)
            except (KeyError, TypeError, ValueError, RuntimeError) as exc:
                raise RunError(path, f"training checkpoint does not fit this build ({type(exc).__name__}); "
                                     "delete it to train from the start") from None
            return True
        return False

    # -- loop -----------------------------------------------------------------------------------
    def done(self):
        h = self.history
        if len(h) >= self.max_passes:
            return True
        if len(h) > self.patience:
            best_before = min(h[:-self.patience])
            if min(h[-self.patience:]) > best_before * (1 - self.tolerance):
                return True
        return False

    def _lr(self, p):
        return self.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p / max(1, self.max_passes))))

    def fit(self, checkpoint=None, on_pass=None):
        if self.device == "cpu":  # numba (umap-learn's graph code) resets torch's thread count
            torch.set_num_threads(cpu_threads())
        self.try_resume(checkpoint)
        while not self.done():
            p = len(self.history)
            for group in self.opt.param_groups:
                group["lr"] = self._lr(p)
            self.history.append(self._one_pass())
            if checkpoint is not None:
                self.save(checkpoint)
            if on_pass is not None:
                on_pass(len(self.history), self.max_passes, self.history[-1])
        return self.history

    def _one_pass(self):
        self.model.train()
        u = torch.rand(self.pass_size, generator=self.gen, dtype=torch.float64).to(self.device) * self.cum[-1]
        edges = torch.searchsorted(self.cum, u).clamp_max_(len(self.cum) - 1)
        total, count = 0.0, 0
        for s in range(0, len(edges), self.batch_size):
            e = edges[s:s + self.batch_size]
            loss = self._loss(self.rows[e], self.cols[e])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            total += float(loss.detach()) * len(e)
            count += len(e)
        return total / max(count, 1)

    def _loss(self, h, t):
        m = self.model
        eh, xh = self.E.index_select(0, h), self.X.index_select(0, h)
        zh = m.encode(xh, eh)
        if self.positions is None:
            loss = losses.umap_cross_entropy(zh, self._encode_rows(t), self.a, self.b, self.negative_rate,
                                             generator=self.gen)
        else:
            ph = self.positions.index_select(0, h)
            loss = losses.anchor(zh, ph)
            if self.ow:
                loss = loss + self.ow * losses.anchor(zh - self._encode_rows(t), ph - self.positions.index_select(0, t))
            loss = self.lw * loss
        if self.rw or self.pw:
            z = zh.detach() if self.detach_decoder else zh
            if self.positions is not None and self.decode_at != "encoder":
                shown = torch.ones(len(h), 1, dtype=torch.bool, device=self.device) if self.decode_at == "layout" \
                    else (torch.arange(len(h), device=self.device) % 2 == 1)[:, None]  # "both": every other edge
                z = torch.where(shown, ph, z)
            n = max(1, math.ceil(self.decoder_share * len(h)))  # edges come in random order: any n are a sample
            loss = loss + self._decoder_terms(z[:n], xh[:n], h[:n], eh[:n])
        if self.penalty is not None:
            loss = loss + self.penalty(m)
        if self.anchors is not None:
            ax, ae, ay, aw, span = self.anchors
            j = torch.randint(0, len(ax), (len(h),), generator=self.gen).to(self.device)
            loss = loss + aw * losses.anchor(m.encode(ax.index_select(0, j), ae.index_select(0, j)) / span,
                                             ay.index_select(0, j))
        return loss

    def _encode_rows(self, rows):
        """Encodings of nodes `rows` (the edges' tails)."""
        return self.model.encode(self.X.index_select(0, rows), self.E.index_select(0, rows))

    def _decoder_terms(self, z, x, h, eh):
        """Reconstruction and prediction preservation of nodes h (features x) decoded from 2D points z."""
        m, loss = self.model, 0.0
        xhat_n = m.decode_normalised(z, eh)
        if self.rw:
            loss = loss + self.rw * losses.reconstruction(m.normalise(x, eh), xhat_n)
        if self.pw and self.targets is not None:
            targets = self.targets.index_select(0, h)
            loss = loss + self.pw * losses.prediction_preservation(self.logits(m.denormalise(xhat_n, eh), eh), targets)
        return loss

    def logits(self, x, e):
        """Logits of representations x by the heads of their epoch indices e."""
        if len(self.heads) == 1:
            return next(iter(self.heads.values()))(x)
        # one gather into epoch order and one scatter back: masking each epoch's rows out of the batch
        # costs a batch-sized scatter per epoch in the backward pass
        order = torch.argsort(e, stable=True)
        epochs, counts = torch.unique_consecutive(e[order], return_counts=True)
        parts = torch.split(x[order], counts.tolist())
        out = torch.cat([self.heads[i](p) for i, p in zip(epochs.tolist(), parts)])
        return torch.empty_like(out).index_copy(0, order, out)


def head_probabilities(heads, X, E, batch=65536):
    """Softmax of each node's own epoch head (heads[epoch index]): (M, C) float32."""
    X = torch.as_tensor(X, dtype=torch.float32)
    E = np.asarray(E)
    out = None
    with torch.no_grad():
        for i in np.unique(E):
            idx = np.flatnonzero(E == i)
            for s in range(0, len(idx), batch):
                j = idx[s:s + batch]
                p = torch.softmax(heads[i](X[j]), 1)
                if out is None:
                    out = torch.empty((len(X), p.shape[1]))
                out[j] = p
    return out.numpy()
