"""The compiled epoch on JAX arrays (core/compiled.py) trains exactly as the eager loop does.

Skipped, with the reason, where JAX is not installed (the test extra installs it).
"""

import numpy as np
import pytest

from vectorlearn.core import Network, TrainConfig, train
from vectorlearn.core import compiled as compiled_module
from vectorlearn.core.optimizers import Adam, BarzilaiBorwein, GradientDescent, Momentum
from vectorlearn.core.training import Hooks, InMemory, data_cost

jax = pytest.importorskip("jax", reason="JAX is optional: pip install vectorlearn[jax]")
jax.config.update("jax_enable_x64", True)  # float64, for a tight comparison
jnp = jax.numpy

OPTIMIZERS = {
    "gd": lambda: GradientDescent(0.1),
    "momentum": lambda: Momentum(0.05),
    "nesterov": lambda: Momentum(0.05, nesterov=True),
    "adam": lambda: Adam(0.01),
}


def problem(head, weighted, m=203, n_0=5, seed=0):
    """A small data set with examples as columns: X (n_0, m), Y (n_L, m), S (1, m) or None."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_0, m))
    if head == "softmax":
        Y = np.eye(3)[:, rng.integers(0, 3, size=m)]  # (3, m)
    elif head == "identity":
        Y = rng.normal(size=(2, m))  # (2, m)
    elif head == "exp":  # MLPRegressor(loss="poisson"): counts
        Y = rng.poisson(2.0, size=(1, m)).astype(float)  # (1, m)
    else:
        Y = (rng.random((1, m)) < 0.5).astype(float)  # (1, m)
    S = rng.random((1, m)) + 0.5 if weighted else None
    return Network((n_0, 7, 4, Y.shape[0]), head=head), X, Y, S


def run(network, X, Y, S, optimizer, config, xp=np):
    W, B = network.init_params(np.random.default_rng(1), xp, "float64")
    data = InMemory(*(None if A is None else xp.asarray(A) for A in (X, Y, S)))
    return train(network, W, B, data, optimizer=optimizer, config=config)


@pytest.fixture
def compiled_epochs(monkeypatch):
    """Counts the epochs that ran compiled (so a test cannot pass on the eager loop alone)."""
    calls = []
    original = compiled_module.epoch

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(compiled_module, "epoch", counting)
    return calls


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize(
    "head,weighted,batch_size,shuffle",
    [
        ("sigmoid", False, 32, True),  # 203 = 6 x 32 + 11: a last, smaller batch
        ("softmax", True, 29, True),  # 203 = 7 x 29: whole batches only
        ("identity", False, None, True),  # the full batch
        ("sigmoid", True, 64, False),
        ("exp", False, 50, True),
    ],
)
def test_compiled_epochs_train_as_the_eager_loop(
    name, head, weighted, batch_size, shuffle, compiled_epochs
):
    network, X, Y, S = problem(head, weighted)
    config = dict(max_epochs=4, batch_size=batch_size, shuffle=shuffle, l2=1e-3)
    eager = run(network, X, Y, S, OPTIMIZERS[name](), TrainConfig(**config, rng=rng()))
    assert not compiled_epochs  # NumPy arrays: the eager loop
    ours = run(network, X, Y, S, OPTIMIZERS[name](), TrainConfig(**config, rng=rng()), jnp)
    assert len(compiled_epochs) == 4
    for a, b in zip(ours[0] + ours[1], eager[0] + eager[1]):
        assert isinstance(a, jax.Array)
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[2].loss, eager[2].loss, rtol=1e-10)


def rng():
    return np.random.default_rng(7)


def test_optimizer_state_after_compiled_epochs_is_the_eager_state(compiled_epochs):
    # what a checkpoint saves (t, the moments) must not depend on which loop ran
    network, X, Y, S = problem("sigmoid", False)
    config = TrainConfig(max_epochs=3, batch_size=50, rng=rng())
    eager, ours = Adam(0.01), Adam(0.01)
    run(network, X, Y, S, eager, config)
    run(network, X, Y, S, ours, TrainConfig(max_epochs=3, batch_size=50, rng=rng()), jnp)
    assert compiled_epochs and ours.t == eager.t == 3 * 5
    for a, b in zip(
        ours.first_moments + ours.second_moments, eager.first_moments + eager.second_moments
    ):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-15)


def test_schedules_resume_and_epochs_of_either_kind_mix(compiled_epochs):
    # a run resumed with a new learning rate (as a schedule sets it) continues from the state
    # either loop left: on JAX arrays, gtol=0.0 (never met between mini-batches) makes the
    # second and fourth rounds eager, the first and third compiled; NumPy runs all eagerly
    network, X, Y, S = problem("softmax", True)
    W, B = network.init_params(np.random.default_rng(1), np, "float64")
    runs = {  # name: [W, B, data, optimizer, generator]
        "numpy": [W, B, InMemory(X, Y, S), Adam(0.02), rng()],
        "jax": [
            [jnp.asarray(w) for w in W],
            [jnp.asarray(b) for b in B],
            InMemory(jnp.asarray(X), jnp.asarray(Y), jnp.asarray(S)),
            Adam(0.02),
            rng(),
        ],
    }
    for round_, rate in enumerate((0.02, 0.005, 0.001, 0.01)):
        for run_ in runs.values():
            run_[3].learning_rate = rate
            config = TrainConfig(
                max_epochs=2, batch_size=40, rng=run_[4], gtol=0.0 if round_ % 2 else None
            )
            run_[0], run_[1], _ = train(network, *run_[:3], optimizer=run_[3], config=config)
    assert len(compiled_epochs) == 4
    for a, b in zip(runs["jax"][0] + runs["jax"][1], runs["numpy"][0] + runs["numpy"][1]):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "optimizer,config",
    [
        (Adam(0.01), dict(dropout=0.2)),  # masks drawn on the host, per batch
        (GradientDescent(0.1), dict(gtol=1e-6)),  # a host-side test before each step
        (BarzilaiBorwein(0.1), dict()),  # its step size is computed on the host
    ],
)
def test_what_needs_the_host_runs_the_eager_loop_on_jax_arrays(optimizer, config, compiled_epochs):
    network, X, Y, S = problem("sigmoid", False)
    W, B, history = run(network, X, Y, S, optimizer, TrainConfig(max_epochs=2, **config), jnp)
    assert not compiled_epochs and history.n_epochs == 2
    assert isinstance(W[0], jax.Array)


def test_ctrl_c_is_seen_at_the_end_of_a_compiled_epoch(compiled_epochs):
    network, X, Y, S = problem("sigmoid", False)
    W, B = network.init_params(np.random.default_rng(1), jnp, "float64")
    asked = []
    hooks = Hooks(should_stop=lambda: asked.append(1) or True)
    W1, B1, history = train(
        network,
        W,
        B,
        InMemory(jnp.asarray(X), jnp.asarray(Y)),
        optimizer=Adam(0.01),
        config=TrainConfig(max_epochs=5, batch_size=20),
        hooks=hooks,
    )
    assert history.interrupted and history.n_epochs == 0 and len(asked) == 1
    assert compiled_epochs == [1]
    assert not np.allclose(np.asarray(W1[0]), np.asarray(W[0]))  # the epoch's steps were taken


@pytest.mark.parametrize(
    "head,weighted", [("sigmoid", True), ("softmax", False), ("identity", True), ("exp", False)]
)
def test_the_validation_loss_is_compiled_on_jax_and_equal_to_numpys(head, weighted, monkeypatch):
    network, X, Y, S = problem(head, weighted)
    W, B = network.init_params(np.random.default_rng(1), np, "float64")
    expected = data_cost(network, W, B, X, Y, S)
    calls = []
    original = compiled_module.jitted
    monkeypatch.setattr(compiled_module, "jitted", lambda *a: calls.append(a) or original(*a))
    as_jax = [jnp.asarray(A) for A in (*W, *B, X, Y, S) if A is not None]
    W_j, B_j, (X_j, Y_j, *S_j) = as_jax[:3], as_jax[3:6], as_jax[6:]
    ours = data_cost(network, W_j, B_j, X_j, Y_j, S_j[0] if S_j else None)
    assert calls and isinstance(ours, float)
    assert ours == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_validation_scores_on_jax_are_compiled_and_equal_to_numpys(kind, monkeypatch):
    from vectorlearn import MLPClassifier

    rng_ = np.random.default_rng(3)
    X = rng_.normal(size=(300, 6))
    y = {
        "binary": (X[:, 0] > 0).astype(int),
        "multiclass": np.digitize(X[:, 0], [-0.5, 0.5]),
        "multilabel": (X[:, :3] > 0).astype(int),
    }[kind]
    split = dict(validation_data=(X[200:], y[200:]))

    def fit(convert):
        model = MLPClassifier((5,), max_iter=3, batch_size=32, random_state=0, dtype="float64")
        val = tuple(convert(a) for a in split["validation_data"])
        with pytest.warns(Warning):  # 3 epochs: a convergence warning
            return model.fit(convert(X[:200]), convert(y[:200]), validation_data=val)

    expected = fit(np.asarray)
    calls = []
    original = compiled_module.jitted
    monkeypatch.setattr(compiled_module, "jitted", lambda *a: calls.append(a[0]) or original(*a))
    ours = fit(jnp.asarray)
    assert {f.__name__ for f in calls} >= {"_cost_and_logits"} and len(set(calls)) == 2
    np.testing.assert_allclose(ours.validation_scores_, expected.validation_scores_, atol=1e-12)
    np.testing.assert_allclose(
        ours.validation_loss_curve_, expected.validation_loss_curve_, rtol=1e-10
    )


def test_partial_fit_warm_start_and_saving_continue_from_compiled_epochs(tmp_path):
    # the optimizer's state a compiled epoch keeps is what the next call starts from
    import warnings

    import vectorlearn
    from vectorlearn import MLPClassifier

    rng_ = np.random.default_rng(5)
    X = rng_.normal(size=(120, 4))
    y = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])

    def train_both(convert):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a few epochs: convergence warnings
            steps = MLPClassifier((6,), batch_size=16, random_state=0, dtype="float64")
            for _ in range(3):
                steps.partial_fit(convert(X), convert(y), classes=np.unique(y))
            warm = MLPClassifier((6,), max_iter=2, warm_start=True, random_state=0, dtype="float64")
            warm.fit(convert(X), convert(y)).fit(convert(X), convert(y))
        return steps, warm

    for ours, expected in zip(train_both(jnp.asarray), train_both(np.asarray)):
        for a, b in zip(ours.coefs_ + ours.intercepts_, expected.coefs_ + expected.intercepts_):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-10, atol=1e-12)
    vectorlearn.save(ours, tmp_path / "model.npz")
    loaded = vectorlearn.load(tmp_path / "model.npz")
    np.testing.assert_allclose(loaded.predict_proba(X), expected.predict_proba(X), atol=1e-12)


def test_score_on_float32_jax_without_x64_warns_nothing():
    # JAX's default mode has no int64: counting the right labels must not ask for it (it warned)
    import warnings

    from vectorlearn import MLPClassifier

    rng_ = np.random.default_rng(6)
    X = rng_.normal(size=(90, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    jax.config.update("jax_enable_x64", False)  # this module turns it on; every JAX has this
    try:
        Xj, yj = jnp.asarray(X), jnp.asarray(y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 3 epochs: a convergence warning
            model = MLPClassifier((4,), max_iter=3, random_state=0).fit(Xj, yj)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            score = model.score(Xj, yj)
    finally:
        jax.config.update("jax_enable_x64", True)
    assert score == model.score(X, y)
