"""The ``vectorlearn`` command line: progress on stderr, results on stdout, ``--json`` for machines.

Every expected failure (bad data, bad options, unreadable files) prints one line to stderr and
exits with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import math
import os
import signal
import sys
import threading
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from . import report
from ._files import atomic_write, check_writable, remove_stale_temporaries
from ._version import __version__
from .data import BUILTIN, DEFAULT_DATASET
from .estimators import LogisticRegression, MLPClassifier, MLPRegressor
from .estimators._base import TrainingInterrupted
from .explain import add_explain_parser, run_explain
from .labs import add_check_lab_parser, run_check_lab
from .persist import load, load_info, save
from .tabular import (
    ColumnRoles,
    escape_formulas,
    feature_frame,
    fit_preprocessor,
    infer_roles,
    infer_task,
    read_table,
)

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what the shell reports for `cat big | head -1`
MODEL_FILE = "model.npz"
CHECKPOINT_FILE = "checkpoint.npz"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
PICTURES = ("learning_curve.png", "decision_boundary.png")
LOCK_FILE = ".lock"
RUN_FILES = (MODEL_FILE, CHECKPOINT_FILE, RUN_FILE, METRICS_FILE, *PICTURES)
# Options of train that fall back to a fixed default; the others depend on the task or model.
TRAIN_DEFAULTS = {
    "dataset": DEFAULT_DATASET,
    "activation": "relu",
    "alpha": 1e-4,
    "C": 1.0,
    "dropout": 0.0,
    "validation_fraction": 0.25,
    "seed": 0,
}
# The options that define a run: run.json stores them, --resume compares them.
RUN_OPTIONS = {
    "dataset": "--dataset",
    "target": "--target",
    "task": "--task",
    "model": "--model",
    "hidden": "--hidden",
    "activation": "--activation",
    "solver": "--solver",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate": "--learning-rate",
    "alpha": "--alpha",
    "C": "--C",
    "dropout": "--dropout",
    "early_stopping": "--early-stopping",
    "validation_fraction": "--validation-fraction",
    "seed": "--seed",
    "dtype": "--dtype",
    "drop": "--drop",
    "categorical": "--categorical",
    "numeric": "--numeric",
}


# ---- argument parsing ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vectorlearn",
        description="Train logistic regression and neural networks in vectorized matrix form.",
    )
    parser.add_argument("--version", action="version", version=f"vectorlearn {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")

    train = commands.add_parser(
        "train",
        parents=[common],
        help="train a model on a CSV/Parquet file or a built-in data set",
        description=(
            "Train on DATA (a .csv or .parquet file; --target names the column to predict) or, "
            "without DATA, on a built-in data set (default: scikit-learn's breast cancer data). "
            "Columns are sorted into numeric (median-imputed, standardized), categorical "
            "(most-frequent-imputed, one-hot) and dropped (ids, free text, empty). A validation "
            "split is held out. Writes a run folder with the model, metrics.json and "
            "learning_curve.png; prints the results table (or --json)."
        ),
    )
    train.add_argument("data", nargs="?", metavar="DATA", help="a .csv or .parquet file")
    train.add_argument("--target", help="the column to predict (needed with DATA)")
    train.add_argument(
        "--dataset",
        choices=sorted(BUILTIN),
        help=f"built-in data set used when no DATA is given (default: {DEFAULT_DATASET})",
    )
    train.add_argument(
        "--task",
        choices=["classification", "regression"],
        help="force the task (default: inferred from the target column)",
    )
    train.add_argument(
        "--model",
        choices=["logreg", "mlp"],
        help="logistic regression or a neural network (default: logreg for classification, "
        "mlp for regression)",
    )
    train.add_argument(
        "--hidden",
        type=_layer_sizes,
        metavar="N,N,...",
        help="hidden layer sizes of the mlp, e.g. 64,32 (default: 100)",
    )
    train.add_argument(
        "--activation",
        choices=["relu", "leaky_relu", "tanh", "sigmoid", "identity"],
        help="hidden activation of the mlp (default: relu)",
    )
    train.add_argument(
        "--solver",
        choices=["gd", "lbfgs", "momentum", "adam"],
        help="gd: the lecture's gradient descent; lbfgs: SciPy's L-BFGS-B; momentum, adam: "
        "mlp only (default: gd for logreg, adam for mlp)",
    )
    train.add_argument("--epochs", type=_positive_int, metavar="N", help="most epochs")
    train.add_argument(
        "--batch-size",
        type=_batch_size,
        metavar="N",
        help="examples per mini-batch of the mlp, 'full', or 'auto': min(200, m) (the default)",
    )
    train.add_argument(
        "--learning-rate",
        type=_learning_rate,
        metavar="RATE",
        help="step size: a positive number, or 'auto' for logreg's gd (default: auto for "
        "logreg, 0.001 for mlp)",
    )
    train.add_argument(
        "--alpha",
        type=_non_negative_float,
        help=f"L2 penalty of the mlp (default: {TRAIN_DEFAULTS['alpha']})",
    )
    train.add_argument(
        "--C",
        type=_positive_float,
        dest="C",
        help=f"inverse L2 penalty of logreg, as in scikit-learn (default: {TRAIN_DEFAULTS['C']})",
    )
    train.add_argument(
        "--dropout", type=_fraction, help="dropout rate of the mlp's hidden layers (default: 0)"
    )
    train.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop the mlp when the validation loss stops improving; keep the best epoch",
    )
    train.add_argument(
        "--validation-fraction",
        type=_fraction,
        metavar="F",
        help="share of rows held out for validation "
        f"(default: {TRAIN_DEFAULTS['validation_fraction']})",
    )
    train.add_argument("--seed", type=int, help="random seed (default: 0)")
    train.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        help="precision of training (default: float64 for logreg, float32 for mlp)",
    )
    for role in ("drop", "categorical", "numeric"):
        train.add_argument(
            f"--{role}",
            type=_names,
            action="extend",
            default=[],
            metavar="COL[,COL...]",
            help=f"treat these columns as {role if role != 'drop' else 'to be dropped'}",
        )
    train.add_argument(
        "--out",
        metavar="FOLDER",
        help="run folder to write (default: a new runs/<timestamp>); refused if it holds an "
        "earlier run, unless --overwrite",
    )
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="train into an --out folder that holds an earlier run: its model, checkpoint, "
        "metrics and pictures are deleted first",
    )
    train.add_argument(
        "--checkpoint-every",
        type=_non_negative_int,
        default=10,
        metavar="N",
        help="write RUN/checkpoint.npz every N epochs, to resume after a crash or Ctrl-C; 0: "
        "never (default: %(default)s; not for lbfgs)",
    )
    train.add_argument(
        "--resume",
        metavar="RUN",
        help="continue the run in folder RUN from its checkpoint; ends with the same model as "
        "an uninterrupted run. DATA and options left out are the run's; any given must equal "
        "the run's (refused otherwise)",
    )
    train.add_argument("--json", action="store_true", help="print one JSON object as the result")
    train.add_argument("--quiet", action="store_true", help="no progress or notes on stderr")

    predict = commands.add_parser(
        "predict",
        parents=[common],
        help="predict each row of a file with a trained model",
        description="Predict each row of DATA with MODEL (a run folder or its model.npz). "
        "Keeps the id column when the training data had one.",
    )
    predict.add_argument("model", metavar="MODEL")
    predict.add_argument("data", metavar="DATA")
    predict.add_argument("-o", "--output", help="CSV file to write (default: standard output)")
    predict.add_argument("--proba", action="store_true", help="add each class's probability")
    predict.add_argument(
        "--no-escape-formulas",
        action="store_true",
        help="write text cells that start with = + - @, a tab or a carriage return as they are "
        "(by default they get a leading single quote, so spreadsheets do not run them as "
        "formulas)",
    )
    predict.add_argument("--quiet", action="store_true", help="no notes on stderr")

    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        help="score a model on a labelled file",
        description="Score MODEL on DATA, which must hold the target column.",
    )
    evaluate.add_argument("model", metavar="MODEL")
    evaluate.add_argument("data", metavar="DATA")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    summary = commands.add_parser(
        "summary", parents=[common], help="show a model's column roles and layer shapes"
    )
    summary.add_argument("model", metavar="MODEL")

    gradcheck = commands.add_parser(
        "gradcheck",
        parents=[common],
        help="check backpropagation against finite differences on a small random network",
    )
    gradcheck.add_argument("--hidden", type=_layer_sizes, default=(5, 4), metavar="N,N,...")
    gradcheck.add_argument(
        "--activation",
        choices=["relu", "leaky_relu", "tanh", "sigmoid", "identity"],
        default="tanh",
    )
    gradcheck.add_argument("--seed", type=int, default=0)
    add_explain_parser(commands, common)
    add_check_lab_parser(commands, common)
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    return 0.0 if text.strip() in ("0", "0.0") else _positive_float(text)


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


def _non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else _positive_int(text)


def _batch_size(text: str):
    return text if text in ("full", "auto") else _positive_int(text)


def _fraction(text: str) -> float:
    value = _non_negative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction below 1, got {text!r}")
    return value


def _layer_sizes(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",")]
    if text.strip() in ("", "none"):
        return ()
    if any(p == "" for p in parts):
        raise argparse.ArgumentTypeError(f"empty layer size in {text!r}; write e.g. 64,32")
    return tuple(_positive_int(p) for p in parts)


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


# ---- progress -----------------------------------------------------------------------------------
class Progress:
    """A callback showing the epoch, cost and validation loss on stderr.

    A progress bar on a terminal; elsewhere (a log, a pipe) a plain line every ``every`` epochs,
    so logs stay readable; nothing with ``quiet``.
    """

    def __init__(self, total: int, quiet: bool, every: int = 10):
        self.quiet, self.every, self.bar = quiet, every, None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="epoch", file=sys.stderr, leave=False)

    def __call__(self, info: dict) -> None:
        if self.quiet:
            return
        text = f"cost {info['loss']:.6f}"
        if info["validation_loss"] is not None:
            text += f"  validation loss {info['validation_loss']:.6f}"
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(text, refresh=False)
        elif info["epoch"] == 1 or info["epoch"] % self.every == 0:
            print(f"epoch {info['epoch']:>5}  {text}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def note(text: str, quiet: bool = False) -> None:
    if not quiet:
        print(f"vectorlearn: {text}", file=sys.stderr)


# ---- train --------------------------------------------------------------------------------------
def run_train(args) -> dict:
    """Train as ``args`` say, in a new run folder, or continue an earlier run (``--resume``).

    The run folder is locked for the whole training (one run per folder), checked for
    writability before training starts, and gets ``run.json`` (the run's data and options,
    which ``--resume`` checks) before the first epoch.
    """
    if args.resume is not None:
        return _resume(args)
    _fill_defaults(args)
    prepared = _prepare(args)
    out, created = _make_run_folder(args.out)
    try:
        with _run_lock(out):
            try:
                _check_run_folder(out, args, prepared.model, resume=False)
                _write_run_file(out, args, prepared)
                return _train_in(out, args, prepared)
            except BaseException:
                if created and set(os.listdir(out)) <= {RUN_FILE, LOCK_FILE}:
                    _remove(os.path.join(out, RUN_FILE))  # nothing was trained: leave no trace
                raise
    except BaseException:
        if created and not os.listdir(out):
            os.rmdir(out)  # an error before anything was written leaves no empty run folder
        raise


def _resume(args) -> dict:
    run = args.resume
    if args.out is not None and os.path.abspath(args.out) != os.path.abspath(run):
        raise ValueError("--out starts a new run and --resume continues one: give only one")
    if args.overwrite:
        raise ValueError("--overwrite starts a new run; it does not go with --resume")
    if not os.path.isdir(run):
        raise ValueError(f"--resume {run}: no such run folder")
    with _run_lock(run):
        stored = _read_run_file(run)
        if stored is None:
            note(
                f"{run} has no {RUN_FILE} (an older vectorlearn made it), so the options cannot "
                "be checked against the run's: give the same data and options",
                args.quiet,
            )
        else:
            _take_stored_options(args, stored)
        _fill_defaults(args)
        if args.solver == "lbfgs":
            raise ValueError(
                "--resume needs an epoch-based solver (gd, momentum, adam); lbfgs keeps no "
                "checkpoints"
            )
        if not os.path.isfile(os.path.join(run, CHECKPOINT_FILE)):
            raise ValueError(
                f"--resume {run}: the folder holds no {CHECKPOINT_FILE} to continue from (the "
                "run stopped before its first checkpoint, or ran with --checkpoint-every 0); "
                "train it again"
            )
        prepared = _prepare(args)
        _check_run_folder(run, args, prepared.model, resume=True)
        if stored is None:
            _write_run_file(run, args, prepared)
        return _train_in(run, args, prepared)


def _fill_defaults(args) -> None:
    for name, value in TRAIN_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def _prepare(args):
    """Read the data, decide the column roles and the task, split, fit the preprocessing and
    make the model: everything that can fail on bad input, before the run folder is touched."""
    if args.data is None:
        frame, target, source = _builtin_frame(args.dataset)
        if args.target is not None:
            raise ValueError("--target goes with a DATA file; built-in data sets know theirs")
    else:
        if args.target is None:
            raise ValueError("give the column to predict with --target")
        frame, target, source = read_table(args.data), args.target, args.data
    roles = infer_roles(
        frame, target, drop=args.drop, categorical=args.categorical, numeric=args.numeric
    )
    frame = _rows_with_target(frame, target, args.quiet)
    task = args.task or infer_task(frame[target])
    y = _target_values(frame[target], task)
    for line in roles.notes:
        note(line, args.quiet)
    note(
        f"{task} of {target!r}; numeric: {_short(roles.numeric)}; "
        f"categorical: {_short(roles.categorical)}",
        args.quiet,
    )
    split = _split(feature_frame(frame, roles), y, task, target, args)
    preprocessor = fit_preprocessor(roles, split[0])
    model = _make_model(args, task)
    return SimpleNamespace(
        roles=roles,
        task=task,
        target=target,
        source=source,
        split=split,
        preprocessor=preprocessor,
        model=model,
    )


def _train_in(out, args, prepared) -> dict:
    model, roles, task = prepared.model, prepared.roles, prepared.task
    X_train, X_val, y_train, y_val = prepared.split
    preprocessor = prepared.preprocessor
    checkpoint = os.path.join(out, CHECKPOINT_FILE)
    options = {}
    if model.solver != "lbfgs":
        if args.checkpoint_every:
            options.update(checkpoint=checkpoint, checkpoint_every=args.checkpoint_every)
        if args.resume:
            options["resume"] = checkpoint
    progress = Progress(model.max_iter, args.quiet)
    ctrl_c = _StopOnCtrlC()
    interrupted = None
    with warnings.catch_warnings(record=True) as caught, ctrl_c.active(model.solver == "lbfgs"):
        warnings.simplefilter("always")
        try:
            model.fit(
                preprocessor.transform(X_train),
                y_train,
                validation_data=(preprocessor.transform(X_val), y_val),
                callbacks=[progress, ctrl_c],
                **options,
            )
        except TrainingInterrupted as stop:
            interrupted = str(stop)
        finally:
            progress.close()
    if ctrl_c.requested and interrupted is None:
        interrupted = (
            f"{type(model).__name__}: L-BFGS stopped by Ctrl-C after iteration {model.n_iter_}; "
            "the model holds the weights of that iteration"
        )
    for warning in caught:
        if issubclass(warning.category, (UserWarning, RuntimeWarning)):
            note(f"warning: {warning.message}", args.quiet)
    pipeline = Pipeline([("preprocess", preprocessor), ("model", model)])
    info = {"roles": roles.to_dict(), "task": task, "source": prepared.source}
    save(pipeline, os.path.join(out, MODEL_FILE), info=info)
    if interrupted is not None:
        again = "train again to go further (--overwrite reuses this folder)"
        if model.solver == "lbfgs":
            then = f"; L-BFGS keeps no checkpoints to resume from: {again}"
        elif os.path.exists(checkpoint):
            then = f"; resume from the checkpoint with --resume {out}"
        else:
            then = f"; no checkpoint was written yet (see --checkpoint-every): {again}"
        raise Interrupted(f"{interrupted}. Saved it to {os.path.join(out, MODEL_FILE)}{then}.")

    result = {
        "model": type(model).__name__,
        "dataset": prepared.source,
        "task": task,
        "target": prepared.target,
        "roles": {
            "numeric": roles.numeric,
            "categorical": roles.categorical,
            "dropped": roles.dropped,
            "id_column": roles.id_column,
        },
        "n_train": int(X_train.shape[0]),
        "n_validation": int(X_val.shape[0]),
        "n_iter": int(model.n_iter_),
        "train": report.metrics(pipeline, X_train, y_train, task),
        "validation": report.metrics(pipeline, X_val, y_val, task),
        "run_folder": out,
    }
    with atomic_write(os.path.join(out, METRICS_FILE), "w") as f:
        json.dump(result, f, indent=2)
    pictures = report.save_pictures(model, pipeline, roles, task, X_val, y_val, out)
    if pictures is None:
        note('pictures need matplotlib: pip install "vectorlearn[plot]"', args.quiet)
    return result


class Interrupted(Exception):
    """Ctrl-C stopped training; the model so far is saved (exit status 130)."""


class _StopOnCtrlC:
    """Ctrl-C for L-BFGS, which SciPy runs and the estimator cannot stop between mini-batches.

    While ``active``, a first Ctrl-C makes this callback return True, so L-BFGS stops after the
    current iteration and the model keeps that iteration's weights; a second Ctrl-C interrupts
    at once. (The epoch-based solvers handle Ctrl-C inside ``fit``; this callback then never
    fires.)
    """

    def __init__(self):
        self.requested = False

    def __call__(self, info) -> bool:
        return self.requested

    @contextlib.contextmanager
    def active(self, enabled: bool):
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum, frame):
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


# ---- the run folder: lock, checks, run.json -----------------------------------------------------
@contextlib.contextmanager
def _run_lock(folder):
    """Hold an exclusive lock on ``folder`` (``flock`` on ``folder/.lock``) or refuse at once.

    The lock file is removed on the way out; a run that opened it just before that sees that the
    file it locked is no longer the folder's and tries again. A killed run's lock file stays
    behind, unlocked: the kernel releases the lock with the process.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking
        yield
        return
    path = os.path.join(folder, LOCK_FILE)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as error:
            reason = error.strerror or error
            raise OSError(f"cannot create the lock file {path}: {reason}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ValueError(
                f"another vectorlearn run is using the folder {folder} (it holds {path}); wait "
                "for it to finish, or use another folder"
            ) from None
        except OSError as error:
            os.close(fd)
            raise OSError(f"cannot lock {path}: {error.strerror or error}") from None
        opened = os.fstat(fd)
        try:
            now = os.lstat(path)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino):
            break
        os.close(fd)  # the run before us removed the file between our open and our lock
    try:
        yield
    finally:
        _remove(path)
        os.close(fd)


