"""Compute each epoch's representations.npy and logits.npy from the run's model.py and checkpoint.pt
files (the model class's feature() and prediction()), for runs that keep model code, checkpoints and
dataset/inputs.npy but not (all of) the outputs. Epoch folders holding a checkpoint.pt that run.json
does not list yet are extracted and then added to it. Uses CUDA when present.

An interrupted extraction resumes at the first epoch still missing; --force recomputes every epoch."""

from pathlib import Path

HELP = "compute representations and logits of every epoch from the run's model.py and checkpoints"


def add_arguments(p):
    p.add_argument("run", type=Path, metavar="RUN", help="the run folder (with run.json, model.py, dataset/inputs.npy)")
    p.add_argument("--force", action="store_true", help="recompute epochs that already have them")
    p.add_argument("--batch-size", type=int, default=256, help="samples per forward pass (default 256)")


def run(args):
    from ttvis.run.check import check_run
    from ttvis.errors import RunError
    from ttvis.run.classic import is_classic
    from ttvis.run.extract import extract_run

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    path = args.run
    if is_classic(path):
        raise RunError(path, "is a classic run; convert it with `ttvis import-classic` (which extracts too)")
    done = extract_run(path, force=args.force, batch_size=args.batch_size)
    print(f"extracted {len(done)} epoch(s) in {path}")
    problems = check_run(path)
    for line in problems:
        print(line)
    return 1 if problems else 0
