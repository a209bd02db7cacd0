"""The for-loop learners that the lecture replaces, kept to prove equality and measure speedups.

Nothing here is vectorized, on purpose: weights live in a ``dict`` or a ``list``, and every
example and every feature is visited by a Python loop, exactly as in the lecture's first program::

    for epoch in range(num_epochs):
        for x, y in training_examples:
            for i in range(num_features):
                ...

The tests show that ``train_loop_gd`` equals ``LogisticRegression(solver="gd")`` and that
``train_dict_sgd`` equals the vectorized per-example update, both to 1e-10.
"""

from __future__ import annotations

import math


def sigmoid(k: float) -> float:
    """``1 / (1 + e^-k)`` for one number, without overflow for large ``|k|``."""
    if k >= 0:
        return 1.0 / (1.0 + math.exp(-k))
    e = math.exp(k)
    return e / (1.0 + e)


def chain_rule_factors(h: float, y: float, x: list[float]):
    """The lecture's three factors of ``dL/dW`` for one example, before they are fused.

    ``dL/dH = -y/h + (1-y)/(1-h)``, ``dH/dK = h (1 - h)`` and ``dK/dW = x``, so that
    ``dL/dW = dL/dH * dH/dK * dK/dW = (h - y) x``.

    >>> dL_dH, dH_dK, dK_dW = chain_rule_factors(0.8, 1.0, [2.0, -1.0])
    >>> [round(dL_dH * dH_dK * xi, 12) for xi in dK_dW]  # (h - y) x = -0.2 x
    [-0.4, 0.2]
    """
    dL_dH = -y / h + (1 - y) / (1 - h)
    dH_dK = h * (1 - h)
    dK_dW = list(x)
    return dL_dH, dH_dK, dK_dW


def train_dict_sgd(feature_dicts, labels, num_epochs: int, alpha: float):
    """Stochastic gradient descent with weights in a ``dict[str, float]``.

    ``feature_dicts`` is a list of ``{feature name: value}``, ``labels`` a list of 0/1. Each
    example updates the weights at once (per-example SGD), in the order given, every epoch.
    Returns ``(weights, bias)``.

    >>> w, b = train_dict_sgd([{"a": 1.0}, {"a": -1.0}], [1, 0], num_epochs=1, alpha=0.5)
    >>> round(w["a"], 6), round(b, 6)
    (0.5, 0.0)
    """
    weights: dict[str, float] = {}
    bias = 0.0
    for _epoch in range(num_epochs):
        for x, y in zip(feature_dicts, labels):
            k = bias
            for name, value in x.items():  # K = W^T x + b, one feature at a time
                k += weights.get(name, 0.0) * value
            h = sigmoid(k)
            for name, value in x.items():  # W = W - alpha * (h - y) * x
                weights[name] = weights.get(name, 0.0) - alpha * (h - y) * value
            bias -= alpha * (h - y)
    return weights, bias


def train_loop_gd(X, y, num_epochs: int, alpha: float):
    """Batch gradient descent on the mean cross-entropy, with Python loops over plain lists.

    ``X`` is a list of ``m`` rows of ``n`` numbers, ``y`` a list of 0/1. Starts at zero, as
    ``LogisticRegression(solver="gd")`` does, and takes one step per epoch.
    Returns ``(w, b)`` with ``w`` a list of ``n`` weights.
    """
    m, n = len(X), len(X[0])
    w = [0.0] * n
    b = 0.0
    for _epoch in range(num_epochs):
        dw = [0.0] * n
        db = 0.0
        for i in range(m):
            k = b
            for j in range(n):
                k += w[j] * X[i][j]  # K = W^T x + b
            h = sigmoid(k)  # H = sigmoid(K)
            dk = (h - y[i]) / m  # dJ/dK = dJ/dH * dH/dK, see chain_rule_factors
            for j in range(n):
                dw[j] += dk * X[i][j]  # dJ/dW = dJ/dK * dK/dW, dK/dW = x
            db += dk
        for j in range(n):
            w[j] -= alpha * dw[j]  # W = W - alpha * dJ/dW
        b -= alpha * db
    return w, b