def _remove(path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _check_run_folder(out, args, model, *, resume: bool) -> None:
    """Under the lock, before training: clear a killed run's temporary files, check that every
    file the run writes can be written, and (a new run) that no earlier run is in the way."""
    removed = remove_stale_temporaries(out, RUN_FILES)
    if removed:
        note(f"removed {len(removed)} temporary file(s) left by a run that was killed", args.quiet)
    names = [MODEL_FILE, RUN_FILE, METRICS_FILE, *PICTURES]
    if resume or (model.solver != "lbfgs" and args.checkpoint_every):
        names.append(CHECKPOINT_FILE)
    for name in names:
        check_writable(os.path.join(out, name))
    if resume:
        return
    earlier = [name for name in RUN_FILES if os.path.lexists(os.path.join(out, name))]
    if earlier and not args.overwrite:
        raise ValueError(
            f"the folder {out} holds an earlier run ({', '.join(earlier)}); continue it with "
            f"--resume {out}, replace it with --overwrite, or give another --out"
        )
    for name in earlier:
        os.remove(os.path.join(out, name))


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run_options(args, task: str) -> dict:
    """The options that define a run, each as given or as its default resolves for ``task``."""
    kind = args.model or ("logreg" if task == "classification" else "mlp")
    mlp = kind == "mlp"
    hidden = args.hidden if args.hidden is not None else ((100,) if mlp else None)
    return {
        "dataset": args.dataset if args.data is None else None,
        "target": args.target,
        "task": task,
        "model": kind,
        "hidden": None if hidden is None else list(hidden),
        "activation": args.activation,
        "solver": args.solver or ("adam" if mlp else "gd"),
        "epochs": args.epochs or (200 if mlp else 1000),
        "batch_size": args.batch_size or "auto",
        "learning_rate": args.learning_rate or (0.001 if mlp else "auto"),
        "alpha": args.alpha,
        "C": args.C,
        "dropout": args.dropout,
        "early_stopping": args.early_stopping,
        "validation_fraction": args.validation_fraction,
        "seed": args.seed,
        "dtype": args.dtype or ("float32" if mlp else "float64"),
        "drop": list(args.drop),
        "categorical": list(args.categorical),
        "numeric": list(args.numeric),
    }


RUN_FORMAT, RUN_FORMAT_VERSION = "vectorlearn-run", 1


def _write_run_file(out, args, prepared) -> None:
    data = {
        "format": RUN_FORMAT,
        "format_version": RUN_FORMAT_VERSION,
        "vectorlearn": __version__,
        "data": args.data,
        "data_path": None if args.data is None else os.path.abspath(args.data),
        "data_sha256": _sha256(args.data) if args.data and os.path.isfile(args.data) else None,
        "options": _run_options(args, prepared.task),
    }
    with atomic_write(os.path.join(out, RUN_FILE), "w") as f:
        json.dump(data, f, indent=2)


def _read_run_file(folder) -> dict | None:
    path = os.path.join(folder, RUN_FILE)
    if not os.path.lexists(path):
        return None
    if not os.path.isfile(path):
        raise ValueError(f"{path} is not a regular file, so not vectorlearn's run file")
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError, RecursionError) as error:
        raise ValueError(f"{path} cannot be read as vectorlearn's run file ({error})") from None
    if not (
        isinstance(data, dict)
        and data.get("format") == RUN_FORMAT
        and isinstance(data.get("options"), dict)
        and isinstance(data.get("format_version"), int)
    ):
        raise ValueError(f"{path} is not a vectorlearn run file")
    if data["format_version"] > RUN_FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer vectorlearn (run format {data['format_version']}); "
            "upgrade vectorlearn to resume it"
        )
    return data


