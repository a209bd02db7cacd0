"""The shared training loop and L-BFGS, on NumPy and array-api-strict."""

import math

import numpy as np
import pytest
from conftest import as_xp, numpy_of

from vectorlearn.core.batches import Ahead
from vectorlearn.core.lbfgs import train_lbfgs
from vectorlearn.core.network import Network
from vectorlearn.core.optimizers import BarzilaiBorwein, GradientDescent
from vectorlearn.core.training import (
    Hooks,
    TrainConfig,
    TrainingDiverged,
    lipschitz_learning_rate,
    minibatches,
    train,
)


def _binary(m=80, n=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    Y = (rng.normal(size=(1, n)) @ X + 0.5 * rng.normal(size=(1, m)) > 0).astype(float)
    return X, Y


def test_train_and_lbfgs_agree_across_namespaces(xp):
    X, Y = _binary()
    net = Network((3, 1), head="sigmoid")
    results = {}
    for name, ns in [("numpy", np), ("xp", xp)]:
        Xs, Ys = (X, Y) if ns is np else (as_xp(xp, X), as_xp(xp, Y))
        W, B = net.init_params(None, ns, ns.float64)
        config = TrainConfig(batch_size=16, max_epochs=20, l2=0.01, rng=np.random.default_rng(0))
        W1, B1, _ = train(net, W, B, Xs, Ys, optimizer=GradientDescent(0.3), config=config)
        W2, B2, _ = train_lbfgs(net, W, B, Xs, Ys, config=TrainConfig(max_epochs=100, l2=0.01))
        results[name] = [numpy_of(a) for a in W1 + B1 + W2 + B2]
    for a, b in zip(results["numpy"], results["xp"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_minibatches_cover_every_example_once_per_epoch():
    rng = np.random.default_rng(0)
    batches = minibatches(10, 3, rng, shuffle=True)
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert minibatches(10, None, rng, shuffle=True) == [None]
    assert minibatches(10, 50, rng, shuffle=True) == [None]


class CountingGenerator(np.random.Generator):
    """A generator that counts the permutations drawn from it (not from copies of it)."""

    drawn = 0

    def permutation(self, x, axis=0):
        self.drawn += 1
        return super().permutation(x, axis)


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937])
def test_orders_drawn_ahead_are_the_orders_drawn_in_turn(bit_generator):
    # the next epoch's permutation is drawn on a thread from a copy of the generator: used only
    # where nothing else drew in between (dropout does), it changes no order and no later draw
    plain, fast = np.random.Generator(bit_generator(3)), CountingGenerator(bit_generator(3))
    ahead = Ahead(min_m=1)
    steps = [(1000, 0), (1000, 0), (1000, 5), (1000, 0), (999, 0), (999, 0), (50, 0), (50, 2)]
    for m, other_draws in steps:  # (examples, draws made by others during that epoch)
        np.testing.assert_array_equal(ahead.permutation(m, fast), plain.permutation(m))
        np.testing.assert_array_equal(fast.random(other_draws), plain.random(other_draws))
    assert fast.random() == plain.random()  # the generator is left where the draws leave it
    assert fast.drawn == 4  # the first, after others drew (twice), a new m; four drawn ahead
    few = CountingGenerator(bit_generator(3))
    for m, _ in steps:
        Ahead(min_m=2000).permutation(m, few)  # below min_m: in turn, no thread
    assert few.drawn == len(steps)


@pytest.mark.parametrize("namespace", ["numpy", "jax"])
def test_a_fit_draws_the_same_orders_ahead_as_in_turn(monkeypatch, namespace):
    from vectorlearn import MLPClassifier
    from vectorlearn.core import batches
    from vectorlearn.core.backend import to_numpy

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    if namespace == "jax":  # each epoch one compiled call (core.compiled), or eager with dropout
        jnp = pytest.importorskip(
            "jax.numpy", reason="JAX is optional: pip install vectorlearn[jax]"
        )
        X, y = jnp.asarray(X), jnp.asarray(y)
    for dropout in (0.0, 0.3):  # dropout draws between epochs: the order ahead is dropped
        fits = []
        for min_m in (10**9, 1):  # in turn, then ahead
            monkeypatch.setattr(batches.Ahead.__init__, "__defaults__", (min_m,))
            model = MLPClassifier((8,), batch_size=256, max_iter=4, dropout=dropout, tol=0.0)
            with pytest.warns(Warning):  # it has not converged in 4 epochs
                fits.append(model.set_params(random_state=0).fit(X, y))
        for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
            np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_one_epoch_fits_draw_nothing_ahead_and_copies_hold_no_thread(monkeypatch):
    import copy
    import pickle

    from vectorlearn import MLPClassifier
    from vectorlearn.core import batches

    asked = []
    permutation = batches.Ahead.permutation
    monkeypatch.setattr(batches.Ahead.__init__, "__defaults__", (1,))  # every size
    monkeypatch.setattr(
        batches.Ahead,
        "permutation",
        lambda self, m, rng: asked.append(m) or permutation(self, m, rng),
    )
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(600, 3)), rng.integers(0, 2, 600)
    with pytest.warns(Warning):  # not converged
        MLPClassifier((4,), batch_size=100, max_iter=1).fit(X, y)
    MLPClassifier((4,), batch_size=100).partial_fit(X, y, classes=[0, 1])
    assert asked == []  # one epoch: no order drawn for an epoch that never comes
    with pytest.warns(Warning):
        MLPClassifier((4,), batch_size=100, max_iter=2).fit(X, y)
    assert asked == [600, 600]
    ahead, generator = batches.Ahead(), np.random.default_rng(1)
    ahead.permutation(600, generator)  # its thread now draws the next order
    for twin in (copy.deepcopy(ahead), pickle.loads(pickle.dumps(ahead))):
        assert twin._thread is None and twin._drawn is None and twin.min_m == 1
        twin_generator = copy.deepcopy(generator)
        np.testing.assert_array_equal(
            twin.permutation(600, twin_generator), copy.deepcopy(generator).permutation(600)
        )


