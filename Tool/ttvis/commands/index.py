"""Index a run for similarity search in Milvus: every epoch's representations and every sample's
training trajectory. Incremental and resumable: epochs already indexed are skipped, an interrupted
one is redone.

  ttvis index training_dynamic/digits                                  # Milvus Lite (default)
  ttvis index training_dynamic/digits --milvus http://127.0.0.1:19530  # a Milvus server

By default the Milvus Lite database is <data root>/.milvus/ttvis.db, the one `ttvis serve` uses, and
only one process can open it: while the server runs, let it index (it does so on the first search) or
use a Milvus server (docker compose up -d).
"""

from pathlib import Path

HELP = "index a run in Milvus for similarity search (representations and trajectories)"


def add_arguments(p):
    p.add_argument("run", type=Path, help="the run folder")
    p.add_argument("--milvus", default=None, metavar="URI",
                   help="Milvus Lite file (*.db) or server URI (http://host:19530); default: TTVIS_MILVUS_URI "
                        "or <run's parent>/.milvus/ttvis.db")
    p.add_argument("--epochs", type=int, nargs="+", default=None, help="index only these epochs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args):
    import time

    from ttvis.run.reader import Run
    from ttvis.search import RunIndex, connect, default_uri

    run_ = Run(args.run)
    if args.epochs:
        missing = sorted(set(args.epochs) - set(run_.epochs))
        if missing:
            raise ValueError(f"--epochs: the run has no epoch {missing[0]} (it has {run_.epochs[0]}..{run_.epochs[-1]})")
    uri = args.milvus or default_uri(args.run)
    start = time.perf_counter()
    index = RunIndex(connect(uri), run_)
    info = index.index_all(epochs=args.epochs, progress=not args.quiet)
    print(f"{args.run}: {len(info['epochs'])} epoch(s) and trajectories of {run_.n} samples indexed in {uri} "
          f"({time.perf_counter() - start:.1f} s)")
    return 0
