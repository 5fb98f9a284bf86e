"""Where things live by default."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_data_root() -> Path:
    """TTVIS_DATA_ROOT, else the repo's training_dynamic/ (or ./training_dynamic when installed elsewhere)."""
    env = os.environ.get("TTVIS_DATA_ROOT")
    if env:
        return Path(env)
    repo = REPO_ROOT / "training_dynamic"
    return repo if repo.parent.joinpath("Tool").is_dir() else Path("training_dynamic")
