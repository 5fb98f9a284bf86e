"""Rank a run's training samples by how suspicious they look (likely wrong labels, poisoned samples).

Each sample's 10 nearest training samples in input space (without inputs: in the representations, over
the epochs) vote when they carry another label, and so do those of its group in the last epoch's
representations; a small cluster set apart inside its class (a backdoor the model learned) weighs as
much; the training dynamics (low confidence in the given label, small area under the margin, late
learning, a probability path unlike the rest of its class) add one more vote that orders ties. Each
sample comes with its top one or two reasons. Marks (marks.json in the run folder, set through the
API) re-order the ranking: confirmed samples first, those marked fine last, and samples that learned
like confirmed ones rise. `ttvis export-labels` writes the corrected labels.

  ttvis suspicious training_dynamic/noisy                  # the 20 most suspicious samples
  ttvis suspicious training_dynamic/noisy --top 100 --json suspicious.json
"""

from pathlib import Path

HELP = "rank training samples likely to be mislabelled or poisoned"


def add_arguments(p):
    p.add_argument("run", type=Path, help="the run folder")
    p.add_argument("--top", type=int, default=20, metavar="K", help="how many samples to list (default 20)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the ranking to FILE as JSON")


def _known_bad(run):
    """{index: kind} from the run's ground truth (demo runs record what they injected)."""
    out = {}
    for kind, value in run.ground_truth().items():
        if isinstance(value, dict) and isinstance(value.get("indices"), list):
            out.update({int(i): kind for i in value["indices"]})
    return out


def run(args):
    from ttvis import atomic
    from ttvis.run.reader import Run
    from ttvis.suspicious import marks, rank_suspicious

    if args.top < 1:
        raise ValueError(f"--top must be at least 1, got {args.top}")
    run_ = Run(args.run)
    ranking = rank_suspicious(run_, top=args.top, marks=marks.load(run_))
    known = _known_bad(run_)
    names = ranking["signals"]
    short = {"low_confidence": "lowconf", "variability": "var", "low_margin": "-aum", "forgetting": "forget",
             "late_learning": "late", "trajectory_outlier": "traj", "representation_outlier": "repr",
             "neighbour_disagreement": "nbr", "group_disagreement": "group",
             "representation_disagreement": "repnbr", "spectral_group": "split",
             "out_of_sample_disagreement": "oos"}
    head = f"{'rank':>4} {'index':>6} {'label':>8} {'score':>6} " + " ".join(f"{short.get(n, n):>7}" for n in names)
    print(head + ("  known" if known else ""))
    for s in ranking["samples"]:
        label = run_.classes[int(run_.labels[s["index"]])]
        cells = " ".join(f"{s['signals'][n]:7.3f}" for n in names)
        line = f"{s['rank']:4d} {s['index']:6d} {label[:8]:>8} {s['score']:6.3f} {cells}"
        print(line + (f"  {known.get(s['index'], '')}" if known else ""))
        print(f"{'':12}" + "; ".join(s["reasons"]))
    if known:
        hits = sum(s["index"] in known for s in ranking["samples"])
        print(f"{hits} of these {len(ranking['samples'])} are recorded in the run's ground truth "
              f"({len(known)} injected in all)")
    if args.json:
        atomic.write_json(args.json, ranking)
        print(f"ranking written to {args.json}")
    return 0
