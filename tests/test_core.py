"""The core's math: forward values, gradient checks in float64, on NumPy and array-api-strict."""

import math

import numpy as np
import pytest
from conftest import as_xp, numpy_of

from vectorlearn.core.activations import ACTIVATIONS, sigmoid
from vectorlearn.core.heads import HEADS, cost_and_dK, softmax
from vectorlearn.core.layers import dense_backward, dense_forward
from vectorlearn.core.network import Network
from vectorlearn.gradcheck import check_gradients, check_network

TOL = 1e-7  # the bound on the relative error of every gradient check


def test_lecture_example_by_hand(xp):
    """The lecture's W = [0.1, 0.2, 0.3, 0.4] and its 3 x 4 matrix X2, with columns as examples."""
    W = as_xp(xp, [[0.1], [0.2], [0.3], [0.4]])  # (n_f, 1): no rank-1 arrays
    X = as_xp(xp, [[1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4], [0.01, 0.02, 0.03, 0.04]]).T  # (4, 3)
    Y = as_xp(xp, [[0.0, 1.0, 1.0]])
    B = as_xp(xp, [[0.0]])
    net = Network((4, 1), head="sigmoid")
    K = net.logits([W], [B], X)
    # K = W^T X: 0.1*1 + 0.2*2 + 0.3*3 + 0.4*4 = 3.0; then 0.3 and 0.03.
    np.testing.assert_allclose(numpy_of(K), [[3.0, 0.3, 0.03]], atol=1e-15)
    H = net.predict([W], [B], X)
    # H = 1 / (1 + e^-K) = 0.952574, 0.574443, 0.507499
    np.testing.assert_allclose(numpy_of(H), [[0.9525741268, 0.5744425168, 0.5074994376]], atol=1e-9)
    J, dW, dB = net.cost_and_gradients([W], [B], X, Y)
    # L = -log(1 - 0.952574) = 3.048587, -log(0.574443) = 0.554355, -log(0.507499) = 0.678260;
    # J = (3.048587 + 0.554355 + 0.678260) / 3 = 1.427067
    assert float(J) == pytest.approx(1.4270674241279069, abs=1e-12)
    # dK = (H - Y) / 3 = 0.317525, -0.141852, -0.164167; dW = X dK^T; dB = sum(dK)
    np.testing.assert_allclose(
        numpy_of(dW[0]).ravel(), [0.3016977910, 0.6033955819, 0.9050933729, 1.2067911638], atol=1e-9
    )
    assert float(dB[0][0, 0]) == pytest.approx(0.0115053604, abs=1e-9)


def test_stable_functions_match_naive_formulas_where_naive_is_safe():
    K = np.linspace(-15, 15, 61)[np.newaxis, :]  # beyond, the naive log(1 - H) loses digits
    Y = (np.arange(61) % 2)[np.newaxis, :].astype(float)
    H = 1 / (1 + np.exp(-K))
    np.testing.assert_allclose(sigmoid(K, np), H, rtol=1e-12)
    out, L = HEADS["sigmoid"].output_and_loss(K, Y, np)
    np.testing.assert_allclose(out, H, rtol=1e-12)
    np.testing.assert_allclose(L[0], -Y[0] * np.log(H[0]) - (1 - Y[0]) * np.log1p(-H[0]), rtol=1e-9)
    K3 = np.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 0.0]])
    Y3 = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    P = np.exp(K3) / np.sum(np.exp(K3), axis=0, keepdims=True)
    out, L = HEADS["softmax"].output_and_loss(K3, Y3, np)
    np.testing.assert_allclose(out, P)
    np.testing.assert_allclose(softmax(K3, np), P)
    np.testing.assert_allclose(L[0], -np.sum(Y3 * np.log(P), axis=0))
    np.testing.assert_allclose(np.sum(softmax(K3, np), axis=0), [1.0, 1.0])


@pytest.mark.parametrize("head", ["sigmoid", "softmax", "identity"])
def test_extreme_logits_give_finite_costs_and_gradients(head):
    K = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    Y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        J, dK = cost_and_dK(HEADS[head], K, Y, None, np)
    assert np.isfinite(J) and np.all(np.isfinite(dK))


def test_the_sigmoid_heads_output_and_gradient_at_infinite_logits():
    # a diverging float32 step can overflow a logit to +-inf: the output saturates to 1 and 0
    # (log H = min(K, 0) - log1p(e^-|K|), never inf - inf), so dK stays finite in that epoch
    K = np.array([[np.inf, -np.inf, np.inf, -np.inf]])
    Y = np.array([[1.0, 0.0, 0.0, 1.0]])
    with np.errstate(invalid="ignore"):  # L: inf - inf where the answer is right
        H, L = HEADS["sigmoid"].output_and_loss(K, Y, np)
        _, dK = cost_and_dK(HEADS["sigmoid"], K, Y, None, np)
    np.testing.assert_array_equal(H, [[1.0, 0.0, 1.0, 0.0]])
    assert not np.isfinite(L[0, 2:]).any()  # wrong and sure: no finite loss (the fit diverged)
    np.testing.assert_array_equal(dK, [[0.0, 0.0, 0.25, -0.25]])


