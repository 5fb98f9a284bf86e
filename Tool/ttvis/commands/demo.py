"""Make a demo run: train a small CNN on real digits (scikit-learn's load_digits, or any images/labels
npz), recording every epoch. Rerunning after an interruption resumes where it stopped."""

from pathlib import Path

HELP = "train a small CNN on real digits and record its training dynamics"


def add_arguments(p):
    p.add_argument("--out", type=Path, default=None,
                   help="run folder to write (default: training_dynamic/<data name>)")
    p.add_argument("--data", type=Path, default=None,
                   help="an .npz with 'images' (N,H,W) and 'labels' (N,) instead of the bundled digits")
    p.add_argument("--epochs", type=int, default=20, help="training epochs (default 20)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--label-noise", type=float, default=0.0, metavar="FRACTION",
                   help="flip the labels of this fraction of training samples (kept in ground_truth.json)")
    p.add_argument("--backdoor", type=float, default=0.0, metavar="FRACTION",
                   help="stamp a trigger patch on this fraction of training samples, relabelled to --backdoor-target")
    p.add_argument("--backdoor-target", type=int, default=0)
    p.add_argument("--force", action="store_true", help="delete an existing run at --out and start again")
    p.add_argument("--no-check", action="store_true", help="skip the final `check` of the run")


def run(args):
    from ttvis.demo.data import load_images  # noqa: F401 (fails early on a bad --data)
    from ttvis.demo.train import make_demo_run
    from ttvis.paths import default_data_root

    out = args.out
    if out is None:
        name = "digits" if args.data is None else Path(args.data).stem
        out = default_data_root() / name
    out = make_demo_run(out, data=args.data, epochs=args.epochs, seed=args.seed, label_noise=args.label_noise,
                        backdoor=args.backdoor, backdoor_target=args.backdoor_target, force=args.force)
    if not args.no_check:
        from ttvis.run.check import check_run

        problems = check_run(out)
        if problems:
            for p in problems:
                print(p)
            return 1
    print(f"run ready: {out}")
    return 0
