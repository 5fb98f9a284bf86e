"""Build a visualization of a run: 2D positions for every epoch, decision territories (methods with an
inverse), model weights and quality metrics, under <run>/visualize/<method>/. Interrupted builds resume
where they stopped; a timevis build whose run has gained epochs is extended by them (earlier epochs stay
as they were); --force starts again.

methods (the projectors ttvis.visualize registers): timevis (one model for all epochs), dvi (one model per
epoch), pca, umap, aligned-umap, tsne."""

HELP = "project a run's representations to 2D and paint decision territories"

def add_arguments(p):
    p.add_argument("run", help="run folder")
    p.add_argument("--method", default="timevis", help="the projector (default timevis); see above")
    p.add_argument("--epochs", default=None, help="epochs to use, e.g. 1,5,10 or 1-10 (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="delete this method's outputs and build again")
    p.add_argument("--grid", type=int, default=256, help="territory grid side in pixels (default 256)")
    p.add_argument("--no-metrics", action="store_true", help="skip the quality metrics")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a projector parameter, e.g. --param max_passes=4 (JSON values)")


def parse_params(items):
    import json

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--param {item!r} must look like NAME=VALUE")
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            out[name] = value
    return out


def run(args):
    from tqdm import tqdm

    from ttvis.visualize.build import build_visualization

    params = parse_params(args.param)
    before = _built_epochs(args.run, args.method)
    bars = []  # opened at the first progress report, so that argument errors print alone

    def progress(fraction, message):
        if not bars:
            bars.append(tqdm(total=1000, desc=args.method, bar_format="{l_bar}{bar}| {elapsed} {postfix}"))
        bars[0].n = int(round(1000 * min(max(fraction, 0.0), 1.0)))
        bars[0].set_postfix_str(message[:60])

    try:
        store = build_visualization(args.run, args.method, seed=args.seed, epochs=args.epochs, force=args.force,
                                    progress=progress, grid=args.grid, evaluate=not args.no_metrics, **params)
    finally:
        if bars:
            bars[0].close()
    extension = (store.read_params().get("extensions") or [{}])[-1]
    if before and extension.get("epochs") == [e for e in store.epochs() if e not in before]:
        print(f"extended by {len(extension['epochs'])} epoch(s) in {extension['seconds']:.1f} s; earlier epochs kept "
              f"(the model now places them {extension.get('drift', 0):.2%} of the extent's diagonal away, on average)")
    summary = store.read_metrics().get("summary", {})
    if summary:
        from ttvis.visualize.evaluate import format_table

        print(format_table({args.method: {**summary, "build_seconds": store.read_params().get("build_seconds"),
                                          "epochs": len(store.epochs())}}))
        if "sample_train" in summary:
            print(f"metrics measured on {summary['sample_train']} training and {summary.get('sample_test', 0)} test "
                  "samples (a fixed seeded sample where a split is larger)")
    print(f"visualization ready: {store.dir}")
    return 0


def _built_epochs(run, method):
    """Epochs already built (to tell an extension from a build); empty when there is none."""
    from ttvis.visualize.outputs import VisOutputs

    try:
        return set(VisOutputs(run, method).epochs())
    except (ValueError, OSError):
        return set()
