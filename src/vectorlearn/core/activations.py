"""Hidden-layer activations: each a forward ``A = g(K)`` beside its backward ``dA -> dK``.

Every backward takes ``(dA, K, A, xp)`` and returns ``dK = dA * g'(K)`` of shape ``(n_l, m)``;
it uses whichever of ``K`` or ``A`` gives ``g'`` most cheaply and never mutates its inputs.

>>> import numpy as np
>>> K = np.array([[-2.0, 0.0, 3.0]])
>>> ACTIVATIONS["relu"].forward(K, np)
array([[0., 0., 3.]])
>>> ACTIVATIONS["relu"].backward(np.ones_like(K), K, None, np)
array([[0., 0., 1.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .backend import NUMPY, zero

LEAKY_SLOPE = 0.01


def sigmoid(K, xp):
    """``1 / (1 + exp(-K))`` without overflow: ``exp`` only ever sees ``-|K|``."""
    E = xp.exp(-xp.abs(K))  # (n, m), in (0, 1]
    return xp.where(K >= 0, 1 / (1 + E), E / (1 + E))


def _relu(K, xp):
    return xp.maximum(K, zero(K, xp))  # one pass (K * (K > 0) takes three); see zero()


def _relu_backward(dA, K, A, xp):
    if xp is NUMPY:  # NumPy selects (where) at a sixth of the speed it multiplies
        return dA * xp.astype(K > 0, dA.dtype)
    return xp.where(K > 0, dA, zero(dA, xp))  # one kernel on a GPU, where the product takes two


def _relu_in_place(K):  # NumPy's fast path (.workspace): _relu's numbers, written over K
    return np.maximum(K, 0.0, out=K)  # K > 0 exactly where A > 0: the backward still works


def _relu_backward_in_place(dA, K, scratch):  # _relu_backward's numbers, into dA itself
    # K may hold A = max(K, 0) by now (_relu_in_place): A > 0 exactly where K > 0
    return np.multiply(dA, np.greater(K, 0, out=scratch), out=dA)  # scratch: (n_l, m) bool


def _leaky_relu(K, xp):
    return K * _leaky_slope(K, xp)


def _leaky_relu_backward(dA, K, A, xp):
    return dA * _leaky_slope(K, xp)


def _leaky_slope(K, xp):
    """``g'(K)`` of leaky ReLU: 1 where ``K > 0``, else ``LEAKY_SLOPE``."""
    positive = xp.astype(K > 0, K.dtype)
    return positive + LEAKY_SLOPE * (1 - positive)


def _tanh_backward(dA, K, A, xp):
    return dA * (1 - A * A)


def _sigmoid_backward(dA, K, A, xp):
    return dA * A * (1 - A)


class Activation(NamedTuple):
    """A forward and backward pair; ReLU adds NumPy's fast path (:mod:`.workspace`): the same
    numbers written into arrays that are already there."""

    forward: Callable  # (K, xp) -> A
    backward: Callable  # (dA, K, A, xp) -> dK
    forward_in_place: Callable | None = None  # (K) -> A, written over K
    backward_in_place: Callable | None = None  # (dA, K, scratch) -> dK, written into dA


# scikit-learn's names for the activations named otherwise here (MLP's ``activation="logistic"``)
ALIASES = {"logistic": "sigmoid"}
ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(_relu, _relu_backward, _relu_in_place, _relu_backward_in_place),
    "leaky_relu": Activation(_leaky_relu, _leaky_relu_backward),
    "tanh": Activation(lambda K, xp: xp.tanh(K), _tanh_backward),
    "sigmoid": Activation(sigmoid, _sigmoid_backward),
    "identity": Activation(lambda K, xp: K, lambda dA, K, A, xp: dA),
}
