"""Finite values near the float maximum: prediction gives the probabilities the logits determine
(a logit of +-inf included) or a ValueError that names the overflow, never NaN or a label read
off NaN; training refuses values whose squares overflow, and a penalty that overflows is
named as the cause."""

import warnings

import numpy as np
import pytest
from conftest import as_xp, numpy_of
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor
from vectorlearn.core.heads import softmax
from vectorlearn.core.network import Network
from vectorlearn.core.training import TrainingDiverged, lipschitz_learning_rate

BIG = np.finfo(np.float64).max  # 1.8e308
BIG32 = float(np.finfo(np.float32).max)  # 3.4e38


def _data(n_classes=3, m=30, n=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    return X, np.arange(m) % n_classes


def quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: these fits only need the shapes
        return model.fit(X, y)


def _logistic(coef, intercept, n_classes=3):
    """A fitted LogisticRegression whose weights are then set by hand."""
    model = quietly(LogisticRegression(max_iter=5), *_data(n_classes, n=len(coef[0])))
    model.coef_, model.intercept_ = np.array(coef, dtype=float), np.array(intercept, dtype=float)
    return model


# ---- prediction --------------------------------------------------------------------------------
def test_softmax_puts_all_the_probability_on_a_single_infinite_logit(xp):
    K = as_xp(xp, [[np.inf, 0.0, -np.inf], [0.0, np.inf, 1.0], [-np.inf, 1.0, 2.0]])
    P = numpy_of(softmax(K, xp))  # columns: +inf wins; +inf wins; the finite logits share
    np.testing.assert_allclose(P[:, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(P[:, 1], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(P[:, 2], [0.0, 1 / (1 + np.e), np.e / (1 + np.e)])


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "identity", "tanh", "sigmoid"])
def test_scaled_logits_equal_the_logits_where_nothing_overflows(xp, activation):
    net = Network((3, 4, 2, 3), activation=activation, head="softmax")
    W, B = net.init_params(np.random.default_rng(0), xp, "float64")
    B = [b + 0.5 for b in B]
    X = as_xp(xp, np.random.default_rng(1).normal(size=(3, 5)) * [[1e3], [1.0], [1e-3]])
    s, K = net.scaled_logits(W, B, X)
    np.testing.assert_allclose(numpy_of(s * K), numpy_of(net.logits(W, B, X)), rtol=1e-12)
    assert np.all(numpy_of(s) >= 1)


@pytest.mark.parametrize("dtype, big", [("float64", 1e308), ("float64", BIG), ("float32", 3e38)])
def test_multinomial_probabilities_with_an_infinite_logit(dtype, big):
    # K = 3 x_0 + 0: x_0 = 1e308 overflows the first class's logit to +inf, the third's to -inf.
    model = _logistic([[3.0, 0.0], [0.0, 0.0], [-3.0, 0.0]], [0.0, 0.0, 0.0])
    X = np.array([[big, 0.0], [-big, 1.0], [0.5, 0.5]], dtype=dtype)
    P = model.predict_proba(X)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P[:2], [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    assert model.predict(X)[:2].tolist() == [0, 2]
    assert model.decision_function(X)[0].tolist() == [np.inf, 0.0, -np.inf]


@pytest.mark.parametrize("first, second", [(3.0, 2.0), (2.0, 3.0), (3.0, 3.0)])
def test_logits_beyond_the_float_range_still_compare(first, second):
    # At x_0 = 1e308 both logits are beyond the float range (+inf), yet 3e308 > 2e308.
    model = _logistic([[first, 0.0], [second, 0.0], [0.0, 0.0]], [0.0, 0.0, 0.0])
    X = np.array([[1e308, 0.0]])
    expected = (
        [[0.5, 0.5, 0.0]]
        if first == second
        else [[1.0 * (first > second), 1.0 * (second > first), 0.0]]
    )
    np.testing.assert_array_equal(model.predict_proba(X), expected)
    if first != second:
        assert model.predict(X).tolist() == [0 if first > second else 1]


def _mlp_with_weights(W1, b1, W2, b2, classifier=True, **options):
    X, y = _data(2, n=len(W1))
    make = MLPClassifier if classifier else MLPRegressor
    model = quietly(make((len(W1[0]),), max_iter=2, random_state=0, **options), X, y)
    model.coefs_ = [np.array(W1, dtype=np.float32), np.array(W2, dtype=np.float32)]
    model.intercepts_ = [np.array(b1, dtype=np.float32), np.array(b2, dtype=np.float32)]
    return model


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_an_overflow_inside_the_network_does_not_decide_the_label(activation):
    # K_1 = 2 x_0 + 2 x_1 = 0 exactly, though 2 x_0 alone overflows: the plain product gives inf
    # (with a fused multiply-add) or NaN, and so a probability of 1, or NaN read as class 0.
    model = _mlp_with_weights([[2.0], [2.0]], [0.0], [[1.0]], [0.5], activation=activation)
    X = np.array([[1e308, -1e308], [-1e308, 1e308]])
    expected = 1 / (1 + np.exp(-0.5))  # sigmoid(W_2 g(0) + 0.5) with g(0) = 0
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], [expected, expected], rtol=1e-6)
    assert model.predict(X).tolist() == [1, 1]


def test_a_logit_beyond_the_float_range_gives_probability_one():
    model = _mlp_with_weights([[2.0], [0.0]], [0.0], [[1.0]], [0.0])
    X = np.array([[1e308, 0.0], [-1e308, 0.0]])  # the hidden unit is 2e308, or relu(-2e308) = 0
    np.testing.assert_array_equal(model.predict_proba(X), [[0.0, 1.0], [0.5, 0.5]])
    assert model.decision_function(X).tolist() == [np.inf, 0.0]


def test_a_regression_beyond_the_float_range_is_an_error():
    model = _mlp_with_weights([[1.0], [1.0]], [0.0], [[1.0]], [0.0], classifier=False)
    X = np.array([[3e38, -3e38], [1.0, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(model.predict(X), [0.0, 3.0])  # 3e38 - 3e38: no inf - inf
    with pytest.raises(ValueError, match="outputs overflow .*beyond the largest float"):
        model.predict(np.array([[3e38, 3e38]], dtype=np.float32))  # 6e38: not a float32


MODELS = {}


def _fitted(name):
    """Models fitted once (on standardized data) for the property test below."""
    if name not in MODELS:
        make = {
            "logistic-binary": lambda: LogisticRegression(),
            "logistic-3": lambda: LogisticRegression(),
            "mlp-binary": lambda: MLPClassifier((4,), max_iter=20, random_state=0),
            "mlp-3": lambda: MLPClassifier(
                (4, 3), activation="tanh", max_iter=20, random_state=0, dtype="float64"
            ),
        }[name]
        MODELS[name] = quietly(make(), *_data(2 if name.endswith("binary") else 3, n=3))
    return MODELS[name]


huge = st.sampled_from([0.0, 1.0, -2.5, 1e160, -1e300, 1e300, 1e308, -1e308, BIG, -BIG])


@given(
    name=st.sampled_from(["logistic-binary", "logistic-3", "mlp-binary", "mlp-3"]),
    X=hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.just(3)), elements=huge),
    float32=st.booleans(),
)
def test_probabilities_are_never_nan(name, X, float32):
    model = _fitted(name)
    if float32:
        X = np.clip(X, -BIG32, BIG32).astype(np.float32)
    P = model.predict_proba(X)
    labels = model.predict(X)
    assert np.all(np.isfinite(P)) and np.allclose(P.sum(axis=1), 1, atol=1e-6)
    sure = P.max(axis=1) > 0.5 + 1e-6  # where one class is likelier than the rest together
    assert np.array_equal(labels[sure], model.classes_[np.argmax(P[sure], axis=1)])


# ---- training ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "model",
    [
        LogisticRegression(),
        LogisticRegression(solver="gd"),
        MLPClassifier((3,), dtype="float64", max_iter=5),
        MLPClassifier((3,), solver="lbfgs", dtype="float64", max_iter=5),
    ],
    ids=["logistic-lbfgs", "logistic-gd", "mlp-adam", "mlp-lbfgs"],
)
@pytest.mark.parametrize("big", [1e200, 1e300, BIG])
def test_training_on_values_whose_squares_overflow_is_refused(model, big):
    X, y = _data(2)
    X[0, 0] = big
    with pytest.raises(ValueError, match="X holds values as large as .* standardize the features"):
        model.fit(X, y)


def test_float32_training_names_the_float32_limit_and_float64():
    X, y = _data(2)
    X = (X * 1e20).astype(np.float32)  # finite in float32, but its squares are not
    with pytest.raises(ValueError, match="in float32: beyond 1.8e\\+19.*dtype='float64'"):
        MLPClassifier((3,), max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="in float32"):
        MLPClassifier((3,), max_iter=5).partial_fit(X, y, classes=[0, 1])
    model = quietly(MLPClassifier((3,), max_iter=5, dtype="float64", random_state=0), X, y)
    assert all(np.all(np.isfinite(w)) for w in model.coefs_)


def test_validation_data_and_regression_targets_too_large_are_refused():
    X, y = _data(2)
    X_val = X.copy()
    X_val[0, 1] = 1e300
    for dtype in ("float64", "float32"):  # in float32 too, before a cast to inf
        with pytest.raises(
            ValueError, match="validation_data's X holds values as large as 1e\\+300"
        ):
            MLPClassifier((3,), dtype=dtype).fit(X, y, validation_data=(X_val, y))
    with pytest.raises(ValueError, match="y holds values as large as 1e\\+200.*scale the targets"):
        MLPRegressor((3,), dtype="float64").fit(X, np.where(y == 0, 1.0, 1e200))


def test_the_automatic_step_survives_large_features_or_says_why():
    X = np.random.default_rng(0).normal(size=(3, 40))
    rate = lipschitz_learning_rate(Network((3, 1)), X * 1e150)  # X X^T ~ 1e300, still finite
    assert 0 < rate < np.inf
    assert rate == pytest.approx(lipschitz_learning_rate(Network((3, 1)), X) * 1e-300, rel=0.05)
    with pytest.raises(ValueError, match="X holds values so large .* standardize"):
        lipschitz_learning_rate(Network((3, 1)), X * 1e200)  # X X^T overflows


# ---- a penalty that overflows --------------------------------------------------------------------
@pytest.mark.parametrize(
    "options",
    [
        {},  # adam, float32: alpha / m itself is beyond float32
        {"solver": "gd", "dtype": "float64"},  # each step multiplies W by 1 - 0.001 alpha / m
        {"solver": "momentum", "dtype": "float64"},
        {"solver": "lbfgs", "dtype": "float64"},
    ],
    ids=["adam", "gd", "momentum", "lbfgs"],
)
def test_an_overflowing_penalty_names_alpha_not_the_learning_rate(options):
    X, y = _data(2)
    model = MLPClassifier((5,), alpha=1e300, max_iter=20, random_state=0, **options)
    with pytest.raises(TrainingDiverged) as info:
        quietly(model, X, y)
    message = str(info.value)
    assert "alpha=1e+300 is so large that the L2 penalty overflows" in message
    assert "use a smaller alpha" in message and "learning rate" not in message
    assert all(np.all(np.isfinite(w)) for w in model.coefs_)  # the last finite weights


def test_a_moderate_alpha_with_a_step_too_long_for_it_is_named_too():
    X, y = _data(2)
    model = MLPClassifier((5,), solver="gd", alpha=1e10, max_iter=20, random_state=0)
    with pytest.raises(TrainingDiverged, match="alpha=1e\\+10 .* curvature l2 = 3.33e\\+08"):
        quietly(model, X, y)


def test_a_tiny_C_is_named_for_logistic_regression():
    X, y = _data(2)
    model = LogisticRegression(solver="gd", learning_rate=1.0, C=1e-10)
    with pytest.raises(TrainingDiverged, match="C=1e-10 is so small .* use a larger C"):
        model.fit(X, y)


def test_a_learning_rate_divergence_still_blames_the_learning_rate():
    X, y = _data(2)
    X = X * 1e100  # finite squares, but a step of 10 overshoots by far
    model = MLPRegressor((5,), solver="gd", learning_rate_init=10.0, dtype="float64")
    with pytest.raises(TrainingDiverged, match="smaller learning rate, e.g. 1") as info:
        quietly(model.set_params(random_state=0), X, y.astype(float))
    assert "penalty" not in str(info.value)
