"""Make a demo run: train a small CNN on real digits (scikit-learn's load_digits, or any images/labels
npz), recording every epoch. Rerunning after an interruption resumes where it stopped.

  ttvis demo --live      # serve the run while it trains and watch it learn in the browser
"""

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
    p.add_argument("--live", action="store_true",
                   help="serve the run while it trains (an epoch every LIVE_PACE seconds at least) and keep "
                        "serving afterwards; the page follows the newest epoch")
    p.add_argument("--port", type=int, default=5000, help="port to serve on with --live (default 5000; 0 = any free)")


LIVE_PACE = 1.5  # seconds per epoch at least with --live: the digits CNN trains faster than one can watch


def run(args):
    from ttvis.demo.data import load_images  # noqa: F401 (fails early on a bad --data)
    from ttvis.demo.train import make_demo_run
    from ttvis.paths import default_data_root

    out = args.out
    if out is None:
        name = "digits" if args.data is None else Path(args.data).stem
        out = default_data_root() / name
    server = None
    if args.live:
        from urllib.parse import quote

        from ttvis.commands.serve import BackgroundServer

        Path(out).parent.mkdir(parents=True, exist_ok=True)
        server = BackgroundServer(Path(out).parent, args.port)
        server.follow(Path(out).name)
        print(f"ttvis: watch it learn at {server.url}?run={quote(Path(out).name)}&follow=1", flush=True)
    try:
        out = make_demo_run(out, data=args.data, epochs=args.epochs, seed=args.seed, label_noise=args.label_noise,
                            backdoor=args.backdoor, backdoor_target=args.backdoor_target, force=args.force,
                            pace=LIVE_PACE if args.live else 0.0)
        if not args.no_check:
            from ttvis.run.check import check_run

            problems = check_run(out)
            if problems:
                for p in problems:
                    print(p)
                return 1
        print(f"run ready: {out}", flush=True)
        if server is not None:
            print(f"ttvis: still serving at {server.url} (Ctrl+C stops)", flush=True)
            server.thread.join()
    except KeyboardInterrupt:
        if server is None:
            raise
        print("ttvis: stopped (running the same command again resumes the training)")
    finally:
        if server is not None:
            server.stop()  # also when training is interrupted: its threads would keep the process alive
    return 0
