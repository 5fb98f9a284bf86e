"""`python -m ttvis VERB`: one module per verb under ttvis/commands, loaded lazily.

Each command module defines HELP, add_arguments(parser) and run(args) -> exit code, and imports
heavy libraries inside run() so that `--help` stays fast.
"""

import argparse
import importlib
import os
import sys
import warnings

VERBS = ["demo", "check", "extract", "import-classic", "train", "evaluate", "serve", "index", "suspicious",
         "export-labels"]


def _module(verb):
    return importlib.import_module(f"ttvis.commands.{verb.replace('-', '_')}")


def build_parser():
    from ttvis import __version__

    parser = argparse.ArgumentParser(
        prog="ttvis", description="Time-Travelling Visualizer: explore how a classifier's training unfolds.")
    parser.add_argument("--version", action="version", version=f"ttvis {__version__}")
    parser.add_argument("--model-timeout", type=float, metavar="SECONDS",
                        help="time limit of one call into a run's model.py code (default: the "
                             "TTVIS_MODEL_TIMEOUT environment variable, else 120)")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for verb in VERBS:
        mod = _module(verb)
        p = sub.add_parser(verb, help=mod.HELP, description=mod.__doc__ or mod.HELP,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "verb", None):
        parser.print_help()
        return 2
    if args.model_timeout is not None:
        if not args.model_timeout > 0:
            parser.error("--model-timeout must be a positive number of seconds")
        from ttvis.run.model_code import TIMEOUT_ENV

        os.environ[TIMEOUT_ENV] = repr(args.model_timeout)  # also seen by the server's build threads
    with warnings.catch_warnings():  # restores warnings.showwarning when main() returns
        held = []
        if args.verb != "serve":  # a server's warnings belong in its log as they come
            warnings.showwarning = lambda *w, **kw: held.append(w[:4]) if len(held) < 100 else None
        code = _run(args)
        if code == 0:  # warnings of a verb that worked are shown at its end; a failure says one line only
            for w in held:
                print(warnings.formatwarning(*w).rstrip(), file=sys.stderr)
        return code


def _run(args):
    from ttvis.errors import RunError

    try:
        return int(args._run(args) or 0)
    except RunError as exc:
        print(f"ttvis {args.verb}: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        if not _raised_here(exc):  # from deep inside a library: a bug, not the user's parameter
            return _internal(args, exc)
        print(f"ttvis {args.verb}: error: {exc}", file=sys.stderr)  # our check of a parameter refused it
        return 2
    except OSError as exc:  # e.g. the disk is full: name the file when the system does
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ttvis {args.verb}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ttvis {args.verb}: interrupted; run it again to resume", file=sys.stderr)
        return 130
    except Exception as exc:
        return _internal(args, exc)


def _internal(args, exc):
    if os.environ.get("TTVIS_DEBUG"):
        raise exc
    from ttvis.errors import first_line

    print(f"ttvis {args.verb}: internal error: {type(exc).__name__}: {first_line(exc, 300)} "
          "(set TTVIS_DEBUG=1 to see the traceback)", file=sys.stderr)
    return 3


def _raised_here(exc):
    """Whether the innermost Python frame of the exception's traceback is in this package."""
    import traceback
    from pathlib import Path

    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and Path(__file__).resolve().parent in Path(frames[-1].filename).resolve().parents
