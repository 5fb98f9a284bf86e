"""Compare every visualization built for a run: one row per method with NN preservation, boundary
preservation, prediction preservation (PPR), trustworthiness and temporal ranking at the last epoch.
Writes <run>/visualize/evaluation.json."""

HELP = "compare the quality of every visualization built for a run"


def add_arguments(p):
    p.add_argument("run", help="run folder")
    p.add_argument("--json", action="store_true", help="print the JSON instead of the table")


def run(args):
    import json

    from ttvis.errors import RunError
    from ttvis.visualize.evaluate import compare, format_table

    results = compare(args.run)
    if not results:
        raise RunError(args.run, "has no visualization yet; build one with `ttvis train RUN --method timevis`")
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0