def _not_given(value) -> bool:
    return value is None or value is False or (isinstance(value, list) and not value)


def _comparable(name, value):
    if name == "hidden" and value is not None:
        return [int(n) for n in value]
    if name in ("drop", "categorical", "numeric"):
        return sorted(value or [])
    return value


def _shown(flag, value) -> str:
    if flag == "--hidden" and value is not None:
        return f"{flag} {','.join(map(str, value)) or 'none'}"
    if value is True:
        return flag
    if _not_given(value):
        return f"(no {flag})"
    if isinstance(value, (list, tuple)):
        return f"{flag} {','.join(map(str, value))}"
    return f"{flag} {value}"


def _take_stored_options(args, stored: dict) -> None:
    """``--resume``: an option left out takes the run's value; one given must equal it."""
    options = stored["options"]
    was, given = [], []
    for name, flag in RUN_OPTIONS.items():
        if name not in options:
            continue
        value = getattr(args, name)
        if _not_given(value):
            value = options[name]
            setattr(args, name, tuple(value) if name == "hidden" and value is not None else value)
        elif _comparable(name, value) != _comparable(name, options[name]):
            was.append(_shown(flag, options[name]))
            given.append(_shown(flag, value))
    if was:
        raise ValueError(
            f"--resume: this run was started with {' '.join(was)}; you gave {' '.join(given)}; "
            "resume with the same options, or leave them out to use the run's"
        )
    data = stored.get("data")
    if data is None:
        if args.data is not None:
            raise ValueError(
                f"--resume: this run was started on the built-in data set "
                f"{options.get('dataset')}, not on a file; leave DATA out"
            )
        return
    digest = stored.get("data_sha256")
    if args.data is None:  # the name as given, else the absolute path: the one with that content
        found = [p for p in (data, stored.get("data_path")) if p and os.path.isfile(p)]
        if not found:
            raise ValueError(
                f"--resume: this run was started on {data}, which is no longer there; give DATA"
            )
        same = [p for p in found if not digest or _sha256(p) == digest]
        args.data = (same or found)[0]
        if same:
            return
    if digest and os.path.isfile(args.data) and _sha256(args.data) != digest:
        raise ValueError(
            f"--resume: {args.data} is not the data this run was started on ({data}: the "
            "content differs); resume with the same file"
        )


