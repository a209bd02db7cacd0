"""The ``vectorlearn`` command line: progress on stderr, results on stdout, ``--json`` for machines.

Every expected failure (bad data, bad options, unreadable files) prints one line to stderr and
exits with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from . import report
from ._files import atomic_write
from ._version import __version__
from .data import BUILTIN, DEFAULT_DATASET
from .estimators import LogisticRegression, MLPClassifier, MLPRegressor
from .estimators._base import TrainingInterrupted
from .persist import load, load_info, save
from .tabular import (
    ColumnRoles,
    feature_frame,
    infer_roles,
    infer_task,
    make_preprocessor,
    read_table,
)

EXIT_USAGE = 2
MODEL_FILE = "model.npz"
CHECKPOINT_FILE = "checkpoint.npz"
EXIT_INTERRUPTED = 130


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
        default=DEFAULT_DATASET,
        help="built-in data set used when no DATA is given (default: %(default)s)",
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
        default="relu",
        help="hidden activation of the mlp (default: %(default)s)",
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
        help="examples per mini-batch of the mlp, or 'full' (default: min(200, m))",
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
        default=1e-4,
        help="L2 penalty of the mlp (default: %(default)s)",
    )
    train.add_argument(
        "--C",
        type=_positive_float,
        default=1.0,
        dest="C",
        help="inverse L2 penalty of logreg, as in scikit-learn (default: %(default)s)",
    )
    train.add_argument(
        "--dropout", type=_fraction, default=0.0, help="dropout rate of the mlp's hidden layers"
    )
    train.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop the mlp when the validation loss stops improving; keep the best epoch",
    )
    train.add_argument(
        "--validation-fraction",
        type=_fraction,
        default=0.25,
        metavar="F",
        help="share of rows held out for validation (default: %(default)s)",
    )
    train.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
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
        "--out", metavar="FOLDER", help="run folder to write (default: runs/<timestamp>)"
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
        help="continue the run in folder RUN from its checkpoint (same data and options); "
        "ends with the same model as an uninterrupted run",
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
    return "full" if text == "full" else _positive_int(text)


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
    X_train, X_val, y_train, y_val = _split(feature_frame(frame, roles), y, task, args)
    preprocessor = make_preprocessor(roles).fit(X_train)
    model = _make_model(args, task)
    out, created = _make_run_folder(args.resume or args.out)
    try:
        return _train_in(
            out,
            args,
            model,
            preprocessor,
            roles,
            task,
            target,
            source,
            (X_train, X_val, y_train, y_val),
        )
    except BaseException:
        if created and not os.listdir(out):
            os.rmdir(out)  # an error before anything was written leaves no empty run folder
        raise


def _train_in(out, args, model, preprocessor, roles, task, target, source, split) -> dict:
    X_train, X_val, y_train, y_val = split
    checkpoint = os.path.join(out, CHECKPOINT_FILE)
    options = {}
    if model.solver != "lbfgs":
        if args.checkpoint_every:
            options.update(checkpoint=checkpoint, checkpoint_every=args.checkpoint_every)
        if args.resume:
            options["resume"] = checkpoint
    elif args.resume:
        raise ValueError("--resume needs an epoch-based solver (gd, momentum, adam), not lbfgs")
    progress = Progress(model.max_iter, args.quiet)
    interrupted = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(
                preprocessor.transform(X_train),
                y_train,
                validation_data=(preprocessor.transform(X_val), y_val),
                callbacks=[progress],
                **options,
            )
        except TrainingInterrupted as stop:
            interrupted = stop
        finally:
            progress.close()
    for warning in caught:
        if issubclass(warning.category, (UserWarning, RuntimeWarning)):
            note(f"warning: {warning.message}", args.quiet)
    pipeline = Pipeline([("preprocess", preprocessor), ("model", model)])
    info = {"roles": roles.to_dict(), "task": task, "source": source}
    save(pipeline, os.path.join(out, MODEL_FILE), info=info)
    if interrupted is not None:
        resumable = (
            f"; resume from the checkpoint with --resume {out}"
            if os.path.exists(checkpoint)
            else "; no checkpoint was written yet (see --checkpoint-every)"
        )
        raise Interrupted(f"{interrupted} Saved it to {os.path.join(out, MODEL_FILE)}{resumable}.")

    result = {
        "model": type(model).__name__,
        "dataset": source,
        "task": task,
        "target": target,
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
    with atomic_write(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(result, f, indent=2)
    pictures = report.save_pictures(model, pipeline, roles, task, X_val, y_val, out)
    if pictures is None:
        note('pictures need matplotlib: pip install "vectorlearn[plot]"', args.quiet)
    return result


class Interrupted(Exception):
    """Ctrl-C stopped training; the model so far is saved (exit status 130)."""


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


def _split(X, y, task, args):
    stratify = None
    if task == "classification":
        counts = pd.Series(y).value_counts()
        if counts.min() >= 2 and args.validation_fraction * len(y) >= counts.shape[0]:
            stratify = y
    if not args.validation_fraction:
        raise ValueError("--validation-fraction must be above 0: the results need a validation set")
    try:
        return train_test_split(
            X, y, test_size=args.validation_fraction, random_state=args.seed, stratify=stratify
        )
    except ValueError as error:
        raise ValueError(f"cannot hold out a validation split: {error}") from None


def _make_model(args, task):
    kind = args.model or ("logreg" if task == "classification" else "mlp")
    if kind == "logreg":
        if task == "regression":
            raise ValueError("logreg is for classification; use --model mlp for regression")
        solver = args.solver or "gd"
        if solver not in ("gd", "lbfgs"):
            raise ValueError(f"logreg trains with --solver gd or lbfgs, not {solver}")
        return LogisticRegression(
            solver=solver,
            learning_rate=args.learning_rate or "auto",
            C=args.C,
            max_iter=args.epochs or 1000,
            dtype=args.dtype,
        )
    if args.learning_rate == "auto":
        raise ValueError("--learning-rate auto is for logreg; give the mlp a number, e.g. 0.001")
    cls = MLPClassifier if task == "classification" else MLPRegressor
    batch_size = {None: "auto", "full": None}.get(args.batch_size, args.batch_size)
    return cls(
        hidden_layer_sizes=(100,) if args.hidden is None else args.hidden,
        activation=args.activation,
        solver=args.solver or "adam",
        alpha=args.alpha,
        learning_rate_init=args.learning_rate or 0.001,
        max_iter=args.epochs or 200,
        dropout=args.dropout,
        early_stopping=args.early_stopping,
        random_state=args.seed,
        dtype=args.dtype or "float32",
        batch_size=batch_size,
    )


def _make_run_folder(out):
    """Create the run folder (``runs/<timestamp>`` by default); return it and whether this
    call created it."""
    if out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out, n = os.path.join("runs", stamp), 1
        while os.path.exists(out):
            n += 1
            out = os.path.join("runs", f"{stamp}-{n}")
    created = not os.path.exists(out)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise OSError(f"cannot create the run folder {out}: {error.strerror}") from None
    if not os.path.isdir(out) or not os.access(out, os.W_OK):
        raise OSError(f"cannot write to the run folder {out}")
    return out, created


# ---- predict, evaluate, summary, gradcheck ------------------------------------------------------
def _load_bundle(path):
    file = os.path.join(path, MODEL_FILE) if os.path.isdir(path) else path
    model = load(file)
    info = load_info(file)
    if not isinstance(model, Pipeline) or "roles" not in info:
        raise ValueError(f"{file} is a model without its column roles; train it with the CLI")
    return model, ColumnRoles.from_dict(info["roles"]), info


def run_predict(args) -> None:
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
        elif args.command == "gradcheck":
            text, ok = run_gradcheck(args)
            print(text)
            return 0 if ok else 1
    except Interrupted as stop:
        print(f"vectorlearn: interrupted: {stop}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("vectorlearn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (ValueError, TypeError, OSError, KeyError) as error:
        if args.debug:
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"vectorlearn: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
