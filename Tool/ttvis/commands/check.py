"""Validate a run folder (ours or the original tool's classic layout). Prints one line per problem
naming the file and what is wrong; exits 1 if any."""

from pathlib import Path

HELP = "validate a run folder and report each problem on one line"


def add_arguments(p):
    p.add_argument("run", type=Path, help="the run folder")


def run(args):
    from ttvis.run.check import check_run

    problems = check_run(args.run)
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} problem(s) in {args.run}")
        return 1
    print(f"{args.run}: ok{_disk(args.run)}")
    return 0


def _disk(path):
    """', MB per epoch' for a run in our layout (what long runs need to plan their storage)."""
    from ttvis.run import layout
    from ttvis.run.reader import Run

    if not (path / layout.RUN_JSON).is_file():
        return ""
    run = Run(path)
    if not run.epochs:
        return ""
    total = sum(f.stat().st_size for e in run.epochs for f in run.epoch_dir(e).iterdir() if f.is_file())
    return f" ({total / len(run.epochs) / 1e6:.1f} MB per epoch, {total / 1e6:.1f} MB for {len(run.epochs)} epochs)"
