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
TRAINING_INDEX = "index.json"  # optional: training samples an epoch used (imported classic runs); not a search index
VISUALIZE = "visualize"

TRAIN, TEST = 0, 1


def epoch_dirname(epoch: int) -> str:
    return f"epoch_{int(epoch)}"


def epoch_of(dirname):
    """The epoch named by epoch_dirname(epoch) (a folder's or a file's stem), else None."""
    prefix, _, digits = str(dirname).partition("_")
    if prefix != "epoch" or not (digits.isdigit() and digits.isascii()) or epoch_dirname(int(digits)) != str(dirname):
        return None  # "epoch_01" names no epoch: epoch 1's folder is "epoch_1"
    return int(digits)
