"""Output heads: the last layer's output ``H = out(K)`` and its loss ``L``, computed from logits.

Each head pairs an output function with the loss it is the natural partner of, so that the
gradient of the loss with respect to the logits is the same fused expression for all three:

    dL/dK = H - Y

(sigmoid with binary cross-entropy, softmax with categorical cross-entropy, identity with half
the squared error, exp with half the Poisson deviance). The cost is ``J = sum(S * L) / m``, so
``dK = S * (H - Y) / m``: the lecture's chain rule ``dJ/dH * dH/dK`` in one line (cost_and_dK).

Losses are computed from the logits ``K``, never as ``log(sigmoid(K))``, so ``K = +-1e4`` gives
finite costs:

>>> import numpy as np
>>> K = np.array([[-1e4, 0.0, 1e4]])
>>> Y = np.array([[1.0, 1.0, 0.0]])
>>> HEADS["sigmoid"].loss(K, Y, np)  # log(1 + e^K) - Y K
array([[1.00000000e+04, 6.93147181e-01, 1.00000000e+04]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .activations import sigmoid
from .backend import zero


def softmax(K, xp):
    """Column-wise softmax of ``K`` (n, m); each column sums to 1, with infinite logits too."""
    E = exp_below_max(K, xp)  # (n, m): exp(K - max K), 1 at each column's largest logits
    return E / xp.sum(E, axis=0, keepdims=True)


def _sigmoid_cross_entropy(K, Y, xp):
    """``H = sigmoid(K)`` and ``L = softplus(K) - Y K``, with ``softplus(K) = log(1 + e^K)``.

    -Y log(H) - (1 - Y) log(1 - H) with H = sigmoid(K) equals softplus(K) - Y K, and
    log(H) = K - softplus(K) = min(K, 0) - log1p(exp(-|K|)) (so H = 1 at K = +inf, not
    inf - inf). softplus(K) = max(K, 0) + log1p(exp(-|K|)) never overflows, and its two terms
    are kept apart, so that ``max(K, 0) - Y K`` is exactly 0 for a confident right answer
    (K > 0, Y = 1) and L keeps every digit of ``log1p``. Eleven elementwise operations in all
    (each a kernel on a GPU).
    """
    z = zero(K, xp)  # 0-D
    top, rest = xp.maximum(K, z), xp.log1p(xp.exp(-xp.abs(K)))  # (n_L, m) each
    H = xp.exp(xp.minimum(K, z) - rest)  # sigmoid(K) = e^(K - softplus(K)), (n_L, m)
    L = (top - Y * K) + rest  # softplus(K) - Y K, (n_L, m)
    return H, L


def _softmax_cross_entropy(K, Y, xp):
    """``H = softmax(K)`` and ``L = logsumexp(K) - sum_k Y_k K_k``, sharing the exponentials.

    -sum_k Y_k log(softmax(K)_k) equals logsumexp(K) - sum_k Y_k K_k.
    """
    K_max = xp.max(K, axis=0, keepdims=True)  # (1, m)
    E = xp.exp(K - K_max)  # (n_L, m), max 1 per column
    total = xp.sum(E, axis=0, keepdims=True)  # (1, m)
    L = K_max + xp.log(total) - xp.sum(Y * K, axis=0, keepdims=True)  # (1, m)
    return E / total, L


def _identity_squared_error(K, Y, xp):
    """``H = K`` and ``L = (K - Y)^2 / 2`` per output (summed over the outputs: half the squared
    distance of each example)."""
    R = K - Y  # (n_L, m)
    return K, R * R / 2  # (n_L, m)


class Head(NamedTuple):
    output: Callable  # (K, xp) -> H, shape (n_L, m)
    # (K, Y, xp) -> H (n_L, m) and L, the loss of each output (n_L, m), or of each example (1, m)
    # where it does not split by output (softmax): summed over its rows, each example's loss
    output_and_loss: Callable

    def loss(self, K, Y, xp):
        """The loss of each example, ``L`` (1, m)."""
        return xp.sum(self.output_and_loss(K, Y, xp)[1], axis=0, keepdims=True)


HEADS: dict[str, Head] = {
    "sigmoid": Head(sigmoid, _sigmoid_cross_entropy),
    "softmax": Head(softmax, _softmax_cross_entropy),
    "identity": Head(lambda K, xp: K, _identity_squared_error),
}


def cost_and_dK(head: Head, K, Y, S, xp):
    """Return the data cost ``J = sum(S * L) / m`` (0-D) and ``dK = S * (H - Y) / m`` (n_L, m).

    ``S`` (1, m) holds example weights, or is None for all ones (the lecture's ``J = sum(L)/m``).

    >>> import numpy as np
    >>> K = np.array([[0.0, 0.0]]); Y = np.array([[1.0, 0.0]])
    >>> J, dK = cost_and_dK(HEADS["sigmoid"], K, Y, None, np)
    >>> float(J), dK  # log 2; (H - Y) / m = ([0.5, 0.5] - [1, 0]) / 2
    (0.6931471805599453, array([[-0.25,  0.25]]))
    """
    m = K.shape[1]
    H, L = head.output_and_loss(K, Y, xp)  # (n_L, m), (n_L or 1, m)
    dK = H - Y  # (n_L, m): the fused dJ/dH * dH/dK, before weighting
    if S is not None:
        L = S * xp.sum(L, axis=0, keepdims=True)  # (1, m): each example's loss, weighted
        dK = S * dK
    return xp.sum(L) / m, dK / m


# Prediction on logits that overflowed. These come last in the module, below the lines the
# README's lecture table points at.


def exp_below_max(K, xp):
    """``exp(K - max K)`` of each column of ``K`` (n, m), never NaN for logits of +-inf.

    Each column's largest logits give ``exp(0) = 1`` also where that largest is infinite (where
    ``K - max K`` would be ``inf - inf``), so a column with one ``+inf`` logit gives 1 there and
    ``exp(-inf) = 0`` at every finite logit: a softmax that puts all the probability on it.

    >>> import numpy as np
    >>> exp_below_max(np.array([[np.inf, 0.0], [1.0, 0.0]]), np)
    array([[1., 1.],
           [0., 1.]])
    """
    K_max = xp.max(K, axis=0, keepdims=True)  # (1, m)
    top, zero = K == K_max, xp.zeros_like(K)  # (n, m)
    return xp.exp(xp.where(top, zero, K) - xp.where(top, zero, K_max))  # (n, m)


def scaled_output(head: str, s, K, xp):
    """The output ``H = out(s * K)`` (n_L, m) of logits given as a scale ``s`` (1, m) > 0 times
    ``K`` (n_L, m) (see :meth:`~.network.Network.scaled_logits`), where ``s * K`` may overflow.

    A sigmoid saturates, to 1 or 0, where ``s * K`` overflows to +-inf (its true value is beyond
    the float range); a softmax is ``exp(s * (K - max K))`` normalized, whose exponents are at
    most 0, so a column whose logits are far apart puts all its probability on the largest;
    the identity is ``s * K`` itself (+-inf where it overflows: the caller refuses that).
    NumPy warns of those overflows; run it under ``np.errstate(over="ignore")``.

    >>> import numpy as np
    >>> s = np.array([[1e308, 1.0]])
    >>> with np.errstate(over="ignore"):
    ...     scaled_output("softmax", s, np.array([[3.0, 3.0], [2.0, 2.0]]), np).round(4)
    array([[1.    , 0.7311],
           [0.    , 0.2689]])
    """
    if head == "softmax":
        E = xp.exp(s * (K - xp.max(K, axis=0, keepdims=True)))  # (n_L, m), max 1 per column
        return E / xp.sum(E, axis=0, keepdims=True)
    return HEADS[head].output(s * K, xp)  # s K may overflow to +-inf


def class_probabilities(H, xp):
    """A classifier's probability of each class (m, c), from its outputs ``H`` (m, n_L): one
    sigmoid output is the second of two classes, ``[1 - H, H]``; otherwise one per class."""
    return xp.concat([1 - H, H], axis=1) if H.shape[1] == 1 else H


def class_index(scores):
    """The index in ``classes_`` of each example's most probable class, from NumPy logits
    ``scores``: (m,) for two classes (positive favours the second) or (m, c)."""
    return (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)


def _exp_poisson_deviance(K, Y, xp):
    """``H = exp(K)`` and ``L = Y log(Y / H) - Y + H`` (half the Poisson deviance), from ``K``.

    ``Y log(Y / H)`` is ``Y log Y - Y K`` (0 where ``Y = 0``), so no ``log(exp(K))``; its
    derivative in ``K`` is ``H - Y``, the same fused form as the other heads.
    """
    H = xp.exp(K)  # (n_L, m)
    positive = Y > 0
    Y_log_Y = xp.where(positive, Y * xp.log(xp.where(positive, Y, xp.ones_like(Y))), 0 * Y)
    return H, Y_log_Y - Y * K - Y + H  # (n_L, m)


HEADS["exp"] = Head(lambda K, xp: xp.exp(K), _exp_poisson_deviance)  # MLPRegressor(loss="poisson")