def test_fused_gradient_equals_the_chain_rule_product():
    """dJ/dK = dJ/dH * dH/dK = (H - Y) / m for sigmoid + cross-entropy (the lecture's chain)."""
    K = np.array([[-1.5, 0.2, 2.0]])
    Y = np.array([[0.0, 1.0, 1.0]])
    m = K.shape[1]
    H = sigmoid(K, np)
    dJ_dH = (-Y / H + (1 - Y) / (1 - H)) / m
    dH_dK = H * (1 - H)
    _, dK = cost_and_dK(HEADS["sigmoid"], K, Y, None, np)
    np.testing.assert_allclose(dK, dJ_dH * dH_dK, rtol=1e-12)


@pytest.mark.parametrize("head", ["sigmoid", "softmax", "identity"])
def test_head_gradients_against_finite_differences(head):
    rng = np.random.default_rng(0)
    K = rng.normal(size=(3, 5))
    Y = np.eye(3)[:, rng.integers(0, 3, 5)] if head == "softmax" else rng.random((3, 5))
    if head == "sigmoid":
        Y = (Y > 0.5).astype(float)
    S = rng.random((1, 5)) + 0.5

    def fun(params):
        J, dK = cost_and_dK(HEADS[head], params[0], Y, S, np)
        return J, [dK]

    assert max(check_gradients(fun, [K])) < TOL


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_backward_against_finite_differences(name):
    rng = np.random.default_rng(1)
    K = rng.normal(size=(4, 6))
    K[np.abs(K) < 1e-3] = 0.5  # keep away from the ReLU kink, where no derivative exists
    G = rng.normal(size=(4, 6))  # J = sum(G * g(K)), so dA = G
    act = ACTIVATIONS[name]

    def fun(params):
        A = act.forward(params[0], np)
        return float(np.sum(G * A)), [act.backward(G, params[0], A, np)]

    assert max(check_gradients(fun, [K])) < TOL


def test_dense_layer_against_finite_differences():
    rng = np.random.default_rng(2)
    A_prev, W, B = rng.normal(size=(3, 7)), rng.normal(size=(3, 2)), rng.normal(size=(2, 1))
    G = rng.normal(size=(2, 7))  # J = sum(G * K), so dK = G

    def fun(params):
        A_prev, W, B = params
        K = dense_forward(A_prev, W, B, np)
        dA_prev, dW, dB = dense_backward(G, A_prev, W, np)
        return float(np.sum(G * K)), [dA_prev, dW, dB]

    assert max(check_gradients(fun, [A_prev, W, B])) < TOL


def _problem(head, sizes, m=9, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(sizes[0], m))
    n_out = sizes[-1]
    if head == "softmax":
        Y = np.eye(n_out)[:, rng.integers(0, n_out, m)]
    elif head == "sigmoid":
        Y = (rng.random((n_out, m)) > 0.5).astype(float)
    else:
        Y = rng.normal(size=(n_out, m))
    return rng, X, Y


@pytest.mark.parametrize(
    "head,sizes", [("sigmoid", (4, 1)), ("softmax", (4, 3)), ("identity", (4, 2))]
)
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_cost_gradient_with_l2(head, sizes, weighted):
    """The logistic cost (binary and softmax) with its L2 term and example weights."""
    rng, X, Y = _problem(head, sizes)
    net = Network(sizes, head=head)
    W = [rng.normal(size=(sizes[0], sizes[1]))]
    B = [rng.normal(size=(sizes[1], 1))]
    S = rng.random((1, X.shape[1])) + 0.5 if weighted else None
    errors = check_network(net, W, B, X, Y, S=S, l2=0.3)
    assert max(errors.values()) < TOL, errors


def test_l2_does_not_touch_the_intercept():
    rng, X, Y = _problem("sigmoid", (4, 1))
    net = Network((4, 1), head="sigmoid")
    W, B = [rng.normal(size=(4, 1))], [rng.normal(size=(1, 1))]
    J0, dW0, dB0 = net.cost_and_gradients(W, B, X, Y)
    J1, dW1, dB1 = net.cost_and_gradients(W, B, X, Y, l2=2.0)
    np.testing.assert_array_equal(dB0[0], dB1[0])
    np.testing.assert_allclose(dW1[0] - dW0[0], 2.0 * W[0])
    assert float(J1 - J0) == pytest.approx(float(np.sum(W[0] ** 2)))


