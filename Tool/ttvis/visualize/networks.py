"""The visualization model: an MLP encoder (D -> 2) and decoder (2 -> D), optionally told the epoch.

Inputs are standardised per epoch (mean and one scale, kept as buffers) so that one learning rate and
one reconstruction weight suit representations of any size; the decoder answers in the original units.
"""

import torch
from torch import nn


def mlp(sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VisModel(nn.Module):
    """Encoder + decoder for `n_epochs` epochs of `dim`-dimensional representations.

    With epoch_dim > 0 both halves also see a learned embedding of the epoch, so one model can serve
    every epoch (TimeVis) while each epoch keeps its own inverse map.
    """

    def __init__(self, dim, hidden=(128, 128), n_epochs=1, epoch_dim=0):
        super().__init__()
        self.dim, self.epoch_dim = int(dim), int(epoch_dim)
        hidden = [int(h) for h in hidden]
        self.encoder = mlp([self.dim + self.epoch_dim, *hidden, 2])
        self.decoder = mlp([2 + self.epoch_dim, *hidden[::-1], self.dim])
        self.epoch_embedding = nn.Embedding(n_epochs, self.epoch_dim) if self.epoch_dim else None
        if self.epoch_dim:  # epoch e's embedding is mix[e] @ rows: interpolation between keyframes' rows
            self.register_buffer("mix", torch.eye(n_epochs))
        self.register_buffer("mean", torch.zeros(n_epochs, self.dim))
        self.register_buffer("scale", torch.ones(n_epochs))

    def _with_epoch(self, h, e):
        if self.epoch_embedding is None:
            return h
        return torch.cat([h, self.mix.index_select(0, e) @ self.epoch_embedding.weight], dim=1)

    # index_select, not x[e]: on CPU advanced indexing of rows costs several times as much, and a
    # training step takes a dozen such gathers
    def normalise(self, x, e):
        return (x - self.mean.index_select(0, e)) / self.scale.index_select(0, e)[:, None]

    def encode(self, x, e):
        """x in original units (n, D), e epoch indices (n,) -> (n, 2)."""
        return self.encoder(self._with_epoch(self.normalise(x, e), e))

    def decode_normalised(self, z, e):
        return self.decoder(self._with_epoch(z, e))

    def denormalise(self, x, e):
        return x * self.scale.index_select(0, e)[:, None] + self.mean.index_select(0, e)

    def decode(self, z, e):
        return self.denormalise(self.decode_normalised(z, e), e)
