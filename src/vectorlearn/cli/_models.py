"""The commands that use a trained model besides ``predict`` (``evaluate``, ``summary``), and
``gradcheck``."""

from __future__ import annotations

import numpy as np

from ..tabular import feature_frame, read_table
from ._bundle import load_bundle
from ._data import rows_with_target, target_values


def run_evaluate(args) -> dict:
    from .. import report  # scikit-learn's metrics, which predict does without

    model, roles, info = load_bundle(args.model)
    frame = read_table(args.data)
    if roles.target not in frame.columns:
        raise ValueError(f"{args.data} has no target column {roles.target!r} to score against")
    frame = rows_with_target(frame, roles.target, quiet=True)
    y = target_values(frame[roles.target], info["task"], training=False)
    metrics = report.metrics(model, feature_frame(frame, roles), y, info["task"])
    return {"task": info["task"], "target": roles.target, "n": len(y), "metrics": metrics}


def run_summary(args) -> str:
    model, roles, info = load_bundle(args.model)
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
