"""One epoch as one compiled call, for JAX arrays.

On NumPy, each mini-batch step of :meth:`InMemory.epoch` is about 25 array calls made from
Python, and at small batches those calls, not the arithmetic, are most of the time. On JAX arrays
the same step (``network.cost_and_gradients``, then the optimizer's pure ``update``) is traced
once by ``jax.jit`` and the epoch's mini-batches run as one ``jax.lax.scan``, which XLA compiles
to a loop with no Python in it::

    for idx, alpha in zip(batches, step_sizes):       # lax.scan, compiled
        J, dW, dB = cost_and_gradients(W, B, X[:, idx], Y[:, idx])
        (W, B), state = update(W + B, dW + dB, state, alpha)

The batches are the eager loop's (one NumPy generator draws the order), and so are the formulas:
the two give the same weights to rounding (tested). The eager loop runs instead where a step
needs the host: dropout (its masks are drawn by the NumPy generator), ``gtol`` (a test of the
gradient before each step), SciPy sparse input, and optimizers without a pure update
(Barzilai-Borwein). Ctrl-C (``should_stop``) is seen at the end of the epoch.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .backend import is_jax
from .batches import ahead_for, batch_order


def applies(data, optimizer, config) -> bool:
    """Whether :func:`epoch` can run this epoch of ``data`` (:class:`InMemory`) compiled: JAX
    arrays, an optimizer with a pure update, no host work between two steps."""
    return (
        all(A is None or is_jax(A) for A in (data.X, data.Y, data.S))
        and getattr(optimizer, "compilable", False)
        and not config.dropout
        and config.gtol is None
    )


def epoch(data, network, W, B, optimizer, config):
    """One pass over ``data`` (:class:`InMemory` of JAX arrays); return the new ``W``, ``B``
    and the sum of the batches' ``J * m_b`` (0-D, on the device).

    The step sizes and the example order are made with NumPy and go in as arguments of the
    compiled call (one copy each, in its fast path).
    """
    m, size, dtype = data.shape[1], config.batch_size, data.X.dtype
    ahead = ahead_for(data, config.max_epochs)  # the next epoch's order, on a thread
    order = batch_order(m, size, config.rng, config.shuffle, ahead)  # (m,), or None: full
    n_steps = 1 if order is None else math.ceil(m / size)
    alphas = optimizer.step_sizes(n_steps).astype(dtype)  # (n_steps,)
    run = _compile(network, type(optimizer).update, optimizer.hyper(), float(config.l2))
    carry = (W, B, optimizer.explicit_state(W + B), np.zeros((), dtype))
    arrays = _rows(data)
    if order is None:  # the full batch: one step on the arrays as they are
        carry = run(carry, arrays, None, alphas)
    else:
        order, whole = order.astype(np.int32), m // size  # batches of exactly `size` examples
        carry = run(carry, arrays, order[: whole * size].reshape(whole, size), alphas[:whole])
        if whole < n_steps:  # the last, smaller batch: a scan of one step
            carry = run(carry, arrays, order[None, whole * size :], alphas[whole:])  # (1, m_b)
    W, B, state, total = carry
    optimizer.keep(state, n_steps)
    return W, B, total


@functools.lru_cache(maxsize=32)
def jitted(function, *static):
    """``function(*static, ...)`` compiled, ``static`` fixed (a network, say): the validation
    loss, or the accuracy of its logits."""
    import jax

    return jax.jit(functools.partial(function, *static))


def _rows(data):
    """``X``, ``Y``, ``S`` with examples as rows, (m, .), made once per training data.

    A JAX array's transpose is a copy, not a view: ``X`` (n_0, m) came from the estimator's
    (m, n_0) by one, and each batch is a gather of whole rows of the (m, n_0) layout, then a
    transpose that XLA folds into the matrix product.
    """
    if getattr(data, "_rows", None) is None:
        data._rows = tuple(None if A is None else A.T for A in (data.X, data.Y, data.S))
    return data._rows


@functools.lru_cache(maxsize=32)
def _compile(network, update, hyper, l2):
    """The jitted epoch for this network, optimizer rule and penalty (traced once per shape)."""
    import jax

    def step(carry, arrays, idx, alpha):
        W, B, state, total = carry
        X, Y, S = (None if A is None else A[idx].T for A in arrays)  # (., m_b)
        J, dW, dB = network.cost_and_gradients(W, B, X, Y, S, l2)
        params, state = update(W + B, dW + dB, state, alpha, *hyper)
        return (params[: len(W)], params[len(W) :], state, total + J * X.shape[1])

    def run(carry, arrays, order, alphas):
        if order is None:
            return step(carry, arrays, slice(None), alphas[0])

        def body(carry, xs):
            return step(carry, arrays, *xs), None

        return jax.lax.scan(body, carry, (order, alphas))[0]

    return jax.jit(run)
