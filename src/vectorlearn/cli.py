"""The ``vectorlearn`` command line: progress on stderr, results on stdout, ``--json`` for machines.

Every expected failure (bad data, bad options, unreadable files) prints one line to stderr and
exits with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import numpy as np
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ._version import __version__
from .data import BUILTIN, DEFAULT_DATASET, load_builtin
from .estimators import LogisticRegression

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vectorlearn",
        description="Train logistic regression and neural networks in vectorized matrix form.",
    )
    parser.add_argument("--version", action="version", version=f"vectorlearn {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = commands.add_parser(
        "train",
        help="train a model and report accuracy and log-loss",
        description=(
            "Train a model on a built-in data set (default: scikit-learn's breast cancer data), "
            "standardized, with a held-out validation split; print the cost as it trains, then "
            "the train and validation accuracy and log-loss."
        ),
    )
    train.add_argument(
        "--dataset",
        choices=sorted(BUILTIN),
        default=DEFAULT_DATASET,
        help="built-in data set to train on (default: %(default)s)",
    )
    train.add_argument(
        "--solver",
        choices=["gd", "lbfgs"],
        default="gd",
        help="'gd': the lecture's batch gradient descent; 'lbfgs': SciPy's L-BFGS-B "
        "(default: %(default)s)",
    )
    train.add_argument(
        "--learning-rate",
        type=_learning_rate,
        default="auto",
        metavar="RATE",
        help="step size of 'gd', a positive number or 'auto' (default: %(default)s)",
    )
    train.add_argument(
        "--epochs",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="most epochs (gd) or iterations (lbfgs) (default: %(default)s)",
    )
    train.add_argument(
        "--C",
        type=_positive_float,
        default=1.0,
        dest="C",
        help="inverse L2 penalty strength, as in scikit-learn (default: %(default)s)",
    )
    train.add_argument(
        "--validation-fraction",
        type=_fraction,
        default=0.25,
        metavar="F",
        help="share of examples held out for validation (default: %(default)s)",
    )
    train.add_argument(
        "--seed", type=int, default=0, help="seed of the validation split (default: %(default)s)"
    )
    train.add_argument("--json", action="store_true", help="print one JSON object as the result")
    train.add_argument("--quiet", action="store_true", help="do not print the cost while training")
    train.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _learning_rate(text: str):
    return "auto" if text == "auto" else _positive_float(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _positive_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r}")
    return value


class CostPrinter:
    """Prints the cost every ``every`` epochs to stderr, as the lecture's loop does."""

    def __init__(self, every: int = 10, stream=None):
        self.every, self.stream = every, stream or sys.stderr

    def __call__(self, info: dict) -> None:
        if info["epoch"] == 1 or info["epoch"] % self.every == 0:
            print(f"epoch {info['epoch']:>5}  cost {info['loss']:.6f}", file=self.stream)


def run_train(args) -> dict:
    X, y = load_builtin(args.dataset)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=args.validation_fraction, random_state=args.seed, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
    model = LogisticRegression(
        solver=args.solver, learning_rate=args.learning_rate, max_iter=args.epochs, C=args.C
    )
    callbacks = [] if args.quiet else [CostPrinter()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X_train, y_train, callbacks=callbacks)
    for warning in caught:
        print(f"vectorlearn: warning: {warning.message}", file=sys.stderr)
    return {
        "model": "LogisticRegression",
        "dataset": args.dataset,
        "solver": args.solver,
        "n_iter": model.n_iter_,
        "n_train": int(X_train.shape[0]),
        "n_validation": int(X_val.shape[0]),
        "train": _classification_metrics(model, X_train, y_train),
        "validation": _classification_metrics(model, X_val, y_val),
    }


def _classification_metrics(model, X, y) -> dict:
    proba = model.predict_proba(X)
    return {
        "accuracy": float(accuracy_score(y, model.classes_[np.argmax(proba, axis=1)])),
        "log_loss": float(log_loss(y, proba, labels=model.classes_)),
    }


def _print_results(result: dict) -> None:
    print(
        f"{result['model']} on {result['dataset']} ({result['solver']}, "
        f"{result['n_iter']} iterations; {result['n_train']} train, "
        f"{result['n_validation']} validation examples)"
    )
    print(f"{'':12}{'accuracy':>10}{'log-loss':>10}")
    for split in ("train", "validation"):
        m = result[split]
        print(f"{split:12}{m['accuracy']:>10.4f}{m['log_loss']:>10.4f}")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = run_train(args)
    except (ValueError, TypeError, OSError) as error:
        if args.debug:
            raise
        print(f"vectorlearn: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result))
    else:
        _print_results(result)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
