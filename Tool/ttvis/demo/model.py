"""The demo's subject model: a small CNN whose 64-d penultimate layer is the representation."""

from torch import nn


class SmallCNN(nn.Module):
    def __init__(self, side=8, n_classes=10, dim=64):
        super().__init__()
        pool = (lambda: nn.MaxPool2d(2)) if side >= 16 else (lambda: nn.Identity())
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), pool(),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), pool(),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),
            nn.Linear(32 * 16, dim), nn.ReLU(),
        )
        self.head = nn.Linear(dim, n_classes)

    def feature(self, x):
        return self.body(x)

    def prediction(self, f):
        return self.head(f)

    def forward(self, x):
        return self.head(self.body(x))
