"""Convert a run in the original tool's classic layout (config.json with a "DVI" object, Model/model.py,
Model/Epoch_<e>/subject_model.pth, Training_data/ and Testing_data/ tensors) into a run folder of
this tool's format (SPEC.md). Samples keep their order: the training set first, then the test set.
Every epoch's representations and logits are extracted with the network's feature() and prediction().

An interrupted import resumes at the first epoch not yet converted. Check a classic run first with
`ttvis check SRC`."""

from pathlib import Path

HELP = "convert a run in the original tool's classic layout into this tool's run format"


def add_arguments(p):
    p.add_argument("src", type=Path, metavar="SRC", help="the classic run folder (holding config.json)")
    p.add_argument("dst", type=Path, nargs="?", default=None, metavar="DST", help="same as --out")
    p.add_argument("--out", type=Path, default=None, metavar="DST",
                   help="run folder to write (default: training_dynamic/<name of SRC>)")
    p.add_argument("--batch-size", type=int, default=256, help="samples per forward pass (default 256)")


def run(args):
    from ttvis.paths import default_data_root
    from ttvis.run.check import check_run
    from ttvis.run.classic import import_classic

    if args.dst is not None and args.out is not None and args.dst != args.out:
        raise ValueError(f"two destinations given ({args.dst} and --out {args.out}); give one")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    out = args.out or args.dst or default_data_root() / Path(args.src).resolve().name
    import_classic(args.src, out, batch_size=args.batch_size)
    problems = check_run(out)
    for line in problems:
        print(line)
    if problems:
        return 1
    print(f"run ready: {out}")
    return 0
