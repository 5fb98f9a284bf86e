"""Start the Time-Travelling Visualizer server: `python server.py [--root DIR] [--port 5000] ...`.

Options are those of `ttvis serve` (`python server.py --help`): --root, --host, --port, --threads, --cors,
--allow-host (host names answered besides loopback and --host), --milvus.

A thin launcher for `ttvis serve` that works from a checkout without installing the package.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "Tool"))

from ttvis.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