def _short(names, most=6) -> str:
    if not names:
        return "none"
    if len(names) <= most:
        return ", ".join(names)
    return f"{len(names)} columns ({', '.join(names[:most])}, ...)"


def _builtin_frame(name: str):
    bunch = BUILTIN[name](as_frame=True)
    return bunch.frame, "target", name


def _rows_with_target(frame, target, quiet):
    missing = frame[target].isna()
    if missing.all():
        raise ValueError(f"the target column {target!r} has no values")
    if missing.any():
        note(f"dropped {int(missing.sum())} row(s) without a target value", quiet)
        frame = frame.loc[~missing]
    return frame


def _target_values(column: pd.Series, task: str, *, training: bool = True) -> np.ndarray:
    """The target as numbers (regression) or labels (text labels as ``str``); training
    needs two classes, scoring a labelled file does not."""
    if task == "regression":
        try:
            return pd.to_numeric(column, errors="raise").to_numpy(dtype=float)
        except (ValueError, TypeError):
            raise ValueError(
                f"the target {column.name!r} holds text; regression needs numbers "
                "(or use --task classification)"
            ) from None
    values = column.to_numpy()
    if training and column.nunique() < 2:
        raise ValueError(
            f"the target {column.name!r} has only one class ({column.iloc[0]!r}); a classifier "
            "needs at least two"
        )
    if values.dtype == object:
        values = np.array([str(v) for v in values], dtype=object)
    return values


