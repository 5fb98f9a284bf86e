"""File names of a run folder, in one place (SPEC.md describes them)."""

FORMAT = "ttvis-run"
VERSION = 1

RUN_JSON = "run.json"
DATASET = "dataset"
LABELS = "dataset/labels.npy"
SPLIT = "dataset/split.npy"
IMAGES = "dataset/images.npy"
INPUTS = "dataset/inputs.npy"
GROUND_TRUTH = "dataset/ground_truth.json"
EPOCHS = "epochs"
REPRESENTATIONS = "representations.npy"
LOGITS = "logits.npy"
HEAD = "head.pt"
CHECKPOINT = "checkpoint.pt"
INDEX = "index.json"  # optional: training samples an epoch used (imported classic runs)
VISUALIZE = "visualize"

TRAIN, TEST = 0, 1


def epoch_dirname(epoch: int) -> str:
    return f"epoch_{int(epoch)}"
