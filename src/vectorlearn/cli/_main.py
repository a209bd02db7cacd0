"""``main``: run one command; every expected failure is one line on stderr and exit status 2
(``--debug`` shows the traceback instead)."""

from __future__ import annotations

import json
import os
import sys

from ._arguments import Interrupted
from ._parser import build_parser

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what the shell reports for `cat big | head -1`


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else [str(word) for word in argv]
    args = build_parser(_command(argv)).parse_args(argv)
    try:
        status = _run(args)
        sys.stdout.flush()  # a closed pipe fails here, not in the interpreter's exit
        return status
    except Interrupted as stop:
        print(f"vectorlearn: interrupted: {stop}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("vectorlearn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`vectorlearn predict ... | head -1`)
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except (ValueError, TypeError, OSError, LookupError, RecursionError, MemoryError) as error:
        if args.debug:
            raise
        if isinstance(error, MemoryError):
            message = f"out of memory ({' '.join(str(error).split()) or 'MemoryError'})"
        elif isinstance(error, RecursionError):
            message = f"the input is nested too deeply ({error})"
        else:
            message = " ".join(str(error).split()) or type(error).__name__
        print(f"vectorlearn: error: {message}", file=sys.stderr)
        return EXIT_USAGE


def _discard_stdout() -> None:
    """Point standard output at the null device, so that Python's flush at exit does not
    report the broken pipe again (what the Python documentation recommends for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a file (e.g. captured by a test)


def _run(args) -> int:
    """Run the command ``args`` name and print its result; return the exit status. (Each
    command's module is imported here, so ``vectorlearn --help`` does not import pandas.)"""
    if args.command == "train":
        from .. import report
        from ._train import run_train

        result = run_train(args)
        print(json.dumps(result) if args.json else report.results_table(result))
    elif args.command == "predict":
        from ._predict import run_predict  # imports no scikit-learn for the CLI's own models

        run_predict(args)
    elif args.command in ("evaluate", "summary"):
        from . import _models

        if args.command == "evaluate":
            from .. import report  # scikit-learn's metrics, which predict does without

            result = _models.run_evaluate(args)
            print(json.dumps(result) if args.json else report.metrics_table(result["metrics"]))
        else:
            print(_models.run_summary(args))
    elif args.command == "playground":
        from ..playground import run as run_playground

        return run_playground(args)
    else:
        text, ok = _checker(args.command)(args)
        print(text)
        return 0 if ok else 1
    return 0


def _checker(command: str):
    """The function that runs ``command``, a check: it returns its text and whether it passed."""
    if command == "explain":
        from ..explain import run_explain

        return run_explain
    if command == "check-lab":
        from ..labs import run_check_lab

        return run_check_lab
    from ._models import run_gradcheck

    return run_gradcheck


def _command(argv) -> str | None:
    """The subcommand ``argv`` names: its first word that is not an option (``vectorlearn``'s
    own options, ``--help`` and ``--version``, take no value), or None."""
    return next((word for word in argv if not word.startswith("-")), None)