def _split(X, y, task, target, args):
    if not args.validation_fraction:
        raise ValueError("--validation-fraction must be above 0: the results need a validation set")
    stratify = None
    if task == "classification":
        counts = pd.Series(y).value_counts()
        single = [_plain(label) for label, n in counts.items() if n < 2]
        if single:
            which = "class" if len(single) == 1 else "classes"
            raise ValueError(
                f"the target {target!r} has a single row of {which} {_listed(single)}; each "
                "class needs at least 2 rows, one to train on and one to validate on: add rows "
                f"of the {which} or remove {'it' if len(single) == 1 else 'them'}"
            )
        n_validation = math.ceil(args.validation_fraction * len(y))
        if min(n_validation, len(y) - n_validation) >= counts.shape[0]:
            stratify = y  # every class in both parts
    try:
        parts = train_test_split(
            X, y, test_size=args.validation_fraction, random_state=args.seed, stratify=stratify
        )
    except ValueError as error:
        raise ValueError(f"cannot hold out a validation split: {error}") from None
    if task == "classification":
        missing = [_plain(label) for label in pd.unique(parts[3]) if label not in set(parts[2])]
        if missing:
            raise ValueError(
                "too few rows to split: the validation split took every row of "
                f"{'class' if len(missing) == 1 else 'classes'} {_listed(missing)} of the target "
                f"{target!r}, leaving none to train on; add rows or lower --validation-fraction"
            )
    return parts


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _listed(labels, most=5) -> str:
    shown = ", ".join(repr(label) for label in labels[:most])
    return shown + (f" (and {len(labels) - most} more)" if len(labels) > most else "")


