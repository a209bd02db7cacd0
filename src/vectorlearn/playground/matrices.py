"""The matrices panel and the loops-versus-matrices timing, both from the public core.

For layer ``l`` and the current batch (the first ``batch_size`` training columns) the panel shows
the lecture's arrays with the equation that produced each::

    K_l = W_l^T A_{l-1} + B_l     A_l = g(K_l)     dW_l = A_{l-1} dK_l^T     dB_l = sum_cols dK_l
"""

from __future__ import annotations

import time

import numpy as np

from .. import reference
from ..core import GradientDescent, Network, TrainConfig, train

GLIMPSE = (4, 5)  # rows, columns of each matrix shown


def matrices(session, layer: int) -> dict:
    """Shapes, a glimpse of the values and the equation of ``W, B, K, A, dW, dB`` of ``layer``
    (1-based) on the current batch."""
    net, s = session.network, session.settings
    if not isinstance(layer, int) or not 1 <= layer <= net.n_layers:
        raise ValueError(f"the layer must be 1 to {net.n_layers}, got {layer!r}")
    b = min(s.batch_size, session.X_train.shape[1])
    X, Y = session.X_train[:, :b], session.Y_train[:, :b]  # (n_0, b), (1, b)
    K_L, (A_prevs, Ks, Gs) = net.forward(session.W, session.B, X)
    J, dW, dB = net.cost_and_gradients(session.W, session.B, X, Y, None, s.l2)
    l, last = layer - 1, layer == net.n_layers
    K = K_L if last else Ks[l]  # (n_l, b)
    A = net.predict(session.W, session.B, X) if last else Gs[l]  # (n_l, b)
    g = "sigmoid" if last else net.activation
    prev = "X" if l == 0 else f"A_{l}"
    penalty = f" + {s.l2:g} W_{layer}" if s.l2 else ""
    rows = [
        ("W", session.W[l], "trained weights"),
        ("B", session.B[l], "trained intercepts"),
        ("K", K, f"K_{layer} = W_{layer}^T {prev} + B_{layer}"),
        ("A", A, f"{'H' if last else f'A_{layer}'} = {g}(K_{layer})"),
        ("dW", dW[l], f"dW_{layer} = {prev} dK_{layer}^T{penalty}"),
        ("dB", dB[l], f"dB_{layer} = row sums of dK_{layer}"),
    ]
    return {
        "layer": layer,
        "batch": b,
        "cost": float(J),
        "arrays": [
            {
                "name": f"{name}_{layer}",
                "shape": list(A.shape),
                "equation": eq,
                "values": np.round(A[: GLIMPSE[0], : GLIMPSE[1]], 4).tolist(),
            }
            for name, A, eq in rows
        ],
    }


def loops_vs_matrices(session, scales=(1, 50), repeats: int = 3) -> list:
    """One epoch of full-batch gradient descent for logistic regression on the session's
    training features, with the lecture's for-loops and with matrices, on the training set and
    on copies of it ``scale`` times as long: for each, both times and the largest difference
    between the two ``W``."""
    X, Y = session.X_train, session.Y_train  # (n_0, m), (1, m)
    alpha = session.settings.learning_rate
    return [_time_epoch(np.tile(X, k), np.tile(Y, k), alpha, repeats) for k in scales]


def _time_epoch(X, Y, alpha, repeats) -> dict:
    n_0, m = X.shape
    rows, labels = X.T.tolist(), [int(v) for v in Y[0]]
    loop_time, (w, b) = _best_time(lambda: reference.train_loop_gd(rows, labels, 1, alpha), repeats)
    net = Network((n_0, 1), head="sigmoid")
    config = TrainConfig(max_epochs=1, n_iter_no_change=None)

    def matrix_epoch():
        W, B = net.init_params(np.random.default_rng(0), np, "float64")  # zeros, as the loops
        return train(net, W, B, X, Y, optimizer=GradientDescent(alpha), config=config)

    matrix_time, (W, B, _) = _best_time(matrix_epoch, repeats)
    difference = max(float(np.max(np.abs(W[0][:, 0] - np.array(w)))), abs(float(B[0][0, 0]) - b))
    return {
        "m": m,
        "n_0": n_0,
        "loops_seconds": loop_time,
        "matrices_seconds": matrix_time,
        "speedup": loop_time / matrix_time if matrix_time > 0 else None,
        "largest_difference": difference,
    }


def _best_time(run, repeats):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result
