"""Optimizers return new parameters, never mutate; their updates follow their formulas."""

import math

import numpy as np
import pytest

from vectorlearn.core.optimizers import Adam, GradientDescent, Momentum
from vectorlearn.core.schedules import make_schedule


@pytest.mark.parametrize(
    "optimizer", [GradientDescent(0.1), Momentum(0.1), Momentum(0.1, nesterov=True), Adam(0.1)]
)
def test_step_returns_new_arrays_and_leaves_inputs_alone(optimizer):
    params, grads = (
        [np.array([1.0, 2.0]), np.array([[3.0]])],
        [np.array([0.5, -0.5]), np.ones((1, 1))],
    )
    before = [p.copy() for p in params]
    new = optimizer.step(params, grads)
    for p, b, n in zip(params, before, new):
        np.testing.assert_array_equal(p, b)
        assert n is not p and n.shape == p.shape and not np.array_equal(n, p)


def test_momentum_by_hand():
    opt = Momentum(learning_rate=0.1, momentum=0.9)
    w = [np.array([1.0])]
    w = opt.step(w, [np.array([1.0])])  # V = -0.1, W = 0.9
    w = opt.step(w, [np.array([1.0])])  # V = 0.9 * -0.1 - 0.1 = -0.19, W = 0.71
    assert w[0][0] == pytest.approx(0.71)
    nesterov = Momentum(learning_rate=0.1, momentum=0.9, nesterov=True)
    w = nesterov.step([np.array([1.0])], [np.array([1.0])])  # W + 0.9 * -0.1 - 0.1 = 0.81
    assert w[0][0] == pytest.approx(0.81)


def test_adam_first_step_moves_each_parameter_by_the_learning_rate():
    """After bias correction, Adam's first step is alpha * sign(g) (up to epsilon)."""
    opt = Adam(learning_rate=0.01)
    (w,) = opt.step([np.array([1.0, 1.0])], [np.array([3.0, -1e-3])])
    np.testing.assert_allclose(w, [0.99, 1.01], atol=1e-5)  # epsilon shortens tiny steps a bit
    assert opt.t == 1


def test_adam_minimizes_a_quadratic():
    opt = Adam(learning_rate=0.1)
    w = [np.array([5.0, -3.0])]
    for _ in range(500):
        w = opt.step(w, [2 * w[0]])
    assert np.abs(w[0]).max() < 1e-2


def test_schedules():
    assert make_schedule("constant", 0.1).rate(9, None) == 0.1
    assert make_schedule("invscaling", 0.1).rate(3, None) == pytest.approx(0.05)
    assert make_schedule("step", 0.1).rate(10, None) == pytest.approx(0.05)
    assert make_schedule("exponential", 0.1).rate(2, None) == pytest.approx(0.1 * 0.95**2)
    plateau = make_schedule("adaptive", 0.1)
    rates = [plateau.rate(e, c) for e, c in enumerate([None, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5])]
    assert rates[:4] == [0.1, 0.1, 0.1, 0.1] and math.isclose(rates[4], 0.02)
    with pytest.raises(ValueError, match="schedule"):
        make_schedule("cosine", 0.1)


def reference_adam(params, grads_per_step, alpha=0.01, b1=0.9, b2=0.999, eps=1e-8):
    """Adam written out per array, the textbook way, for comparison."""
    M = [np.zeros_like(p) for p in params]
    V = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step, start=1):
        alpha_t = alpha * math.sqrt(1 - b2**t) / (1 - b1**t)
        M = [b1 * m + (1 - b1) * g for m, g in zip(M, grads)]
        V = [b2 * v + (1 - b2) * g * g for v, g in zip(V, grads)]
        params = [p - alpha_t * m / (np.sqrt(v) + eps) for p, m, v in zip(params, M, V)]
    return params, M