def _make_model(args, task):
    options = _run_options(args, task)
    if options["model"] == "logreg":
        if task == "regression":
            raise ValueError("logreg is for classification; use --model mlp for regression")
        if options["solver"] not in ("gd", "lbfgs"):
            raise ValueError(f"logreg trains with --solver gd or lbfgs, not {options['solver']}")
        return LogisticRegression(
            solver=options["solver"],
            learning_rate=options["learning_rate"],
            C=options["C"],
            max_iter=options["epochs"],
            dtype=args.dtype,  # None: the data's, float64
        )
    if options["learning_rate"] == "auto":
        raise ValueError("--learning-rate auto is for logreg; give the mlp a number, e.g. 0.001")
    cls = MLPClassifier if task == "classification" else MLPRegressor
    return cls(
        hidden_layer_sizes=tuple(options["hidden"]),
        activation=options["activation"],
        solver=options["solver"],
        alpha=options["alpha"],
        learning_rate_init=options["learning_rate"],
        max_iter=options["epochs"],
        dropout=options["dropout"],
        early_stopping=options["early_stopping"],
        random_state=options["seed"],
        dtype=options["dtype"],
        batch_size={"full": None}.get(options["batch_size"], options["batch_size"]),
    )


def _make_run_folder(out):
    """Create the run folder (a new ``runs/<timestamp>`` by default); return it and whether
    this call created it."""
    if out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        n = 1
        while True:  # mkdir, not exists-then-mkdir: two runs started in one second get two
            out = os.path.join("runs", stamp if n == 1 else f"{stamp}-{n}")
            try:
                os.makedirs(out)
                return out, True
            except FileExistsError:
                n += 1
            except OSError as error:
                raise OSError(f"cannot create the run folder {out}: {error.strerror}") from None
    created = not os.path.lexists(out)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise OSError(f"cannot create the run folder {out}: {error.strerror}") from None
    if not os.path.isdir(out) or not os.access(out, os.W_OK):
        raise OSError(f"cannot write to the run folder {out}")
    return out, created


