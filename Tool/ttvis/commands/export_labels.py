"""Write the labels for the next training run: the run's labels with the marked corrections applied,
and the samples marked poisoned flagged as excluded (marks.json in the run folder; see `ttvis suspicious`).

  ttvis export-labels training_dynamic/noisy --out labels.csv

One row per sample: index, label (corrected), class, original_label, excluded (1 = leave it out), mark.
"""

from pathlib import Path

HELP = "write corrected labels and excluded samples from the run's marks as CSV"


def add_arguments(p):
    p.add_argument("run", type=Path, help="the run folder")
    p.add_argument("--out", type=Path, required=True, metavar="FILE", help="the CSV file to write")


def run(args):
    from ttvis import atomic
    from ttvis.run.reader import Run
    from ttvis.suspicious import marks

    run_ = Run(args.run)
    marked = marks.load(run_)
    atomic.write_bytes(args.out, marks.labels_csv(run_, marked).encode())
    kinds = [m["mark"] for m in marked.values()]
    print(f"{run_.n} labels written to {args.out}: {kinds.count('wrong_label')} corrected, "
          f"{kinds.count('poisoned')} excluded, {kinds.count('fine')} confirmed fine")
    return 0
