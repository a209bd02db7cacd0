"""The commands that use a trained model (``predict``, ``evaluate``, ``summary``), and
``gradcheck``."""

from __future__ import annotations

import os
import sys
from itertools import chain

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from .._files import atomic_write, check_writable
from ..persist import load, load_info
from ..tabular import ColumnRoles, escape_formulas, feature_frame, read_table
from ._data import rows_with_target, target_values
from ._progress import note
from ._run_folder import MODEL_FILE


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
        lists = [roles.numeric, roles.categorical, roles.dropped, roles.dates, roles.text]
        if not all(isinstance(names, list) for names in lists):
            raise TypeError
        if not all(isinstance(name, str) for name in [roles.target, *chain(*lists)]):
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
    from .. import report  # scikit-learn's metrics, which predict does without

    model, roles, info = _load_bundle(args.model)
    frame = read_table(args.data)
    if roles.target not in frame.columns:
        raise ValueError(f"{args.data} has no target column {roles.target!r} to score against")
    frame = rows_with_target(frame, roles.target, quiet=True)
    y = target_values(frame[roles.target], info["task"], training=False)
    metrics = report.metrics(model, feature_frame(frame, roles), y, info["task"])
    return {"task": info["task"], "target": roles.target, "n": len(y), "metrics": metrics}


def run_summary(args) -> str:
    model, roles, info = _load_bundle(args.model)
    estimator = model.steps[-1][1]
    scaled = hasattr(estimator, "regressor_")  # a regression target standardized for training
    estimator = estimator.regressor_ if scaled else estimator
    lines = [
        f"{type(estimator).__name__} for {info['task']} of {roles.target!r}"
        + (" (trained on the target standardized; predicts in its units)" if scaled else ""),
        f"numeric columns: {', '.join(roles.numeric) or 'none'}",
        f"categorical columns: {', '.join(roles.categorical) or 'none'}",
        f"date columns: {', '.join(roles.dates) or 'none'}",
        f"text columns: {', '.join(roles.text) or 'none'}",
        f"dropped columns: {', '.join(roles.dropped) or 'none'}",
        f"id column: {roles.id_column or 'none'}",
        "",
        estimator.summary(),
    ]
    return "\n".join(lines)


def run_gradcheck(args) -> tuple[str, bool]:
    from ..core.network import Network
    from ..gradcheck import check_network

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