def test_gradcheck_catches_a_wrong_gradient():
    """The checker itself can fail: a gradient with a dropped factor is reported."""
    rng, X, Y = _problem("sigmoid", (4, 1))
    net = Network((4, 1), head="sigmoid")
    W, B = [rng.normal(size=(4, 1))], [rng.normal(size=(1, 1))]

    def wrong(params):
        J, dW, dB = net.cost_and_gradients(params[:1], params[1:], X, Y)
        return J, [dW[0] * 2, dB[0]]  # a dropped 1/2

    errors = check_gradients(wrong, W + B)
    assert errors[0] > 0.1 and errors[1] < TOL


def test_numpy_and_array_api_strict_agree(xp):
    """Cost and gradients of a two-layer network are the same on every namespace (float64)."""
    rng, X, Y = _problem("softmax", (5, 4, 3), m=11)
    net = Network((5, 4, 3), activation="tanh", head="softmax")
    W, B = net.init_params(np.random.default_rng(0), np, "float64")
    J_np, dW_np, dB_np = net.cost_and_gradients(W, B, X, Y, l2=0.1)
    J, dW, dB = net.cost_and_gradients(
        [as_xp(xp, w) for w in W], [as_xp(xp, b) for b in B], as_xp(xp, X), as_xp(xp, Y), l2=0.1
    )
    assert float(J) == pytest.approx(float(J_np), rel=1e-12)
    for a, b in zip(dW + dB, dW_np + dB_np):
        np.testing.assert_allclose(numpy_of(a), b, rtol=1e-12, atol=1e-15)


def test_network_rejects_bad_descriptions():
    with pytest.raises(ValueError, match="activation"):
        Network((2, 1), activation="swish")
    with pytest.raises(ValueError, match="head"):
        Network((2, 1), head="tanh")
    with pytest.raises(ValueError, match="positive"):
        Network((2, 0, 1))


def test_init_is_zero_for_convex_models_and_seeded_otherwise():
    W, B = Network((3, 2), head="softmax").init_params(None, np, "float64")
    assert not np.any(W[0]) and not np.any(B[0])
    net = Network((30, 20, 1), activation="relu")
    W1, _ = net.init_params(np.random.default_rng(5), np, "float64")
    W2, _ = net.init_params(np.random.default_rng(5), np, "float64")
    np.testing.assert_array_equal(W1[0], W2[0])
    # ReLU layers: uniform in +-1/sqrt(n_in); the output layer: Glorot-uniform
    for W_l, limit in ((W1[0], 1 / math.sqrt(30)), (W1[1], math.sqrt(6 / 21))):
        assert np.abs(W_l).max() <= limit
        assert np.std(W_l) == pytest.approx(
            limit / math.sqrt(3), rel=0.15 if W_l.size > 100 else 0.5
        )


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("head", ["sigmoid", "softmax", "identity"])
def test_whole_network_gradients(depth, activation, head):
    """Every activation x head x depth 1..4, with L2 and example weights, in float64."""
    sizes = (4, *[5] * (depth - 1), 3)
    rng, X, Y = _problem(head, sizes, m=7, seed=depth)
    net = Network(sizes, activation=activation, head=head)
    W, B = net.init_params(rng, np, "float64")
    B = [b + rng.normal(scale=0.1, size=b.shape) for b in B]  # nonzero intercepts too
    S = rng.random((1, 7)) + 0.5
    errors = check_network(net, W, B, X, Y, S=S, l2=0.05)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_dropout_gradients_with_a_fixed_mask(activation):
    from vectorlearn.core.network import make_dropout_masks

    sizes = (4, 6, 5, 2)
    rng, X, Y = _problem("softmax", sizes, m=8, seed=7)
    net = Network(sizes, activation=activation, head="softmax")
    W, B = net.init_params(rng, np, "float64")
    # nonzero intercepts: a column whose units were all dropped would sit exactly on ReLU's kink
    B = [b + rng.normal(scale=0.1, size=b.shape) for b in B]
    masks = make_dropout_masks(net, 0.4, 8, rng, X)
    assert len(masks) == 2 and set(np.unique(masks[0])) <= {0.0, 1 / 0.6}
    errors = check_network(net, W, B, X, Y, l2=0.01, masks=masks)
    assert max(errors.values()) < TOL, errors
    # and the mask really drops units: the cost differs from the one without dropout
    assert float(net.cost_and_gradients(W, B, X, Y, masks=masks)[0]) != pytest.approx(
        float(net.cost_and_gradients(W, B, X, Y)[0])
    )