# ---- predict, evaluate, summary, gradcheck ------------------------------------------------------
def _load_bundle(path):
    """The model Pipeline in ``path`` (a run folder or a model file), its column roles and info.

    Whatever a malformed file makes the loader raise becomes one ``ValueError`` naming the file
    (an ``OSError``, such as a missing permission, stays one).
    """
    file = os.path.join(path, MODEL_FILE) if os.path.isdir(path) else path
    try:
        model = load(file)
        info = load_info(file)
    except (ValueError, OSError):
        raise
    except RecursionError:
        raise ValueError(
            f"{file} is not a readable vectorlearn model file: it is nested too deeply"
        ) from None
    except MemoryError:
        raise ValueError(
            f"{file} is not a readable vectorlearn model file: reading it needs more memory than "
            "there is"
        ) from None
    except Exception as error:  # a malformed file may make any parser fail: say so in one line
        raise ValueError(
            f"{file} is not a readable vectorlearn model file ({type(error).__name__}: {error})"
        ) from error
    if not isinstance(model, Pipeline) or not isinstance(info, dict) or "roles" not in info:
        raise ValueError(f"{file} is a model without its column roles; train it with the CLI")
    try:
        roles = ColumnRoles.from_dict(info["roles"])
        names = [roles.target, *roles.numeric, *roles.categorical, *roles.dropped]
        if not all(isinstance(name, str) for name in names):
            raise TypeError
    except TypeError:
        raise ValueError(f"{file}: its column roles are malformed") from None
    if info.get("task") not in ("classification", "regression"):
        raise ValueError(f"{file}: its task {info.get('task')!r} is not one the CLI knows")
    return model, roles, info


