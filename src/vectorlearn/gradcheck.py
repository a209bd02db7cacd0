"""Central-difference gradient checks, for the test suite and for users.

``check_gradients(fun, params)`` perturbs every entry of every parameter array by ``+-eps``,
estimates ``dJ/dp = (J(p + eps) - J(p - eps)) / (2 eps)``, and returns, per array, the relative
error ``||numerical - analytic|| / (||numerical|| + ||analytic||)``. In float64 with
``eps = 1e-6`` a correct gradient gives about 1e-9 or less; a wrong one gives 1e-2 or more.

>>> import numpy as np
>>> def fun(params):  # J = sum(w^2), dJ/dw = 2 w
...     (w,) = params
...     return float(np.sum(w * w)), [2 * w]
>>> check_gradients(fun, [np.array([1.0, -2.0])])[0] < 1e-9
True
"""

from __future__ import annotations

import numpy as np

from .core.backend import to_numpy


def relative_error(numerical, analytic) -> float:
    """``||a - b|| / (||a|| + ||b||)``, and 0 when both are zero."""
    a, b = np.asarray(numerical, dtype=np.float64), np.asarray(analytic, dtype=np.float64)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def numerical_gradients(fun, params, eps: float = 1e-6):
    """Central differences of ``fun(params)[0]`` for every entry of every array in ``params``."""
    params = [np.array(p, dtype=np.float64) for p in params]  # private float64 copies
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            saved = p[index]
            p[index] = saved + eps
            J_plus = float(fun(params)[0])
            p[index] = saved - eps
            J_minus = float(fun(params)[0])
            p[index] = saved
            g[index] = (J_plus - J_minus) / (2 * eps)
        grads.append(g)
    return grads


def check_gradients(fun, params, eps: float = 1e-6) -> list[float]:
    """Relative error of ``fun``'s analytic gradients against central differences, per array.

    ``fun(params) -> (J, grads)`` takes a list of float64 NumPy arrays and returns the cost and
    one gradient array per parameter array (any backend: they are converted to NumPy).
    """
    params = [np.array(to_numpy(p), dtype=np.float64) for p in params]
    if not params:
        raise ValueError("check_gradients needs at least one parameter array")
    _, analytic = fun(params)
    if len(analytic) != len(params):
        raise ValueError(f"fun returned {len(analytic)} gradients for {len(params)} parameters")
    numerical = numerical_gradients(fun, params, eps)
    return [relative_error(n, to_numpy(a)) for n, a in zip(numerical, analytic)]


def check_network(network, W, B, X, Y, S=None, l2=0.0, masks=None, eps: float = 1e-6):
    """Gradient check of ``network.cost_and_gradients`` at ``W``, ``B``; one error per array.

    Arrays are NumPy float64 (examples are columns). Returns ``{"W1": err, "B1": err, ...}``.
    """
    L = network.n_layers

    def fun(params):
        J, dW, dB = network.cost_and_gradients(params[:L], params[L:], X, Y, S, l2, masks)
        return J, dW + dB

    errors = check_gradients(fun, list(W) + list(B), eps)
    names = [f"W{l + 1}" for l in range(L)] + [f"B{l + 1}" for l in range(L)]
    return dict(zip(names, errors))
