"""Logistic regression: time to scikit-learn's final training loss, on the same data."""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from vectorlearn import LogisticRegression

from ._timing import target

TITLE = "Logistic regression: time to scikit-learn's lbfgs loss"


def objective(coef, intercept, X, y):
    """Mean cross-entropy + ||coef||^2 / (2 m): the objective both minimize (C = 1)."""
    K = X @ coef.T + intercept  # (m, 1)
    p = 1 / (1 + np.exp(-K[:, 0]))
    return log_loss(y, np.column_stack([1 - p, p])) + np.sum(coef**2) / (2 * X.shape[0])


def run(quick: bool = False) -> dict:
    m, n = (40_000, 100) if quick else (200_000, 100)
    repeats = 1 if quick else 3
    X, y = make_classification(m, n, n_informative=40, random_state=0)
    X = StandardScaler().fit_transform(X)
    X32 = X.astype(np.float32)
    times = {"scikit-learn lbfgs": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            start = time.perf_counter()
            sk = SkLogisticRegression().fit(X, y)
            times["scikit-learn lbfgs"].append(time.perf_counter() - start)
        goal = objective(sk.coef_, sk.intercept_, X, y)
        reached = {}
        contenders = {
            "vectorlearn lbfgs, float64": (lambda: LogisticRegression(solver="lbfgs"), X),
            "vectorlearn gd (auto step), float64": (lambda: LogisticRegression(solver="gd"), X),
            "vectorlearn gd (auto step), float32": (lambda: LogisticRegression(solver="gd"), X32),
        }
        for _ in range(repeats):
            for name, (make, data) in contenders.items():
                model = make()
                start = time.perf_counter()
                model.fit(data, y, callbacks=[lambda info: info["loss"] <= goal])
                times.setdefault(name, []).append(time.perf_counter() - start)
                reached[name] = objective(model.coef_.astype(float), model.intercept_, X, y)
    base = float(np.median(times["scikit-learn lbfgs"]))
    rows = []
    for name, values in times.items():
        seconds = float(np.median(values))
        loss = goal if name.startswith("scikit") else reached[name]
        rows.append((name, f"{seconds:.3f}", f"{seconds / base:.2f}x", f"{loss:.6f}"))
    return {
        "title": TITLE,
        "setup": (
            f"make_classification({m:,}, {n}), standardized, C = 1; each vectorlearn solver stops "
            f"as soon as its cost is at or below scikit-learn's final one; median of {repeats} "
            "runs (interleaved); target: best solver <= 0.7x"
        ),
        "header": ("solver", "seconds", "vs scikit-learn", "final objective"),
        "rows": rows,
        "checks": {
            "reached": all(value <= goal * (1 + 1e-4) for value in reached.values()),
        },
        "targets": [
            target(
                "logistic regression, best solver, time to scikit-learn's lbfgs loss",
                min(float(np.median(v)) for k, v in times.items() if not k.startswith("scikit"))
                / base,
                "<=",
                0.7,
            )
        ],
    }
