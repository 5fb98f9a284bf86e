"""TimeVis (Temporality Spatialization): ONE encoder/decoder for all epochs, trained on a graph with
spatial edges inside each epoch (UMAP's fuzzy simplicial set over samples + boundary samples) and
temporal edges joining each sample to itself in the next epoch, weighted by how much of its kNN set
survives. Unlike the original, both halves also see a learned epoch embedding, so each epoch keeps
its own inverse map while positions stay comparable across epochs."""

import numpy as np
import torch

from ttvis.visualize import graph as G
from ttvis.visualize.parametric import COMMON_DEFAULTS, ParametricProjector, heads_list, save_npz
from ttvis.visualize.projector import register


@register
class TimeVis(ParametricProjector):
    name = "timevis"
    # One model serves every epoch, so it needs more width than DVI's per-epoch models (64 wide
    # underfits), and smaller batches (more optimiser steps for the same edge samples) form a finer
    # layout; fewer samples per node pay for both. Digits / MNIST 10k NN@15: 4.1 -> 4.6, 2.0 -> 2.4.
    defaults = {**COMMON_DEFAULTS,
                "hidden": (128, 128),
                "batch_size": 512,
                "samples_per_node": 2,
                "epoch_dim": 8,            # size of the learned epoch embedding (0: plain TimeVis)
                "temporal_weight": 1.5,    # weight of temporal edges relative to spatial ones
                "subset": False}           # k-center greedy subset of each epoch's samples in the graph

    def _validate_params(self):
        super()._validate_params()
        self._check_int("epoch_dim", 0, 256)
        self._check_float("temporal_weight", 0.0)
        if not isinstance(self.subset, bool):
            raise ValueError(f"subset must be true or false, got {self.subset!r}")

    def _build_graph(self, X, boundary, checkpoint_dir):
        path = checkpoint_dir / "graph.npz" if checkpoint_dir is not None else None
        if path is not None and path.is_file():
            with np.load(path) as f:
                return {k: f[k] for k in f.files}
        rows, cols, ws, E, sample_ids, node_src = [], [], [], [], [], []
        offset, prev = 0, None
        for i, e in enumerate(self.epochs_):
            keep = (G.kcenter_greedy(X[e], seed=self.seed + i) if self.subset else np.arange(len(X[e])))
            Bt = None if boundary is None or boundary.get(e) is None else np.asarray(boundary[e], np.float32)
            r, c, w, sknn = self._epoch_graph(X[e][keep], Bt, self.seed + i)
            n_nodes = len(keep) + (0 if Bt is None else len(Bt))
            rows.append(r + offset), cols.append(c + offset), ws.append(w)
            E.append(np.full(n_nodes, i, np.int64))
            ids = np.concatenate([keep, np.full(n_nodes - len(keep), -1)])
            sample_ids.append(ids)
            node_src.append(np.stack([np.full(n_nodes, i), np.concatenate([keep, np.arange(n_nodes - len(keep))]),
                                      (ids < 0).astype(np.int64)], 1))
            cur = {"offset": offset, "keep": keep, "knn": np.where(sknn >= 0, keep[np.maximum(sknn, 0)], -1)}
            if prev is not None and self.temporal_weight > 0:
                r2, c2, w2 = self._temporal_edges(prev, cur)
                rows.append(np.concatenate([r2, c2])), cols.append(np.concatenate([c2, r2]))
                ws.append(np.concatenate([w2, w2]))
            prev = cur
            offset += n_nodes
        g = {"rows": np.concatenate(rows), "cols": np.concatenate(cols), "weights": np.concatenate(ws),
             "E": np.concatenate(E), "node_src": np.concatenate(node_src)}
        if path is not None:
            save_npz(path, **g)
        return g

    def _temporal_edges(self, prev, cur):
        """Edges (node in t-1, same sample's node in t) weighted by kNN overlap (samples only)."""
        common, ip, ic = np.intersect1d(prev["keep"], cur["keep"], return_indices=True)
        if len(common) == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
        overlap = _shared_ids(prev["knn"][ip], cur["knn"][ic])
        w = (self.temporal_weight * np.clip(overlap, 0.05, 1.0)).astype(np.float32)
        return (prev["offset"] + ip).astype(np.int64), (cur["offset"] + ic).astype(np.int64), w

    def _fit(self, X, *, heads, boundary, checkpoint_dir, progress):
        if checkpoint_dir is not None:
            checkpoint_dir.mkdir(parents=True, exist_ok=True)
        if progress:
            progress(0.0, "building the neighbourhood graph")
        g = self._build_graph(X, boundary, checkpoint_dir)
        nodes = _gather_nodes(g["node_src"], self.epochs_, X, boundary)
        stats = [self._stats(X[e]) for e in self.epochs_]
        torch.manual_seed(self.seed)
        model = self._new_model(len(self.epochs_), self.epoch_dim, [s[0] for s in stats], [s[1] for s in stats])
        trainer = self._trainer(model, nodes, g["E"], g["rows"], g["cols"], g["weights"],
                                heads_list(heads, self.epochs_), self.seed)
        on_pass = (lambda p, total, loss: progress(p / total, f"training pass {p}/{total}, loss {loss:.4f}")) \
            if progress else None
        self.history_ = trainer.fit(checkpoint_dir / "trainer.pt" if checkpoint_dir is not None else None, on_pass)
        self.model_ = trainer.model.eval()
        self.graph_size_ = {"nodes": int(len(nodes)), "edges": int(len(g["rows"]))}

    def _model_for(self, i):
        return self.model_, i

    def _state(self):
        return self.model_.state_dict(), {"history": self.history_, "graph_size": self.graph_size_}

    def _load_state(self, state, meta):
        from ttvis.visualize.networks import VisModel

        self.model_ = VisModel(self.dim_, self.hidden, n_epochs=len(self.epochs_), epoch_dim=self.epoch_dim)
        self.model_.load_state_dict(state)
        self.model_.eval()
        self.history_, self.graph_size_ = meta.get("history", []), meta.get("graph_size", {})


def _shared_ids(a, b):
    """Per row, how many valid ids (>= 0) two id arrays share, as a fraction of the row length."""
    hit = (a[:, :, None] == b[:, None, :]) & (a[:, :, None] >= 0)
    return hit.any(2).sum(1) / a.shape[1]


def _gather_nodes(node_src, epochs, X, boundary):
    """Node features from (epoch index, row, is_boundary) triples."""
    out = np.empty((len(node_src), next(iter(X.values())).shape[1]), np.float32)
    for i, e in enumerate(epochs):
        for is_b, src in ((0, X[e]), (1, None if boundary is None else boundary.get(e))):
            m = (node_src[:, 0] == i) & (node_src[:, 2] == is_b)
            if m.any():
                out[m] = np.asarray(src, np.float32)[node_src[m, 1]]
    return out
