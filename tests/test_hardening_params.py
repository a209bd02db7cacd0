"""Hyper-parameters that cannot work are refused, with a ValueError that names them: class
weights that are negative or not finite, and networks too large to allocate."""

import warnings

import numpy as np
import pytest

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor
from vectorlearn.core.network import Network

MAX_PARAMETERS = 2**31  # the documented limit

CLASSIFIERS = [
    lambda **kw: LogisticRegression(**kw),
    lambda **kw: MLPClassifier((3,), max_iter=5, random_state=0, **kw),
]
IDS = ["LogisticRegression", "MLPClassifier"]


def _data(m=20):
    X = np.random.default_rng(0).normal(size=(m, 2))
    return X, np.arange(m) % 2


@pytest.mark.parametrize("make", CLASSIFIERS, ids=IDS)
@pytest.mark.parametrize(
    "class_weight",
    [{0: -1.0, 1: 1.0}, {0: 1.0, 1: -0.5}, {0: np.inf, 1: 1.0}, {0: np.nan, 1: 1.0}, {0: "a"}],
)
def test_class_weights_that_are_negative_or_not_finite_are_refused(make, class_weight):
    with pytest.raises(ValueError, match="'class_weight' parameter must be .* finite weights >= 0"):
        make(class_weight=class_weight).fit(*_data())


@pytest.mark.parametrize("make", CLASSIFIERS, ids=IDS)
def test_class_weights_whose_weights_overflow_are_refused(make):
    # Finite in float64, but no float32 (MLPClassifier) and their sum is no float64 (logistic).
    with pytest.raises(ValueError, match="class_weight|sum to inf"):
        make(class_weight={0: 1e308, 1: 1e308}).fit(*_data())


@pytest.mark.parametrize("make", CLASSIFIERS, ids=IDS)
def test_zero_and_positive_class_weights_still_train(make):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        model = make(class_weight={0: 0.0, 1: 2.0}).fit(X, y)
    assert set(model.predict(X)) <= {0, 1}


@pytest.mark.parametrize("make", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_network_too_large_to_allocate_is_refused_before_allocating(make, solver, monkeypatch):
    monkeypatch.setattr(Network, "init_params", lambda *a, **k: pytest.fail("it allocated"))
    X, y = _data()
    model = make(hidden_layer_sizes=(10**6, 10**6), solver=solver)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(1000000, 1000000\) .* GB") as info:
        model.fit(X, y)
    message = str(info.value)
    assert "1,000,005,000,001 weights" in message and f"{MAX_PARAMETERS:,}" in message
    assert not hasattr(model, "coefs_")


def test_the_limit_counts_every_weight_and_intercept(monkeypatch):
    monkeypatch.setattr(Network, "init_params", lambda *a, **k: pytest.fail("it allocated"))
    X, y = _data()
    h = MAX_PARAMETERS // 4  # 2 inputs, h units, 1 output: 2 h + h + h + 1 = 4 h + 1 parameters
    with pytest.raises(ValueError, match=f"{4 * h + 1:,} weights and intercepts") as info:
        MLPClassifier((h,), solver="gd", dtype="float64").fit(X, y)
    assert "34.4 GB in float64" in str(info.value)  # W and dW: 2 x 8 bytes x 2**31
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier((h,)).partial_fit(X, y, classes=[0, 1])