def test_gradient_descent_decreases_the_cost_with_the_lipschitz_step():
    X, Y = _binary(seed=2)
    X = X * np.array([[1.0], [10.0], [0.1]])  # badly scaled on purpose
    net = Network((3, 1), head="sigmoid")
    step = lipschitz_learning_rate(net, X)
    W, B = net.init_params(None, np, np.float64)
    config = TrainConfig(max_epochs=50, n_iter_no_change=None)
    _, _, history = train(net, W, B, X, Y, optimizer=GradientDescent(step), config=config)
    assert all(b <= a + 1e-15 for a, b in zip(history.loss, history.loss[1:]))


def test_barzilai_borwein_reaches_the_lbfgs_optimum():
    X, Y = _binary(seed=3)
    net = Network((3, 1), head="sigmoid")
    W0, B0 = net.init_params(None, np, np.float64)
    optimizer = BarzilaiBorwein(lipschitz_learning_rate(net, X, l2=0.05))
    config = TrainConfig(l2=0.05, max_epochs=500, n_iter_no_change=None, gtol=1e-9)
    W1, B1, h1 = train(net, W0, B0, X, Y, optimizer=optimizer, config=config)
    W2, B2, _ = train_lbfgs(net, W0, B0, X, Y, config=TrainConfig(l2=0.05, tol=1e-10))
    assert h1.converged
    np.testing.assert_allclose(W1[0], W2[0], atol=1e-7)


def test_divergence_raises_with_the_epoch_and_keeps_finite_weights():
    X, Y = _binary()
    X = X * 1e200  # any step overflows
    net = Network((3, 4, 1), activation="identity", head="identity")
    W, B = net.init_params(np.random.default_rng(0), np, np.float64)
    with pytest.raises(TrainingDiverged, match="epoch 1.*smaller learning rate") as info:
        train(net, W, B, X, Y, optimizer=GradientDescent(1.0))
    assert all(np.all(np.isfinite(w)) for w in info.value.W)


def test_callback_can_stop_training_and_sees_every_epoch():
    X, Y = _binary()
    net = Network((3, 1), head="sigmoid")
    W, B = net.init_params(None, np, np.float64)
    seen = []

    def callback(info):
        seen.append(info["epoch"])
        return info["epoch"] == 4

    config, hooks = TrainConfig(max_epochs=100), Hooks(callbacks=[callback])
    _, _, history = train(
        net, W, B, X, Y, optimizer=GradientDescent(0.1), config=config, hooks=hooks
    )
    assert seen == [1, 2, 3, 4] and history.n_epochs == 4
    assert all(math.isfinite(v) for v in history.loss)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_validation_loss_and_score_share_one_forward_pass(kind, solver, monkeypatch):
    # each epoch's validation loss and score come from one pass over the validation rows
    import warnings

    from vectorlearn import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(4)
    X = rng.normal(size=(150, 4))
    y = X[:, 0] + X[:, 1] if kind == "regressor" else (X[:, 0] > 0).astype(int)
    m_val = 37
    passes = []
    original = Network.logits
    monkeypatch.setattr(
        Network,
        "logits",
        lambda self, W, B, X: passes.append(X.shape[1]) or original(self, W, B, X),
    )
    Model = MLPRegressor if kind == "regressor" else MLPClassifier
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 4 epochs: a convergence warning
        model = Model((5,), solver=solver, max_iter=4, random_state=0)
        model.fit(X[m_val:], y[m_val:], validation_data=(X[:m_val], y[:m_val]))
    epochs = len(model.validation_scores_)
    assert epochs == len(model.validation_loss_curve_) >= 2
    assert passes.count(m_val) == epochs
