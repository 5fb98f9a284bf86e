"""What TimeVis and DVI share: parameters, the per-epoch graph (samples + boundary samples), and the
encoder/decoder-based transform and inverse."""

import io

import numpy as np
import torch

from ttvis import atomic
from ttvis.visualize import graph as G
from ttvis.visualize import settling
from ttvis.visualize.networks import VisModel
from ttvis.visualize.projector import Projector, resolve_device
from ttvis.visualize.training import EdgeTrainer, head_probabilities

COMMON_DEFAULTS = {
    "n_neighbors": 15,            # kNN size of the fuzzy simplicial set
    "min_dist": 0.1,              # UMAP's a, b curve
    "hidden": (64, 64),           # encoder widths (the decoder mirrors them)
    "negative_rate": 5,           # negatives per positive edge
    "lr": 1e-2,
    "weight_decay": 1e-5,
    "batch_size": 2048,           # edges per step
    "samples_per_node": 3,        # edges sampled per graph node in one pass
    "landmarks": 5000,            # at most this many training samples of a trained epoch (0: all; sampling.py)
    "min_steps_per_pass": 40,     # ... but at least this many batches (small graphs still converge)
    "max_passes": 10,
    "patience": 2,                # early stop: passes without relative improvement >= tolerance
    "tolerance": 5e-3,
    "reconstruction_weight": 1.0,
    "prediction_weight": 5.0,     # prediction preservation (0 turns it off)
    "settle_reach": 0.2,          # how far (a share of the map's diagonal) a sample the decoder mispredicts may
                                  # move into its class's territory (settling.py; 0 turns it off; 0.1: MNIST
                                  # PPR 0.989 / 0.988 against 0.992 / 0.990)
    "seed": 0,
    "device": "auto",
}


