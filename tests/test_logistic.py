"""LogisticRegression: accuracy against scikit-learn on its bundled data, attributes, bad input."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from vectorlearn import LogisticRegression


def split(loader):
    """The issue's protocol: 75/25 split with random_state=0, standardized on the train part."""
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


@pytest.mark.parametrize("loader", [load_breast_cancer, load_iris, load_digits])
@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_accuracy_matches_scikit_learn(loader, solver):
    X_train, X_test, y_train, y_test = split(loader)
    reference = SkLogisticRegression(max_iter=5000).fit(X_train, y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and it converges without a warning
        model = LogisticRegression(solver=solver).fit(X_train, y_train)
    assert abs(model.score(X_test, y_test) - reference.score(X_test, y_test)) <= 0.01
    # Same objective (scikit-learn's, divided by C m): vectorlearn gets as low, to 0.1%.
    assert objective(model, X_train, y_train) <= objective(reference, X_train, y_train) * 1.001


def objective(model, X, y):
    """Mean cross-entropy + ||coef||^2 / (2 C m): the cost both libraries minimize (C = 1)."""
    return log_loss(y, model.predict_proba(X)) + np.sum(model.coef_**2) / (2 * X.shape[0])


def test_fitted_attributes_follow_scikit_learn_shapes():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression().fit(X, y)
    assert model.coef_.shape == (3, 4) and model.intercept_.shape == (3,)
    assert list(model.classes_) == [0, 1, 2] and model.n_features_in_ == 4
    assert model.predict_proba(X).shape == (150, 3)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)
    assert model.decision_function(X).shape == (150, 3)
    assert model.n_iter_ == len(model.loss_curve_) > 0
    binary = LogisticRegression().fit(X[:100], np.where(y[:100] == 1, "yes", "no"))
    assert binary.coef_.shape == (1, 4) and binary.decision_function(X).shape == (150,)
    assert set(binary.predict(X[:100])) == {"yes", "no"}
    assert np.array_equal(
        binary.predict(X), binary.classes_[(binary.decision_function(X) > 0).astype(int)]
    )


def test_loss_curve_decreases_and_verbose_prints_the_cost(capsys):
    X_train, _, y_train, _ = split(load_breast_cancer)
    model = LogisticRegression(solver="gd", learning_rate=0.1, max_iter=30, tol=0, verbose=10)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X_train, y_train)
    assert all(b < a for a, b in zip(model.loss_curve_, model.loss_curve_[1:]))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("epoch 10: cost") and len(out) == 3


def test_integer_sample_weights_equal_repeated_rows():
    X, y = load_iris(return_X_y=True)
    weights = np.random.default_rng(0).integers(0, 3, size=y.shape[0])
    weighted = LogisticRegression(tol=1e-8).fit(X, y, sample_weight=weights)
    repeated = LogisticRegression(tol=1e-8).fit(np.repeat(X, weights, 0), np.repeat(y, weights))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-4)


def test_class_weight_balanced_shifts_the_boundary_toward_the_rare_class():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    keep = np.concatenate([np.flatnonzero(y == 1), np.flatnonzero(y == 0)[:40]])
    X, y = X[keep], y[keep]
    plain = LogisticRegression().fit(X, y)
    balanced = LogisticRegression(class_weight="balanced").fit(X, y)
    assert (balanced.predict(X) == 0).sum() > (plain.predict(X) == 0).sum() - 1
    assert balanced.intercept_[0] < plain.intercept_[0]


def test_warm_start_continues_from_the_previous_weights():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(warm_start=True).fit(X, y)
    again = model.fit(X, y)
    assert again.n_iter_ <= 2  # already at the optimum


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_float32_input_trains_in_float32(solver):
    X_train, X_test, y_train, y_test = split(load_iris)
    model = LogisticRegression(solver=solver).fit(X_train.astype(np.float32), y_train)
    assert model.coef_.dtype == np.float32
    assert model.predict_proba(X_test).dtype == np.float64  # float64 input predicts in float64
    assert model.score(X_test, y_test) > 0.9


@pytest.mark.parametrize(
    "X,y,match",
    [
        (np.arange(6.0), np.array([0, 1, 0, 1, 0, 1]), "2D array"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), np.array([0, 1]), "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), np.array([0, 1]), "infinity"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), np.array([0, 1]), "numeric.*OneHot"),
        (np.ones((4, 2)), np.array([1, 1, 1, 1]), "only one class"),
        (np.ones((4, 2)), np.array([0, 1, 0]), "inconsistent numbers of samples"),
        (np.ones((4, 2)), np.array([0.5, 1.5, 0.2, 3.3]), "Unknown label type"),
    ],
)
def test_bad_input_names_the_problem(X, y, match):
    with pytest.raises(ValueError, match=match):
        LogisticRegression().fit(X, y)


@pytest.mark.parametrize(
    "params,match",
    [
        ({"learning_rate": 0}, "'learning_rate' parameter must be a number in \\(0"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"C": 0}, "'C'"),
        ({"solver": "newton"}, "'solver' parameter must be one of 'lbfgs', 'gd'"),
        ({"max_iter": -1}, "max_iter"),
        ({"n_jobs": 1.5}, "n_jobs"),
        ({"fit_intercept": "yes"}, "fit_intercept"),
        ({"penalty": "l1"}, "penalty"),
    ],
)
def test_bad_parameters_are_rejected_at_fit(params, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**params).fit(X, y)


def test_predict_checks_the_number_of_features():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])


def test_negative_or_zero_sample_weights_are_rejected():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="(?i)negative"):
        LogisticRegression().fit(X, y, sample_weight=-np.ones(150))
    with pytest.raises(ValueError, match="(?i)non-zero|sums to zero"):
        LogisticRegression().fit(X, y, sample_weight=np.zeros(150))


def test_unaligned_input_gives_the_same_model():
    """Arrays rebuilt from bytes (as Dask sends them) can be unaligned; the result is the same."""
    X, y = load_iris(return_X_y=True)
    buffer = np.zeros(X.size * 8 + 1, dtype=np.uint8)
    unaligned = np.frombuffer(buffer[1:].data, dtype=np.float64).reshape(X.shape)
    unaligned[...] = X
    assert not unaligned.flags.aligned
    a = LogisticRegression().fit(unaligned, y)
    b = LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.predict_proba(unaligned), b.predict_proba(X))
