"""Train the demo CNN and record every epoch; a rerun after a crash resumes at the next epoch."""

import shutil
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ttvis import atomic, statefile
from ttvis.demo import data as demo_data
from ttvis.demo.model import SmallCNN
from ttvis.errors import RunError
from ttvis.run import layout
from ttvis.run.reader import read_json
from ttvis.run.model_code import load_state_dict
from ttvis.run.recorder import Recorder

TRAIN_STATE = "demo_state.pt"  # in each epoch folder: optimiser and random state after it
SETTINGS = "demo.json"


def make_demo_run(out, *, data=None, epochs=20, seed=0, label_noise=0.0, backdoor=0.0, backdoor_target=0,
                  test_fraction=0.2, batch_size=64, lr=1e-3, force=False, progress=True, pace=0.0):
    """Create (or finish) a demo run in `out`. Returns the run folder.

    pace: least seconds per epoch (demo --live slows training down to be watched)."""
    if not 0 <= label_noise < 1:
        raise ValueError(f"label_noise must be in [0, 1), got {label_noise}")
    if not 0 <= backdoor < 1:
        raise ValueError(f"backdoor must be in [0, 1), got {backdoor}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    out = Path(out)
    settings = {"data": str(data) if data else "sklearn:load_digits", "epochs": epochs, "seed": seed,
                "label_noise": label_noise, "backdoor": backdoor, "backdoor_target": backdoor_target,
                "test_fraction": test_fraction, "batch_size": batch_size, "lr": lr}
    if force and out.exists():
        shutil.rmtree(out)
    if (out / SETTINGS).is_file():
        old = read_json(out / SETTINGS)
        if old != settings:
            changed = sorted(k for k in settings if old.get(k) != settings[k])
            raise RunError(out, f"holds a demo run made with other settings ({', '.join(changed)}); "
                                "pass --force to rebuild it or choose another --out")
    elif out.exists() and any(out.iterdir()):
        raise RunError(out, "exists and is not a demo run; choose another --out")

    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    images, labels, _ = demo_data.load_images(data)
    classes = [str(c) for c in range(int(labels.max()) + 1)]
    split = demo_data.stratified_split(labels, test_fraction, rng)
    ground_truth = {}
    if label_noise > 0:
        labels, ground_truth["label_noise"] = demo_data.flip_labels(labels, split, label_noise, len(classes), rng)
    if backdoor > 0:
        exclude = ground_truth.get("label_noise", {}).get("indices", [])
        images, labels, ground_truth["backdoor"] = demo_data.stamp_backdoor(
            images, labels, split, backdoor, backdoor_target, rng, exclude)
    inputs = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)

    atomic.write_json(out / SETTINGS, settings)
    rec = Recorder(out, labels=labels, split=split, classes=classes, inputs=inputs, images=images,
                   feature=lambda m, x: m.feature(x), head=lambda m: m.head, ground_truth=ground_truth,
                   name=out.name, extra={"demo": settings})
    model = SmallCNN(side=images.shape[1], n_classes=len(classes))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    start = 1
    if rec.epochs:  # resume after the last complete epoch, with the optimiser and random state saved in it
        last_dir = out / layout.EPOCHS / layout.epoch_dirname(rec.epochs[-1])
        model.load_state_dict(load_state_dict(last_dir / layout.CHECKPOINT))
        if (last_dir / TRAIN_STATE).is_file():
            state = statefile.read(last_dir / TRAIN_STATE, "demo training state")
            try:
                opt.load_state_dict(state["optimizer"])
                torch.set_rng_state(state["torch_rng"])
            except (KeyError, TypeError, ValueError, RuntimeError) as exc:
                raise RunError(last_dir / TRAIN_STATE, f"does not fit the demo model ({type(exc).__name__}); "
                                                       "pass --force to start the demo over") from None
        start = rec.epochs[-1] + 1
    if start > epochs:
        return out

    train = torch.from_numpy(np.flatnonzero(split == 0))
    x_train, y_train = inputs[train], torch.from_numpy(labels)[train]
    loss_fn = nn.CrossEntropyLoss()
    bar = tqdm(range(start, epochs + 1), desc=f"training {out.name}", unit="epoch", disable=not progress,
               initial=start - 1, total=epochs)
    test = split == 1
    for epoch in bar:
        started = time.monotonic()
        model.train()
        order = torch.randperm(len(train))
        for b in range(0, len(order), batch_size):
            i = order[b:b + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x_train[i]), y_train[i])
            loss.backward()
            opt.step()
        # the optimiser and random state go into the epoch's own folder, which appears whole or not at all,
        # so a resumed demo continues exactly as an uninterrupted one would
        state = statefile.to_bytes({"optimizer": opt.state_dict(), "torch_rng": torch.get_rng_state()})
        rec.record(model, epoch, extra_files={TRAIN_STATE: state})
        (out / layout.EPOCHS / layout.epoch_dirname(epoch - 1) / TRAIN_STATE).unlink(missing_ok=True)
        pred = np.load(out / layout.EPOCHS / layout.epoch_dirname(epoch) / layout.LOGITS).argmax(1)
        if test.any():
            bar.set_postfix(loss=f"{loss.item():.3f}", test_acc=f"{(pred[test] == labels[test]).mean():.3f}")
        time.sleep(max(0.0, pace - (time.monotonic() - started)))
    return out
