"""Checks for lab 2: a deep network in NumPy, examples as columns, ``W_l`` (N_{l-1}, N_l).

The expected values come from :mod:`vectorlearn.core` (the same network: ReLU hidden layers, a
sigmoid output, cross-entropy cost), and the student's ``backward`` is compared with central
differences of the student's own ``cost(forward(...))``, so it is judged against the definition
of a gradient, not against another implementation.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..core import HEADS, GradientDescent, Network, cost_and_dK, namespace
from ..gradcheck import numerical_gradients
from ._checking import Mismatch, as_array, expect_array, expect_number, expect_shape, show

SIZES = (5, 4, 3, 1)  # N_0, N_1, N_2, N_3
NETWORK = Network(SIZES, activation="relu", head="sigmoid")
L = NETWORK.n_layers


def _problem(m=7, seed=12):
    """``X`` (5, m), ``Y`` (1, m) with both labels, and random ``W``, ``B`` (nonzero ``B``).

    Seeds are tried from ``seed`` on until no hidden ``K`` is within 1e-3 of ReLU's kink, where
    finite differences would be unreliable.
    """
    while True:
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(SIZES[0], m))  # (N_0, m)
        Y = (np.arange(m) % 2 == 0).astype(float)[np.newaxis, :]  # (1, m)
        W = [rng.normal(0.0, 0.8, size=(a, b)) for a, b in itertools.pairwise(SIZES)]
        B = [rng.normal(0.0, 0.3, size=(b, 1)) for b in SIZES[1:]]  # (N_l, 1)
        A, far_from_kinks = X, True
        for l in range(L - 1):  # the hidden layers
            K = W[l].T @ A + B[l]  # (N_l, m)
            far_from_kinks = far_from_kinks and np.min(np.abs(K)) > 1e-3
            A = np.maximum(K, 0)  # (N_l, m)
        if far_from_kinks:
            return X, Y, W, B
        seed += 1


def _pair(what, got):
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        raise Mismatch(f"{what} should return a pair, got {type(got).__name__}: {got!r:.200}")
    return got


def _layers(what, got, n=L):
    if not isinstance(got, (list, tuple)) or len(got) != n:
        size = len(got) if hasattr(got, "__len__") else "?"
        raise Mismatch(
            f"{what} should be a list of {n} arrays, one per layer, "
            f"got {type(got).__name__} of length {size}"
        )
    return [as_array(f"{what}[{l}]", a) for l, a in enumerate(got)]


def check_init_params(lab):
    W, B = _pair("init_params", lab.init_params(SIZES, np.random.default_rng(0)))
    W, B = _layers("W", W), _layers("B", B)
    for l in range(L):
        n_in, n_out = SIZES[l], SIZES[l + 1]
        expect_shape(f"W[{l}] (W_{l + 1}, sizes {SIZES})", (n_in, n_out), W[l])
        expect_shape(f"B[{l}] (B_{l + 1}, sizes {SIZES})", (n_out, 1), B[l])
        if np.any(B[l] != 0):
            raise Mismatch(f"B[{l}] should start at zeros, got {show(B[l])}")
        if not np.all(np.isfinite(W[l])) or np.ptp(W[l]) == 0:
            raise Mismatch(
                f"W[{l}] should be random numbers (equal weights make the units of a layer "
                f"learn the same thing), got {show(W[l])}"
            )
    shapes = " ".join(str(w.shape) for w in W)
    return f"W shapes {shapes}; B columns of zeros"


def check_forward(lab):
    X, _, W, B = _problem()
    H, _ = _pair("forward", lab.forward(X, W, B))
    expected = NETWORK.predict(W, B, X)  # (1, m)
    slips = {
        "the hidden layers should use ReLU, not the sigmoid": Network(
            SIZES, activation="sigmoid", head="sigmoid"
        ).predict(W, B, X),
        "B is missing: K_l = W_l^T A_{l-1} + B_l": NETWORK.predict(W, [0 * b for b in B], X),
    }
    _expect_with_slips(f"H = forward(X {X.shape}, W, B)[0]", expected, H, slips)
    return f"H {expected.shape} for X {X.shape} through layers {SIZES}"


def check_cost(lab):
    rng = np.random.default_rng(5)
    H = rng.uniform(0.05, 0.95, size=(1, 7))  # (1, m)
    Y = (rng.random((1, 7)) < 0.5).astype(float)  # (1, m)
    K = np.log(H / (1 - H))  # the logits whose sigmoid is H
    J, _ = cost_and_dK(HEADS["sigmoid"], K, Y, None, namespace(K))
    got = lab.cost(H, Y)
    try:
        expect_number(f"cost(H {H.shape}, Y {Y.shape})", float(J), got)
    except Mismatch as mismatch:
        value = float(got) if np.ndim(got) == 0 else None
        hint = ""
        if value is not None and abs(value + float(J)) < 1e-9:
            hint = "\ngot = -expected: J = -(1/m) sum(...)"
        elif value is not None and abs(value - 7 * float(J)) < 1e-9:
            hint = "\ngot = m * expected: divide the sum by m = 7"
        raise Mismatch(str(mismatch) + hint) from None
    return f"J = {float(J):.6f} for m = 7"


def check_backward(lab):
    X, Y, W, B = _problem()
    m = X.shape[1]
    _, cache = _pair("forward", lab.forward(X, W, B))
    dW, dB = _pair("backward", lab.backward(Y, W, cache))
    dW, dB = _layers("dW", dW), _layers("dB", dB)

    def J(params):
        H, _ = lab.forward(X, params[:L], params[L:])
        return (float(lab.cost(H, Y)),)

    numerical = numerical_gradients(J, W + B)
    for l in reversed(range(L)):  # in the order backpropagation computes them
        for name, got, expected in (("dW", dW[l], numerical[l]), ("dB", dB[l], numerical[L + l])):
            what = f"{name}[{l}] (dJ/d{name[1]}_{l + 1}, layer {l + 1})"
            try:
                expect_array(what, expected, got, tol=1e-6, m=m)
            except Mismatch as mismatch:
                raise Mismatch(
                    f"{mismatch}\n(expected: central differences of your "
                    "cost(forward(X, W, B)[0], Y), which the checks above found right)"
                ) from None
    return f"dW, dB of all {L} layers match finite differences (m = {m})"


def check_update(lab):
    X, Y, W, B = _problem()
    _, dW, dB = NETWORK.cost_and_gradients(W, B, X, Y)
    alpha = 0.1
    new_W, new_B = _pair("update", lab.update(W, B, dW, dB, alpha))
    new_W, new_B = _layers("the new W", new_W), _layers("the new B", new_B)
    for l in range(L):
        expect_array(f"the new W[{l}]", W[l] - alpha * dW[l], new_W[l], tol=1e-12)
        expect_array(f"the new B[{l}]", B[l] - alpha * dB[l], new_B[l], tol=1e-12)
    return "W - alpha dW and B - alpha dB for every layer"


def check_train(lab):
    X, Y, _, _ = _problem(m=20, seed=40)
    num_epochs, alpha, seed = 15, 0.5, 3
    W, B = lab.init_params(SIZES, np.random.default_rng(seed))  # checked above
    W, B = [np.asarray(w, dtype=float) for w in W], [np.asarray(b, dtype=float) for b in B]
    optimizer, costs = GradientDescent(alpha), []
    for _epoch in range(num_epochs):  # the reference: the core's cost and gradients, and GD
        J, dW, dB = NETWORK.cost_and_gradients(W, B, X, Y)
        costs.append(float(J))
        params = optimizer.step(W + B, dW + dB)
        W, B = params[:L], params[L:]
    call = f"train(X {X.shape}, Y {Y.shape}, {SIZES}, num_epochs={num_epochs}, alpha={alpha})"
    got = lab.train(X, Y, SIZES, num_epochs, alpha, seed=seed)
    if not (isinstance(got, (tuple, list)) and len(got) == 3):
        raise Mismatch(f"{call} should return W, B, costs; got {type(got).__name__}")
    got_W, got_B = _layers("W", got[0]), _layers("B", got[1])
    got_costs = np.ravel(as_array("costs", list(got[2])))
    expect_array(f"the costs of {call}", np.array(costs), got_costs, tol=1e-9)
    for l in range(L):
        expect_array(f"W[{l}] after {call}", W[l], got_W[l], tol=1e-8)
        expect_array(f"B[{l}] after {call}", B[l], got_B[l], tol=1e-8)
    return f"{num_epochs} epochs of full-batch gradient descent equal the reference"


def check_predict(lab):
    X, _, W, B = _problem()
    expected = (NETWORK.predict(W, B, X) >= 0.5).astype(float)  # (1, m)
    got = as_array("predict(X, W, B)", lab.predict(X, W, B))
    if got.shape == expected.shape and not np.all((got == 0) | (got == 1)):
        raise Mismatch(f"predict should return labels 0 and 1, not probabilities: {show(got)}")
    expect_array(f"predict(X {X.shape}, W, B)", expected, got, tol=0.0)
    return f"labels {expected.shape}, 1 where H >= 0.5"


CHECKS = [
    ("init_params", check_init_params),
    ("forward", check_forward),
    ("cost", check_cost),
    ("backward", check_backward),
    ("update", check_update),
    ("train", check_train),
    ("predict", check_predict),
]


def _expect_with_slips(what, expected, got, slips):
    try:
        expect_array(what, expected, got, tol=1e-9)
    except Mismatch as mismatch:
        got = np.asarray(got, dtype=float)
        for hint, value in slips.items():
            if got.shape == value.shape and np.allclose(got, value, rtol=1e-9, atol=1e-12):
                raise Mismatch(f"{mismatch}\n{hint}") from None
        raise