def run_predict(args) -> None:
    if args.output is not None:
        check_writable(args.output)  # before the work, not after it
    model, roles, info = _load_bundle(args.model)
    frame = read_table(args.data)
    known = {roles.target, *roles.features, *roles.dropped}
    extra = [c for c in frame.columns if c not in known]
    if extra:
        note(f"ignored column(s) the model was not trained with: {', '.join(extra)}", args.quiet)
    X = feature_frame(frame, roles)
    out = pd.DataFrame(index=frame.index)
    if roles.id_column and roles.id_column in frame.columns:
        out[roles.id_column] = frame[roles.id_column]
    out[roles.target] = model.predict(X)
    if args.proba:
        if info["task"] != "classification":
            raise ValueError("--proba is for classification models")
        proba = model.predict_proba(X)
        for k, label in enumerate(model.classes_):
            out[f"proba_{label}"] = proba[:, k]
    if not args.no_escape_formulas:
        out = escape_formulas(out)  # a spreadsheet must not run "=HYPERLINK(...)" from the data
    if args.output is None:
        out.to_csv(sys.stdout, index=False, float_format="%.17g")
        return
    try:
        with atomic_write(args.output, "w") as f:
            out.to_csv(f, index=False, float_format="%.17g")
    except OSError as error:
        raise OSError(f"cannot write {args.output}: {error.strerror or error}") from None


def run_evaluate(args) -> dict:
    model, roles, info = _load_bundle(args.model)
    frame = read_table(args.data)
    if roles.target not in frame.columns:
        raise ValueError(f"{args.data} has no target column {roles.target!r} to score against")
    frame = _rows_with_target(frame, roles.target, quiet=True)
    y = _target_values(frame[roles.target], info["task"], training=False)
    metrics = report.metrics(model, feature_frame(frame, roles), y, info["task"])
    return {"task": info["task"], "target": roles.target, "n": len(y), "metrics": metrics}


def run_summary(args) -> str:
    model, roles, info = _load_bundle(args.model)
    estimator = model.steps[-1][1]
    lines = [
        f"{type(estimator).__name__} for {info['task']} of {roles.target!r}",
        f"numeric columns: {', '.join(roles.numeric) or 'none'}",
        f"categorical columns: {', '.join(roles.categorical) or 'none'}",
        f"dropped columns: {', '.join(roles.dropped) or 'none'}",
        f"id column: {roles.id_column or 'none'}",
        "",
        estimator.summary(),
    ]
    return "\n".join(lines)


def run_gradcheck(args) -> tuple[str, bool]:
    from .core.network import Network
    from .gradcheck import check_network

    rng = np.random.default_rng(args.seed)
    lines, worst = [], 0.0
    for head, n_out in (("sigmoid", 1), ("softmax", 3), ("identity", 2)):
        network = Network((6, *args.hidden, n_out), activation=args.activation, head=head)
        W, B = network.init_params(rng, np, "float64")
        X = rng.normal(size=(6, 8))  # (n_0, m)
        Y = (
            np.eye(n_out)[:, rng.integers(0, n_out, 8)]
            if head == "softmax"
            else rng.random((n_out, 8))
        )
        errors = check_network(network, W, B, X, Y, S=rng.random((1, 8)) + 0.5, l2=0.1)
        worst = max(worst, *errors.values())
        lines.append(f"{head:>8} head: " + "  ".join(f"{k} {v:.1e}" for k, v in errors.items()))
    ok = worst < 1e-7
    lines.append(f"largest relative error {worst:.2e}: {'ok' if ok else 'FAILED'} (bound 1e-7)")
    return "\n".join(lines), ok


# ---- main ---------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            result = run_train(args)
            print(json.dumps(result) if args.json else report.results_table(result))
        elif args.command == "predict":
            run_predict(args)
        elif args.command == "evaluate":
            result = run_evaluate(args)
            print(json.dumps(result) if args.json else report.metrics_table(result["metrics"]))
        elif args.command == "summary":
            print(run_summary(args))
        elif args.command in ("gradcheck", "explain", "check-lab"):
            run = {"gradcheck": run_gradcheck, "explain": run_explain, "check-lab": run_check_lab}
            text, ok = run[args.command](args)
            print(text)
            sys.stdout.flush()
            return 0 if ok else 1
        sys.stdout.flush()  # a closed pipe fails here, not in the interpreter's exit
    except Interrupted as stop:
        print(f"vectorlearn: interrupted: {stop}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("vectorlearn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`vectorlearn predict ... | head -1`)
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except (ValueError, TypeError, OSError, KeyError, RecursionError, MemoryError) as error:
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
    return 0


def _discard_stdout() -> None:
    """Point standard output at the null device, so that Python's flush at exit does not
    report the broken pipe again (what the Python documentation recommends for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a file (e.g. captured by a test)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
