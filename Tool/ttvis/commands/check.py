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
    print(f"{args.run}: ok")
    return 0
