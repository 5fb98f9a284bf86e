"""The Lightning callback records each epoch of a real (tiny, CPU) Trainer into a valid run."""

import numpy as np
import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch")


class Tiny(pl.LightningModule):
    def __init__(self, dim, n_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(dim, 16), nn.ReLU())
        self.fc = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.fc(self.body(x))

    def training_step(self, batch, _):
        x, y = batch
        return nn.functional.cross_entropy(self(x), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def _trainer(callback, epochs):
    return pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, callbacks=[callback])


def test_lightning_callback_records_every_epoch(tmp_path):
    from sklearn.datasets import load_digits

    from ttvis.integrations.lightning import Record
    from ttvis.run.check import check_run
    from ttvis.run.reader import Run

    torch.manual_seed(0)
    digits = load_digits()
    x = torch.tensor(digits.data[:300] / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target[:300])
    split = (np.arange(300) % 5 == 0).astype(np.uint8)
    train = torch.utils.data.TensorDataset(x[split == 0], y[split == 0])
    model = Tiny(64, 10)
    record = Record(tmp_path / "run", inputs=x, labels=y.numpy(), split=split, classes=[str(c) for c in range(10)],
                    feature=lambda m, x: m.body(x), head=lambda m: m.fc)
    _trainer(record, 3).fit(model, torch.utils.data.DataLoader(train, batch_size=64, shuffle=True))

    run = Run(tmp_path / "run")
    assert run.epochs == [1, 2, 3]
    assert check_run(tmp_path / "run") == []
    model.eval()
    with torch.no_grad():  # the last epoch holds the trained model's own outputs
        np.testing.assert_allclose(run.logits(3), model(x).numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(run.representations(3), model.body(x).numpy(), rtol=1e-5, atol=1e-5)
    assert not np.allclose(run.logits(1), run.logits(3))

    again = Record(tmp_path / "run", inputs=x, labels=y.numpy(), split=split, classes=[str(c) for c in range(10)],
                   feature=lambda m, x: m.body(x), head=lambda m: m.fc)
    with pytest.raises(ValueError, match="not after the last recorded epoch"):  # a fresh fit must not mix runs
        _trainer(again, 1).fit(Tiny(64, 10), torch.utils.data.DataLoader(train, batch_size=64))