class ParametricProjector(Projector):
    """Base of the encoder/decoder projectors."""
    uses_classifier, slow_from = True, 0
    retired = ("settle_steps", "settle_hold")  # settling's first form

    def _validate_params(self):
        self._check_int("n_neighbors", 2, 200)
        self._check_float("min_dist", 0.0, 3.0)
        if not isinstance(self.hidden, (tuple, list)) or not self.hidden or not all(
                isinstance(h, (int, np.integer)) and not isinstance(h, bool) and h >= 1 for h in self.hidden):
            raise ValueError(f"hidden must be a non-empty list of positive layer widths, got {self.hidden!r}")
        self._check_int("negative_rate", 1, 100)
        self._check_float("lr", 0.0, 1.0, low_open=True)
        self._check_float("weight_decay", 0.0, 1.0)
        self._check_int("batch_size", 16)
        self._check_float("samples_per_node", 0.0, low_open=True)
        self._check_int("min_steps_per_pass", 1)
        self._check_int("landmarks", 0)
        self._check_int("max_passes", 1)
        self._check_int("patience", 1)
        self._check_float("tolerance", 0.0, 1.0)
        self._check_float("reconstruction_weight", 0.0)
        self._check_float("prediction_weight", 0.0)
        self._check_float("settle_reach", 0.0, 1.0)
        self._check_int("seed", 0)
        if self.device not in ("auto", "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")

    def _ab(self):
        from umap.umap_ import find_ab_params

        a, b = find_ab_params(1.0, self.min_dist)
        return float(a), float(b)

    def _epoch_graph(self, Xt, Bt, seed):
        """Fuzzy graph over one epoch's samples followed by its boundary samples.

        Returns rows, cols, weights (local node ids, both directions) and the samples' kNN ids
        (boundary neighbours as -1) for temporal similarity.
        """
        nodes = Xt if Bt is None or len(Bt) == 0 else np.concatenate([Xt, Bt])
        k = min(self.n_neighbors, len(nodes) - 1)
        idx, dist = G.knn(nodes, k, seed=seed)
        rows, cols, w = G.fuzzy_graph(nodes, k, seed=seed, knn_result=(idx, dist), both_directions=True)
        sample_knn = np.where(idx[:len(Xt), 1:] < len(Xt), idx[:len(Xt), 1:], -1)
        return rows, cols, w, sample_knn

    def _new_model(self, n_epochs, epoch_dim, means, scales):
        model = VisModel(self.dim_, self.hidden, n_epochs=n_epochs, epoch_dim=epoch_dim)
        model.mean.copy_(torch.as_tensor(np.stack(means)))
        model.scale.copy_(torch.as_tensor(np.asarray(scales, dtype=np.float32)))
        return model

    @staticmethod
    def _stats(X):
        mean = X.mean(0)
        scale = float(np.sqrt(((X - mean) ** 2).mean())) or 1.0  # per-entry RMS: predicting the mean costs 1
        return mean.astype(np.float32), scale

    def _trainer(self, model, nodes, E, rows, cols, w, heads, seed, penalty=None, anchors=None, lr=None, pass_nodes=0,
                 min_steps=None, **layout):
        """An EdgeTrainer with this projector's settings; `layout`: positions, layout_weight, detach_decoder.
        pass_nodes: passes as long as on a graph of that many nodes when the graph samples more."""
        targets = head_probabilities(heads, nodes, E) if heads is not None and self.prediction_weight else None
        a, b = self._ab()
        pass_size = max(int(self.samples_per_node * max(len(nodes), pass_nodes)), (min_steps or self.min_steps_per_pass) * self.batch_size)
        return EdgeTrainer(model, nodes, E, rows, cols, w, a=a, b=b, lr=lr or self.lr, weight_decay=self.weight_decay,
                           batch_size=self.batch_size, pass_size=pass_size,
                           max_passes=self.max_passes, patience=self.patience, tolerance=self.tolerance,
                           negative_rate=self.negative_rate, reconstruction_weight=self.reconstruction_weight,
                           prediction_weight=self.prediction_weight, targets=targets, heads=heads,
                           penalty=penalty, anchors=anchors, seed=seed, device=resolve_device(self.device), **layout)

    # -- transform through a model ---------------------------------------------------------
    def _model_for(self, i):
        """(model, epoch index inside that model) for epoch index i."""
        raise NotImplementedError

    def _transform(self, X, i, batch=65536):
        model, j = self._model_for(i)
        dev = next(model.parameters()).device
        out = []
        with torch.no_grad():
            model.eval()
            for s in range(0, len(X), batch):
                x = torch.tensor(X[s:s + batch]).to(dev)
                out.append(model.encode(x, torch.full((len(x),), j, dtype=torch.long, device=dev)).cpu())
        return torch.cat(out).numpy() if out else np.empty((0, 2), np.float32)

    def _decoder(self, epoch):
        """(decode: 2D points -> representations of `epoch`, as a differentiable function, device)."""
        model, j = self._model_for(self._epoch_index(epoch))
        dev = next(model.parameters()).device
        model.eval()
        return (lambda z: model.decode(z, torch.full((len(z),), j, dtype=torch.long, device=dev))), dev

    def decode_tensor(self, Z, epoch):
        """Decode a float32 tensor of 2D points (no grad) to representations, on the model's device."""
        decode, dev = self._decoder(epoch)
        with torch.no_grad():
            return decode(Z.to(dev))

    def settle(self, Y, epoch, head, predicted):
        if not self.settle_reach:
            return Y
        decode, dev = self._decoder(epoch)
        Z = settling.settle(decode, head.to(dev).eval(), torch.as_tensor(np.asarray(Y, np.float32), device=dev),
                            torch.as_tensor(np.asarray(predicted), dtype=torch.long, device=dev),
                            reach=self.settle_reach)
        return Z.cpu().numpy()

    def _inverse_transform(self, Z, i, batch=65536):
        epoch = self.epochs_[i]
        parts = [self.decode_tensor(torch.from_numpy(Z[s:s + batch]), epoch).cpu() for s in range(0, len(Z), batch)]
        return torch.cat(parts).numpy() if parts else np.empty((0, self.dim_), np.float32)


def save_npz(path, **arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic.write_bytes(path, buf.getvalue())


def heads_by_row(heads, epochs, trained):
    """{model row: head} for the `trained` epochs among the model's `epochs` (None without heads)."""
    if heads is None:
        return None
    missing = [e for e in trained if e not in heads]
    if missing:
        raise ValueError(f"heads lacks epochs {missing}")
    return {epochs.index(e): heads[e] for e in trained}