def test_adam_on_one_flat_vector_equals_the_textbook_update():
    """The flat vector with in-place moments is the same arithmetic as Adam per array."""
    rng = np.random.default_rng(0)
    shapes = [(5, 4), (4, 1), (4, 1), (1, 1)]
    params = [rng.normal(size=s) for s in shapes]
    before = [p.copy() for p in params]
    grads_per_step = [[rng.normal(size=s) for s in shapes] for _ in range(5)]
    opt, current = Adam(0.01), params
    for grads in grads_per_step:
        current = opt.step(current, grads)
    expected, moments = reference_adam(params, grads_per_step)
    for a, b in zip(current, expected):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    for a, b in zip(opt.first_moments, moments):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p, b)  # the caller's arrays were never written
    # its state survives a round trip through state_dict (a checkpoint)
    again = Adam(0.01)
    again.load_state_dict(
        {
            k: ([np.array(m) for m in v] if isinstance(v, list) else v)
            for k, v in opt.state_dict().items()
        }
    )
    grads = [rng.normal(size=s) for s in shapes]
    for a, b in zip(opt.step(current, grads), again.step([np.array(c) for c in current], grads)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make", [lambda: Momentum(0.1), lambda: Momentum(0.1, nesterov=True), lambda: Adam(0.1)]
)
def test_eager_step_and_pure_update_agree(make):
    # a compiled epoch (core/compiled.py) runs `update` with explicit state; the eager loop runs
    # `step` (Adam's is an in-place form over one flat vector): the two must be one rule
    rng = np.random.default_rng(0)
    eager, pure = make(), make()
    params = [rng.normal(size=(3, 2)), rng.normal(size=(2, 1))]
    state = pure.explicit_state(params)
    p_eager = p_pure = params
    for _ in range(4):
        grads = [rng.normal(size=p.shape) for p in params]
        p_eager = eager.step(p_eager, grads)
        alpha = pure.step_sizes(1)[0]
        p_pure, state = pure.update(p_pure, grads, state, alpha, *pure.hyper())
        pure.keep(state, 1)
    for a, b in zip(p_eager, p_pure):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    for name, value in eager.state_dict().items():  # what a checkpoint saves is the same too
        theirs = pure.state_dict()[name]
        if isinstance(value, list):
            for a, b in zip(value, theirs):
                np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
        else:
            assert value == theirs
    # and an eager step after kept state goes on from it
    grads = [np.ones(p.shape) for p in params]
    for a, b in zip(eager.step(p_eager, grads), pure.step(p_pure, grads)):
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


def test_adam_step_sizes_follow_the_bias_correction():
    opt = Adam(learning_rate=0.01)
    opt.t = 2
    expected = [0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) for t in (3, 4)]
    np.testing.assert_allclose(opt.step_sizes(2), expected, rtol=1e-15)


def test_numpys_own_reshape_gives_what_array_api_compat_gives(monkeypatch):
    # Adam's flattening and splitting and the penalty reshape NumPy arrays by their own method
    # (a fifth of compat's cost, fifteen times a step): the same views, the same steps
    import array_api_compat.numpy as xp

    import vectorlearn.core.network as network_module
    import vectorlearn.core.optimizers as optimizers_module
    from vectorlearn.core.backend import NUMPY, reshape

    A = np.arange(12.0).reshape(3, 4)
    for a, shape in ((A, (-1,)), (A.T, (-1,)), (A[:, 1:], (9,)), (A.ravel(), (4, 3))):
        ours, theirs = reshape(a, shape, NUMPY), xp.reshape(a, shape)
        np.testing.assert_array_equal(ours, theirs)
        assert np.shares_memory(ours, a) == np.shares_memory(theirs, a)  # views where compat's
    rng = np.random.default_rng(0)
    shapes = [(5, 4), (4, 1), (4, 1), (1, 1)]
    params = [rng.normal(size=s).astype(np.float32) for s in shapes]
    grads = [[rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(3)]
    runs = []
    for own in (True, False):
        if not own:
            portable = lambda a, shape, xp: xp.reshape(a, shape)  # noqa: E731
            monkeypatch.setattr(optimizers_module, "reshape", portable)
            monkeypatch.setattr(network_module, "reshape", portable)
        adam, p = Adam(0.01), params
        for g in grads:
            p = adam.step(p, network_module.add_penalty(0.0, g, p[:2], 0.1)[1] + g[2:])
        runs.append(p)
    for ours, theirs in zip(*runs):
        np.testing.assert_array_equal(ours, theirs)
