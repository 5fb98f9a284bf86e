"""Baselines for comparison, thin wrappers around scikit-learn and umap-learn.

PCA has an inverse (so it paints territories); UMAP per epoch, AlignedUMAP and t-SNE embed the samples
they are fitted on (embeddings_) and have no inverse.
"""

import numpy as np
import torch

from ttvis import atomic
from ttvis.visualize.projector import Projector, register


class _Embedding(Projector):
    """Non-parametric methods: the fitted embedding of each epoch is the result."""
    has_transform = False
    has_inverse = False
    fits_on = "all"
    streams = False  # inputs are checked up front; aligned-umap needs every epoch at once

    def embedding(self, epoch):
        self._epoch_index(epoch)
        return self.embeddings_[epoch]

    def _validate_params(self):
        self._check_int("seed", 0)

    def _fit(self, X, *, heads, boundary, checkpoint_dir, progress):
        if checkpoint_dir is not None:
            checkpoint_dir.mkdir(parents=True, exist_ok=True)
        self.embeddings_ = {}
        for i, e in enumerate(self.epochs_):
            path = checkpoint_dir / f"embedding_epoch_{e}.npy" if checkpoint_dir is not None else None
            if path is not None and path.is_file():
                Y = np.load(path)
            else:
                if progress:
                    progress(i / len(self.epochs_), f"{self.name}: epoch {e}")
                Y = np.asarray(self._embed(X[e], i, self.embeddings_.get(self.epochs_[i - 1]) if i else None),
                               dtype=np.float32)
                if path is not None:
                    atomic.write_npy(path, Y)
            self.embeddings_[e] = Y

    def _state(self):
        return {f"epoch{i}": torch.from_numpy(self.embeddings_[e]) for i, e in enumerate(self.epochs_)}, {}

    def _load_state(self, state, meta):
        self.embeddings_ = {e: state[f"epoch{i}"].numpy() for i, e in enumerate(self.epochs_)}


@register
class UMAPPerEpoch(_Embedding):
    name = "umap"
    cost, slow_from, preference = 1, 30000, 2
    defaults = {"n_neighbors": 15, "min_dist": 0.1, "seed": 0}

    def _validate_params(self):
        super()._validate_params()
        self._check_int("n_neighbors", 2, 200)
        self._check_float("min_dist", 0.0, 3.0)

    def _embed(self, X, i, previous):
        import umap

        return umap.UMAP(n_neighbors=self.n_neighbors, min_dist=self.min_dist, random_state=self.seed,
                         n_jobs=1).fit_transform(X)


@register
class TSNEPerEpoch(_Embedding):
    name = "tsne"
    cost, slow_from, preference = 2, 10000, 4
    defaults = {"perplexity": 30.0, "seed": 0}

    def _validate_params(self):
        super()._validate_params()
        self._check_float("perplexity", 1.0, 1000.0)

    def _embed(self, X, i, previous):
        from sklearn.manifold import TSNE

        perplexity = min(self.perplexity, (len(X) - 1) / 3)
        init = "pca" if previous is None else previous / max(np.std(previous[:, 0]), 1e-6) * 1e-4
        return TSNE(n_components=2, perplexity=perplexity, init=init, random_state=self.seed).fit_transform(X)


@register
class AlignedUMAPProjector(_Embedding):
    name = "aligned-umap"
    cost, slow_from, preference = 3, 5000, 3
    min_epochs = 2
    defaults = {"n_neighbors": 15, "min_dist": 0.1, "alignment_regularisation": 0.01, "seed": 0}

    def _validate_params(self):
        super()._validate_params()
        self._check_int("n_neighbors", 2, 200)
        self._check_float("min_dist", 0.0, 3.0)
        self._check_float("alignment_regularisation", 0.0)

    def _fit(self, X, *, heads, boundary, checkpoint_dir, progress):
        import umap

        if len(X) < 2:
            raise ValueError("aligned-umap needs at least 2 epochs")
        n = len(next(iter(X.values())))
        relation = {i: i for i in range(n)}
        if progress:
            progress(0.0, f"aligned-umap over {len(X)} epochs")
        model = umap.AlignedUMAP(n_neighbors=self.n_neighbors, min_dist=self.min_dist, random_state=self.seed,
                                 alignment_regularisation=self.alignment_regularisation)
        model.fit([X[e] for e in self.epochs_], relations=[relation] * (len(X) - 1))
        self.embeddings_ = {e: np.asarray(y, np.float32) for e, y in zip(self.epochs_, model.embeddings_)}


@register
class PCAPerEpoch(Projector):
    """PCA of each epoch, signs aligned with the previous epoch so frames do not flip."""
    name = "pca"
    extendable, preference = True, 5
    defaults = {"seed": 0}

    def _validate_params(self):
        self._check_int("seed", 0)

    def _fit(self, X, *, heads, boundary, checkpoint_dir, progress):
        self.means_, self.components_ = [], []
        self._project(X, self.epochs_)

    def fit_more(self, X):
        """Add epochs after the fitted ones (incremental builds); earlier epochs keep their projections."""
        new = sorted(X)
        if new[0] <= self.epochs_[-1]:
            raise ValueError(f"new epochs must come after {self.epochs_[-1]}, got {new}")
        self._project(X, new)
        self.epochs_ = list(self.epochs_) + new
        return self

    def _project(self, X, epochs):
        for e in epochs:
            x = X[e]
            mean = x.mean(0)
            _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
            comp = vt[:2].astype(np.float32)
            if self.components_:
                signs = np.sign((comp * self.components_[-1]).sum(1))
                comp *= np.where(signs == 0, 1, signs)[:, None]
            else:  # deterministic orientation: largest loading positive
                comp *= np.sign(comp[np.arange(2), np.abs(comp).argmax(1)])[:, None]
            self.means_.append(mean.astype(np.float32))
            self.components_.append(comp)

    def _transform(self, X, i):
        return (X - self.means_[i]) @ self.components_[i].T

    def _inverse_transform(self, Z, i):
        return Z @ self.components_[i] + self.means_[i]

    def decode_tensor(self, Z, epoch):
        i = self._epoch_index(epoch)
        return Z @ torch.from_numpy(self.components_[i]) + torch.from_numpy(self.means_[i])

    def _state(self):
        state = {}
        for i in range(len(self.epochs_)):
            state[f"mean{i}"] = torch.from_numpy(self.means_[i])
            state[f"components{i}"] = torch.from_numpy(self.components_[i])
        return state, {}

    def _load_state(self, state, meta):
        n = len(self.epochs_)
        self.means_ = [state[f"mean{i}"].numpy() for i in range(n)]
        self.components_ = [state[f"components{i}"].numpy() for i in range(n)]
