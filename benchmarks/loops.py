"""Loops vs matrices: one epoch of the lecture's for-loop learners against the vectorized one."""

from __future__ import annotations

import numpy as np

from vectorlearn.core.network import Network
from vectorlearn.core.optimizers import GradientDescent
from vectorlearn.reference import train_dict_sgd, train_loop_gd

from ._timing import interleaved, target

TITLE = "Loops vs matrices: one epoch of logistic regression"


def run(quick: bool = False) -> dict:
    m, n = (1000, 20) if quick else (5000, 20)
    repeats = 3 if quick else 7
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, n))  # (m, n): rows are examples at the public API
    y = (X @ rng.normal(size=n) > 0).astype(float)
    rows, labels = X.tolist(), y.tolist()
    dicts = [{f"f{j}": v for j, v in enumerate(row)} for row in rows]

    net = Network((n, 1), head="sigmoid")
    X_cols, Y = X.T, y[np.newaxis, :]  # (n, m), (1, m)
    W, B = net.init_params(None, np, np.float64)
    optimizer = GradientDescent(0.1)
    inner = 50  # a vectorized epoch is too short to time alone

    def vectorized_epochs():
        params = W + B
        for _ in range(inner):
            _, dW, dB = net.cost_and_gradients(params[:1], params[1:], X_cols, Y)
            params = optimizer.step(params, dW + dB)

    medians = interleaved(
        {
            "train_dict_sgd (dict weights, per-example SGD)": lambda: train_dict_sgd(
                dicts, labels, 1, 0.1
            ),
            "train_loop_gd (list weights, batch GD)": lambda: train_loop_gd(rows, labels, 1, 0.1),
            "vectorized gd (LogisticRegression solver='gd')": vectorized_epochs,
        },
        repeats,
    )
    vector_key = "vectorized gd (LogisticRegression solver='gd')"
    medians[vector_key] /= inner
    base = medians[vector_key]
    table = [
        (name, f"{seconds * 1e3:.3f}", f"{seconds / base:,.0f}x")
        for name, seconds in medians.items()
    ]
    return {
        "title": TITLE,
        "setup": f"m = {m} examples, {n} features, float64, median of {repeats} interleaved runs",
        "header": ("learner", "ms per epoch", "time vs vectorized"),
        "rows": table,
        "checks": {},
        "targets": [
            target(
                "vectorized gd epoch vs train_loop_gd epoch (m = 5000, 20 features)",
                medians["train_loop_gd (list weights, batch GD)"] / base,
                ">=",
                300,
                "x faster",
            )
        ],
    }
