"""Step sizes and divergence: a learning rate that cannot diverge on a convex model, and what to
blame (the penalty or the step) when the cost stopped being finite."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from .backend import like, namespace, numpy_dtype, to_numpy
from .layers import times_transposed, weights_times
from .optimizers import stable_curvature


def lipschitz_learning_rate(network, X, S=None, l2=0.0, n_power_iterations=50):
    """A safe fixed step ``1 / Lip`` for a network without hidden layers (a convex model).

    ``X`` is an (n_0, m) array with example weights ``S`` (1, m) or None, or training data that
    computes the product below itself, where it lives (``gram_times(v, v_b)``: a Dask cluster).

    The cost's gradient is Lipschitz with constant ``Lip = c * sigma_max(X1 diag(S) X1^T) / m +
    l2``, where ``X1`` is ``X`` with a row of ones for the intercept, ``sigma_max`` the largest
    eigenvalue (estimated by power iteration, then inflated by 5%), and ``c`` bounds the head's
    curvature: 1/4 for sigmoid, 1/2 for softmax, 1 for identity.
    """
    if network.n_layers != 1:
        raise ValueError("the automatic learning rate needs a network without hidden layers")
    m = X.shape[1]
    gram = X.gram_times if hasattr(X, "gram_times") else partial(gram_times, X, S)
    v = np.ones((X.shape[0], 1))  # (n_0, 1), float64 on the host: the iterate is tiny
    v_b = 1.0  # the entry of v for the row of ones
    eigenvalue = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
        for _ in range(n_power_iterations):
            v_new, v_b_new = gram(v, v_b)  # X1 diag(S) X1^T [v; v_b]
            norm = _norm(v_new, v_b_new)
            if norm == 0.0 or not math.isfinite(norm):
                eigenvalue = norm if norm else eigenvalue
                break
            previous, eigenvalue = eigenvalue, norm / _norm(v, v_b)
            v, v_b = v_new / norm, v_b_new / norm
            if abs(eigenvalue - previous) <= 1e-3 * eigenvalue:
                break  # converged to 0.1%, well inside the 5% margin below
    curvature = {"sigmoid": 0.25, "softmax": 0.5, "identity": 1.0}[network.head]
    lip = curvature * 1.05 * eigenvalue / m + float(l2)
    if not math.isfinite(lip):
        raise ValueError(
            "X holds values so large that the curvature of the cost, X X^T / m, overflows and "
            "no step size can be found; standardize the features, e.g. with "
            "sklearn.preprocessing.StandardScaler in a Pipeline"
        )
    return 1.0 / lip if lip > 0 else 1.0


def _norm(v, v_b) -> float:
    """``sqrt(||v||^2 + v_b^2)`` for host ``v`` (n, 1), scaled so that no square overflows."""
    scale = max(float(np.max(np.abs(v))), abs(float(v_b)))
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    return scale * math.sqrt(float(np.sum((v / scale) ** 2)) + (v_b / scale) ** 2)


def penalty_overflow(W, l2, optimizer=None, cost=None, start=True) -> str | None:
    """Why the L2 penalty ``(l2 / 2) sum_l ||W_l||^2``, rather than the data or the step size,
    blew up the cost, or None when it did not. ``W`` are the weights training kept: its
    starting weights when ``start``, else those of the last finite epoch.

    The penalty is to blame when ``l2`` is beyond the largest number of the weights' dtype; when
    its curvature ``l2`` is more than the optimizer's step can follow
    (:func:`~.optimizers.stable_curvature`: on the penalty alone, gradient descent multiplies the
    weights by ``1 - learning_rate * l2`` each step, so they grow once ``learning_rate * l2 >
    2``, and a smaller learning rate would have to be below ``2 / l2``); or, at the starting
    weights only (later ones may have grown by a step too long for the data), when the penalty
    there is beyond the dtype's largest number or, given the total ``cost`` there (for L-BFGS,
    whose line search has no step size to blame), most of that cost.

    >>> import numpy as np
    >>> from vectorlearn.core.optimizers import GradientDescent
    >>> penalty_overflow([np.ones((2, 1))], 1e4, GradientDescent(0.001))
    'its curvature l2 = 1e+04 is more than the 2e+03 that the step 0.001 can follow'
    >>> penalty_overflow([np.ones((2, 1))], 1e-4, GradientDescent(0.001)) is None
    True
    """
    if not l2:
        return None
    l2 = float(l2)
    dtype = numpy_dtype(W[0].dtype)
    largest = float(np.finfo(dtype).max)
    if not l2 < largest:
        return f"l2 = {l2:.3g} is beyond the largest {dtype.__name__}, {largest:.3g}"
    limit = stable_curvature(optimizer) if optimizer is not None else None
    if limit is not None and l2 > limit:
        return (
            f"its curvature l2 = {l2:.3g} is more than the {limit:.3g} that the step "
            f"{optimizer.learning_rate:g} can follow"
        )
    if not start:
        return None
    xp = namespace(*W)
    with np.errstate(over="ignore", invalid="ignore"):
        penalty = l2 / 2 * sum(float(xp.sum(W_l * W_l)) for W_l in W)
    if not penalty < largest:
        return f"(l2 / 2) ||W||^2 = {penalty:.3g} is beyond the largest {dtype.__name__}"
    if cost is not None and math.isfinite(cost) and penalty > cost / 2:
        return f"(l2 / 2) ||W||^2 = {penalty:.3g} is most of the starting cost, {cost:.3g}"
    return None


def gram_times(X, S, v, v_b):
    """``X1 diag(S) X1^T [v; v_b]`` for ``X1 = [X; 1]``, as host NumPy ``(v_new (n_0, 1), b)``."""
    xp = namespace(X)
    v_x = like(v, X)  # (n_0, 1), on X's device
    u = weights_times(v_x, X, xp) + v_b  # (1, m): X1^T v (X may be sparse)
    if S is not None:
        u = S * u
    Xu = times_transposed(X, u, xp)  # (n_0, 1)
    return to_numpy(Xu).astype(np.float64), float(xp.sum(u))  # (n_0, 1), scalar


def divergence_hint(learning_rate, penalty=None, setting="l2 is so large", fix="a smaller l2"):
    """The end of a :class:`TrainingDiverged` message: the cause, and what to change.

    An estimator names its own parameter: ``setting="alpha=1e+300 is so large"``,
    ``fix="a smaller alpha"``.
    """
    if penalty:
        return f"; {setting} that the L2 penalty overflows ({penalty}); use {fix}"
    if learning_rate:
        return f"; try a smaller learning rate, e.g. {learning_rate / 10:g}"
    return "; try a smaller learning rate or standardize the features"
