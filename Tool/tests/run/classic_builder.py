"""Build a tiny run in the original tool's classic layout (used by the run-format tests)."""

import json
import textwrap


CLASSIC_MODEL = textwrap.dedent('''
    from torch import nn


    class TinyNet(nn.Module):
        """8x8 grey images -> 16-d representation -> 3 classes."""

        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU())
            self.fc = nn.Linear(16, 3)

        def feature(self, x):
            return self.body(x)

        def prediction(self, f):
            return self.fc(f)

        def forward(self, x):
            return self.prediction(self.feature(x))
''')

CLASSIC_EPOCHS = [1, 3, 5]  # EPOCH_START 1, EPOCH_END 5, EPOCH_PERIOD 2
N_TRAIN, N_TEST = 60, 24


def build_classic_run(root, seed=0):
    """Write a classic-layout run: config.json, Model/model.py, three epochs of a briefly trained
    TinyNet, and train/test tensors normalised like the original tool's datasets (mean/std)."""
    import torch

    root.mkdir(parents=True)
    config = {"DVI": {
        "SETTING": "normal", "CLASSES": ["ring", "bar", "dot"], "GPU": "0", "DATASET": "tiny",
        "EPOCH_START": 1, "EPOCH_END": 5, "EPOCH_PERIOD": 2,
        "TRAINING": {"NET": "TinyNet", "num_class": 3, "train_num": N_TRAIN, "test_num": N_TEST,
                     "loader_tr_args": {"batch_size": 16}},
        "VISUALIZATION": {"PREPROCESS": 1, "BOUNDARY": {"B_N_EPOCHS": 1, "L_BOUND": 0.5},
                          "EPOCH_NUM": 3, "RESOLUTION": 300},
    }}
    (root / "config.json").write_text(json.dumps(config, indent=2))
    (root / "Model").mkdir()
    (root / "Model" / "model.py").write_text(CLASSIC_MODEL)
    g = torch.Generator().manual_seed(seed)
    n = N_TRAIN + N_TEST
    labels = torch.arange(n) % 3
    x = torch.rand(n, 1, 8, 8, generator=g) * 0.3
    x[labels == 0, :, 2:6, 2:6] += 0.7
    x[labels == 1, :, :, 3:5] += 0.7
    x[labels == 2, :, 3:5, 3:5] += 0.7
    x = (x - 0.4) / 0.3
    for folder, prefix, part in (("Training_data", "training", slice(0, N_TRAIN)),
                                 ("Testing_data", "testing", slice(N_TRAIN, n))):
        (root / folder).mkdir()
        torch.save(x[part].clone(), root / folder / f"{prefix}_dataset_data.pth")
        torch.save(labels[part].clone(), root / folder / f"{prefix}_dataset_label.pth")

    ns = {}
    exec(CLASSIC_MODEL, ns)
    torch.manual_seed(seed)
    model = ns["TinyNet"]()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(1, 6):
        for _ in range(3):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[:N_TRAIN]), labels[:N_TRAIN]).backward()
            opt.step()
        if epoch in CLASSIC_EPOCHS:
            d = root / "Model" / f"Epoch_{epoch}"
            d.mkdir()
            torch.save(model.state_dict(), d / "subject_model.pth")
            (d / "index.json").write_text(json.dumps(list(range(0, N_TRAIN, 1 + epoch % 2))))
    return root
