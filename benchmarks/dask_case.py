"""Dask: a full-batch step on a 2-worker LocalCluster, and time to dask-ml's training loss."""

from __future__ import annotations

import time
import warnings

import numpy as np

from vectorlearn import LogisticRegression
from vectorlearn.core.network import Network

from ._timing import interleaved, target

TITLE = "Dask: logistic regression on a 2-worker LocalCluster"


def run(quick: bool = False) -> dict:
    import dask.array as da
    from dask_ml.linear_model import LogisticRegression as DaskMLLogisticRegression

    from vectorlearn.distributed import DaskBlocks, connect

    m, n = (400_000, 50) if quick else (4_000_000, 50)
    rows = m // 8  # 8 blocks: 4 per worker, 100 MB each in the full run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = connect(n_workers=2, dashboard_address=":0", silence_logs=50)
    try:
        rng = da.random.default_rng(0)
        X = rng.standard_normal((m, n), chunks=(rows, n), dtype=np.float32)
        w = np.linspace(-1, 1, n).astype(np.float32)
        y = ((X @ w + rng.standard_normal(m, chunks=rows, dtype=np.float32)) > 0).astype(np.int64)
        X, y = client.persist(X), client.persist(y)
        X_local, y_local = np.array(X.compute()), y.compute()  # in-memory twin, aligned

        # 1. one full-batch step: the same core function, in memory vs summed over blocks
        model = LogisticRegression()
        data, head, _ = DaskBlocks.prepare(model, X, y)
        net = Network((n, 1), head=head)
        W, B = net.init_params(None, np, np.float32)
        Xc, Y = X_local.T, y_local[np.newaxis, :].astype(np.float32)
        repeats = 3 if quick else 9
        step = interleaved(
            {
                "in memory (NumPy)": lambda: net.cost_and_gradients(W, B, Xc, Y),
                "Dask blocks": lambda: data.cost_and_gradients(net, W, B, 0.0),
            },
            repeats,
        )

        # 2. time to dask-ml's final training loss
        iterations = 3 if quick else 10
        start = time.perf_counter()
        reference = DaskMLLogisticRegression(solver="gradient_descent", max_iter=iterations)
        reference.fit(X, y)
        dask_ml_seconds = time.perf_counter() - start
        K = X_local @ reference.coef_.astype(np.float32) + reference.intercept_
        goal = float(np.mean(np.logaddexp(0, K) - y_local * K))  # its mean training log-loss

        results = {}
        for solver in ("lbfgs", "gd"):
            start = time.perf_counter()
            ours = LogisticRegression(solver=solver, max_iter=200)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ours.fit(X, y, callbacks=[lambda info: info["loss"] <= goal])
            results[solver] = (time.perf_counter() - start, ours.n_iter_, ours.loss_curve_[-1])
    finally:
        client.close()
        client.cluster.close()

    table = [
        ("full-batch step, in memory (NumPy)", f"{step['in memory (NumPy)']:.3f}", "1.00x", ""),
        (
            "full-batch step, Dask blocks",
            f"{step['Dask blocks']:.3f}",
            f"{step['Dask blocks'] / step['in memory (NumPy)']:.2f}x",
            "target <= 1.3x",
        ),
        (
            f"dask-ml gradient_descent, {iterations} iterations",
            f"{dask_ml_seconds:.2f}",
            "1.00x",
            f"final mean log-loss {goal:.5f}",
        ),
    ]
    for solver, (seconds, n_iter, loss) in results.items():
        table.append(
            (
                f"vectorlearn {solver} to that loss ({n_iter} iterations)",
                f"{seconds:.2f}",
                f"{seconds / dask_ml_seconds:.2f}x",
                f"cost {loss:.5f}; target <= 0.2x",
            )
        )
    return {
        "title": TITLE,
        "setup": (
            f"{m:,} x {n} float32 in {m // rows} row blocks on 2 workers (1 thread each); "
            f"step times are medians of {repeats} interleaved runs; fit times include "
            "vectorlearn's validation and encoding pass over the blocks"
        ),
        "header": ("what", "seconds", "ratio", "note"),
        "rows": table,
        "checks": {"reached": all(r[2] <= goal + 1e-9 for r in results.values())},
        "targets": [
            target(
                "Dask full-batch step vs the same step in memory",
                step["Dask blocks"] / step["in memory (NumPy)"],
                "<=",
                1.3,
            ),
            target(
                "Dask: time to dask-ml's final loss, best solver, vs dask-ml",
                min(r[0] for r in results.values()) / dask_ml_seconds,
                "<=",
                0.2,
            ),
        ],
    }
