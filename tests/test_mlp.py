"""MLPClassifier and MLPRegressor: real data against scikit-learn, depth, training features."""

import warnings

import numpy as np
import pytest
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_circles,
    make_moons,
    make_multilabel_classification,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor
from vectorlearn.core.training import TrainingDiverged


def split(X, y, seed=0):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def quietly(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after a fixed number of epochs
        return model.fit(*args, **kwargs)


def mean_scores(data, options, seeds=(0, 1, 2)):
    """Mean test accuracy of scikit-learn's and vectorlearn's MLPClassifier over a few seeds.

    One test example moves accuracy by 0.007 on breast cancer, so single seeds are too noisy to
    compare; both libraries get the same architecture, epochs, split and seeds.
    """
    X_train, X_test, y_train, y_test = split(*data)
    means = []
    for cls in (SkMLPClassifier, MLPClassifier):
        scores = [
            quietly(cls(random_state=seed, **options), X_train, y_train).score(X_test, y_test)
            for seed in seeds
        ]
        means.append(float(np.mean(scores)))
    return means


def test_digits_matches_scikit_learn():
    reference, score = mean_scores(
        load_digits(return_X_y=True), {"hidden_layer_sizes": (64,), "max_iter": 200}
    )
    assert score >= 0.97
    assert score >= reference - 0.01


def test_breast_cancer_matches_scikit_learn():
    reference, score = mean_scores(
        load_breast_cancer(return_X_y=True), {"hidden_layer_sizes": (64,), "max_iter": 200}
    )
    assert score >= 0.96
    assert score >= reference - 0.01


def test_diabetes_regression_matches_scikit_learn():
    """Same objective (L-BFGS, alpha / (2 m) ||W||^2, standardized target): the same R^2."""
    X_train, X_test, y_train, y_test = split(*load_diabetes(return_X_y=True))
    options = {"hidden_layer_sizes": (16,), "solver": "lbfgs", "alpha": 30.0, "max_iter": 1000}
    scores = []
    for model in (
        SkMLPRegressor(random_state=0, **options),
        MLPRegressor(random_state=0, **options),
    ):
        wrapped = TransformedTargetRegressor(model, transformer=StandardScaler())
        scores.append(quietly(wrapped, X_train, y_train).score(X_test, y_test))
    assert scores[1] > 0.3
    assert abs(scores[1] - scores[0]) <= 0.05


DATASETS_2D = {
    "moons noise 0.1": lambda: make_moons(1000, noise=0.1, random_state=0),
    "circles": lambda: make_circles(1000, noise=0.1, factor=0.5, random_state=0),
    "moons noise 0.2": lambda: make_moons(1000, noise=0.2, random_state=0),
}


@pytest.mark.parametrize("name", sorted(DATASETS_2D))
def test_depth_extracts_the_features_a_linear_model_cannot(name):
    """The lecture's point: logistic regression cannot bend; two hidden layers can.

    With noise 0.2 the two moons overlap: a (32, 32) network trained on 20,000 examples scores
    0.969 on 5,000 held-out ones, so no classifier beats about 0.97 there, and we ask 0.95 of it.
    """
    X_train, X_test, y_train, y_test = split(*DATASETS_2D[name]())
    linear = LogisticRegression().fit(X_train, y_train).score(X_test, y_test)
    deep = quietly(
        MLPClassifier((32, 32), max_iter=300, learning_rate_init=0.01, random_state=0),
        X_train,
        y_train,
    ).score(X_test, y_test)
    assert linear < 0.90
    assert deep > (0.95 if name == "moons noise 0.2" else 0.97)


def test_no_hidden_layer_is_logistic_regression():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    common = {"max_iter": 40, "tol": 0.0}
    lr = quietly(LogisticRegression(solver="gd", C=np.inf, learning_rate=0.3, **common), X, y)
    mlp = quietly(
        MLPClassifier(
            hidden_layer_sizes=(),
            solver="gd",
            alpha=0.0,
            learning_rate_init=0.3,
            batch_size=None,
            dtype="float64",
            n_iter_no_change=1000,
            **common,
        ),
        X,
        y,
    )
    np.testing.assert_allclose(mlp.coefs_[0].T, lr.coef_, atol=1e-12)
    np.testing.assert_allclose(mlp.intercepts_[0], lr.intercept_, atol=1e-12)


@pytest.mark.parametrize("solver", ["gd", "momentum", "adam", "lbfgs"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "identity"])
def test_every_solver_and_activation_learns_iris(solver, activation):
    X_train, X_test, y_train, y_test = split(*load_iris(return_X_y=True))
    rate = {"gd": 0.1, "momentum": 0.05, "adam": 0.01, "lbfgs": 0.001}[solver]
    model = quietly(
        MLPClassifier(
            (16,),
            activation=activation,
            solver=solver,
            learning_rate_init=rate,
            max_iter=300,
            random_state=0,
        ),
        X_train,
        y_train,
    )
    assert model.score(X_test, y_test) >= 0.84
    assert all(np.all(np.isfinite(w)) for w in model.coefs_)


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "step", "exponential", "adaptive"])
def test_learning_rate_schedules(schedule):
    X_train, X_test, y_train, y_test = split(*load_iris(return_X_y=True))
    model = quietly(
        MLPClassifier(
            (16,),
            solver="momentum",
            learning_rate=schedule,
            learning_rate_init=0.05,
            max_iter=100,
            random_state=0,
        ),
        X_train,
        y_train,
    )
    assert model.score(X_test, y_test) >= 0.84


def test_fitted_attributes_and_shapes():
    X, y = load_iris(return_X_y=True)
    model = quietly(MLPClassifier((8, 5), max_iter=20, random_state=0), X, y)
    assert [w.shape for w in model.coefs_] == [(4, 8), (8, 5), (5, 3)]
    assert [b.shape for b in model.intercepts_] == [(8,), (5,), (3,)]
    assert model.n_layers_ == 4 and model.n_outputs_ == 3 and model.out_activation_ == "softmax"
    assert model.coefs_[0].dtype == np.float32  # networks train in float32 by default
    assert model.n_iter_ == len(model.loss_curve_) == 20
    proba = model.predict_proba(X)
    assert proba.shape == (150, 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)


def test_same_seed_same_model_and_different_seed_different_model():
    X, y = load_iris(return_X_y=True)

    def fit(seed):
        return quietly(MLPClassifier((8,), max_iter=5, random_state=seed, dropout=0.2), X, y)

    a, b, c = fit(1), fit(1), fit(2)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_early_stopping_watches_validation_loss_and_restores_the_best_epoch():
    X_train, X_test, y_train, y_test = split(*load_digits(return_X_y=True))
    model = quietly(
        MLPClassifier(
            (64,),
            early_stopping=True,
            n_iter_no_change=5,
            max_iter=500,
            learning_rate_init=0.01,
            random_state=0,
        ),
        X_train,
        y_train,
    )
    curve = model.validation_loss_curve_
    assert model.n_iter_ < 500 and len(curve) == model.n_iter_
    assert model.best_epoch_ == int(np.argmin(curve)) + 1
    # it stops after more than 5 epochs without a better loss, or of an exactly flat score
    flat_score = len(set(model.validation_scores_[-7:])) == 1
    assert model.n_iter_ >= model.best_epoch_ + 5 or flat_score
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)  # as scikit-learn's
    assert model.score(X_test, y_test) > 0.95


def test_early_stopping_on_the_score_for_a_regressor():
    X_train, X_test, y_train, y_test = split(*load_diabetes(return_X_y=True))
    model = quietly(
        MLPRegressor(
            (16,),
            early_stopping=True,
            monitor="score",
            max_iter=300,
            learning_rate_init=0.01,
            random_state=0,
        ),
        X_train,
        y_train / 100,
    )
    assert model.best_epoch_ == int(np.argmax(model.validation_scores_)) + 1


def test_multilabel_classification():
    X, Y = make_multilabel_classification(400, n_features=10, n_classes=4, random_state=0)
    X_train, X_test, Y_train, Y_test = split(X, Y)
    model = quietly(MLPClassifier((32,), max_iter=200, random_state=0), X_train, Y_train)
    assert model.out_activation_ == "sigmoid" and model.n_outputs_ == 4
    assert model.predict(X_test).shape == Y_test.shape
    assert model.predict_proba(X_test).shape == Y_test.shape
    reference = quietly(SkMLPClassifier((32,), max_iter=200, random_state=0), X_train, Y_train)
    accuracy = np.mean(model.predict(X_test) == Y_test)  # per label; all-zeros scores 0.55
    assert accuracy > 0.7 and accuracy >= np.mean(reference.predict(X_test) == Y_test) - 0.03


def test_multi_target_regression_keeps_the_target_shape():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    Y = np.column_stack([X @ [1.0, -2.0, 0.5, 0.0], np.sin(X[:, 0])])
    model = quietly(
        MLPRegressor((32,), max_iter=300, learning_rate_init=0.01, random_state=0), X, Y
    )
    assert model.predict(X).shape == (300, 2) and model.score(X, Y) > 0.9
    single = quietly(MLPRegressor((8,), max_iter=5, random_state=0), X, Y[:, 0])
    assert single.predict(X).shape == (300,)


def test_class_weight_and_sample_weight():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    keep = np.concatenate([np.flatnonzero(y == 1), np.flatnonzero(y == 0)[:30]])
    X, y = X[keep], y[keep]
    options = {"hidden_layer_sizes": (8,), "max_iter": 50, "random_state": 0, "dtype": "float64"}
    plain = quietly(MLPClassifier(**options), X, y)
    balanced = quietly(MLPClassifier(class_weight="balanced", **options), X, y)
    assert balanced.predict_proba(X)[:, 0].mean() > plain.predict_proba(X)[:, 0].mean()
    # integer weights equal repeated rows on the full batch
    weights = np.random.default_rng(0).integers(0, 3, size=y.shape[0])
    full = {**options, "batch_size": None, "solver": "lbfgs"}
    a = quietly(MLPClassifier(**full), X, y, sample_weight=weights)
    b = quietly(MLPClassifier(**full), np.repeat(X, weights, 0), np.repeat(y, weights))
    np.testing.assert_allclose(a.coefs_[1], b.coefs_[1], atol=1e-5)


def test_dropout_trains_and_is_off_at_prediction():
    X_train, X_test, y_train, y_test = split(*load_digits(return_X_y=True))
    model = quietly(
        MLPClassifier((128,), dropout=0.3, max_iter=60, random_state=0), X_train, y_train
    )
    assert model.score(X_test, y_test) > 0.95
    np.testing.assert_array_equal(model.predict_proba(X_test), model.predict_proba(X_test))


def test_callbacks_and_verbose(capsys):
    X, y = load_iris(return_X_y=True)
    seen = []
    quietly(
        MLPClassifier((4,), max_iter=30, verbose=10, random_state=0),
        X,
        y,
        callbacks=[lambda info: seen.append(info["epoch"])],
    )
    assert seen == list(range(1, 31))
    assert capsys.readouterr().out.count("Iteration") == 30  # scikit-learn's line, every epoch


def test_warm_start_continues():
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier((8,), max_iter=10, warm_start=True, random_state=0)
    quietly(model, X, y)
    first, last_cost = model.coefs_[0].copy(), model.loss_curve_[-1]
    quietly(model, X, y)
    assert not np.array_equal(first, model.coefs_[0])
    assert model.loss_curve_[0] < last_cost  # it continued instead of restarting


def test_summary_fitted_and_unfitted():
    text = MLPClassifier((16, 8)).summary(m=32, n_features=4)
    assert "(4, 16)" in text and "(16, 32)" in text and "total parameters" in text
    X, y = load_iris(return_X_y=True)
    fitted = quietly(MLPClassifier((16, 8), max_iter=2, random_state=0), X, y)
    assert "(8, 3)" in fitted.summary() and "softmax" in fitted.summary()
    with pytest.raises(ValueError, match="n_features"):
        MLPClassifier().summary()


@pytest.mark.parametrize(
    "params,match",
    [
        ({"hidden_layer_sizes": (10, 0)}, "positive integers"),
        ({"hidden_layer_sizes": (10, -3)}, "positive integers"),
        ({"hidden_layer_sizes": (10, 2.5)}, "positive integers"),
        ({"hidden_layer_sizes": "big"}, "hidden_layer_sizes"),
        ({"activation": "swish"}, "'activation' parameter must be one of"),
        ({"solver": "sgdx"}, "'solver' parameter must be one of"),
        ({"learning_rate_init": 0.0}, "learning_rate_init"),
        ({"dropout": 1.0}, "dropout"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
    ],
)
def test_bad_parameters(params, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        MLPClassifier(**params).fit(X, y)


def test_batch_size_larger_than_the_data_is_clipped_with_a_warning():
    X, y = load_iris(return_X_y=True)
    with pytest.warns(UserWarning, match="larger than the 150 training examples"):
        MLPClassifier((4,), batch_size=1000, max_iter=2, random_state=0).fit(X, y)


def test_validation_split_too_small_for_every_class():
    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match="too small to hold every class"):
        MLPClassifier(early_stopping=True, validation_fraction=0.05).fit(X[:100], y[:100])


def test_targets_of_the_wrong_shape():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="inconsistent"):
        MLPClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError):
        MLPRegressor().fit(X, np.ones((150, 2, 2)))


def test_divergence_stops_with_the_epoch_and_keeps_finite_weights():
    X, y = load_diabetes(return_X_y=True)
    model = MLPRegressor((32,), solver="gd", learning_rate_init=10.0, random_state=0, max_iter=50)
    with pytest.raises(TrainingDiverged, match="epoch \\d+.*smaller learning rate"):
        model.fit(X * 100, y)
    assert all(np.all(np.isfinite(w)) for w in model.coefs_)


def test_partial_fit_learns_from_a_stream_of_chunks():
    X_train, X_test, y_train, y_test = split(*load_digits(return_X_y=True))
    model = MLPClassifier((64,), learning_rate_init=0.01, random_state=0)
    classes = np.unique(y_train)
    chunks = np.array_split(np.arange(X_train.shape[0]), 5)
    for _ in range(4):
        for chunk in chunks:
            model.partial_fit(X_train[chunk], y_train[chunk], classes=classes)
    assert model.n_iter_ == 20 and len(model.loss_curve_) == 20
    assert model.score(X_test, y_test) > 0.93
    assert model.loss_curve_[-1] < model.loss_curve_[0] / 5


def test_partial_fit_continues_the_optimizer_state():
    """partial_fit keeps Adam's moments and step count from one call to the next."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    options = {"hidden_layer_sizes": (8,), "batch_size": 10, "shuffle": False, "random_state": 0}
    a = MLPClassifier(**options)
    a.partial_fit(X[:75], y[:75], classes=[0, 1, 2])
    a.partial_fit(X[75:], y[75:])
    b = MLPClassifier(**options)
    b.partial_fit(X[:75], y[:75], classes=[0, 1, 2])
    b._optimizer = b._make_optimizer()  # forgetting Adam's moments changes the second step
    b.partial_fit(X[75:], y[75:])
    assert not np.allclose(a.coefs_[0], b.coefs_[0])
    assert a._optimizer.t == 2 * 8  # 75 examples in batches of 10, twice


def test_partial_fit_bad_calls():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="classes must be given"):
        MLPClassifier().partial_fit(X, y)
    model = MLPClassifier((4,)).partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    with pytest.raises(ValueError, match="not in classes"):
        model.partial_fit(X[:5], np.array([0, 1, 7, 1, 0]))
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:5, :3], y[:5])
    with pytest.raises(AttributeError, match="partial_fit"):  # as scikit-learn: no such method
        MLPClassifier(solver="lbfgs").partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_on_the_whole_data_equals_fit():
    """N calls of partial_fit on the full data are N epochs of fit: same seed, same weights."""
    X_train, _, y_train, _ = split(*load_diabetes(return_X_y=True))
    options = {"hidden_layer_sizes": (16,), "learning_rate_init": 0.01, "random_state": 0}
    streamed = MLPRegressor(**options)
    for _ in range(15):
        streamed.partial_fit(X_train, y_train / 100)
    fitted = quietly(
        MLPRegressor(max_iter=15, n_iter_no_change=100, **options), X_train, y_train / 100
    )
    for a, b in zip(streamed.coefs_, fitted.coefs_):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(streamed.loss_curve_, fitted.loss_curve_)


@pytest.mark.parametrize(
    "model",
    [
        LogisticRegression(solver="lbfgs"),
        LogisticRegression(solver="gd"),
        MLPClassifier((16,), max_iter=30, random_state=0),
        MLPClassifier((16,), solver="lbfgs", max_iter=30, random_state=0),
    ],
)
def test_validation_data_records_the_validation_curve(model):
    X_train, X_test, y_train, y_test = split(*load_iris(return_X_y=True))
    quietly(model, X_train, y_train, validation_data=(X_test, y_test))
    assert len(model.validation_loss_curve_) == len(model.validation_scores_) == model.n_iter_
    assert model.validation_scores_[-1] == pytest.approx(model.score(X_test, y_test))
    assert min(model.validation_loss_curve_) < model.validation_loss_curve_[0]
    with pytest.raises(ValueError, match="not in classes"):
        quietly(model, X_train, y_train, validation_data=(X_test, y_test + 5))


def test_early_stopping_watches_the_given_validation_data():
    X_train, X_test, y_train, y_test = split(*load_digits(return_X_y=True))
    model = quietly(
        MLPClassifier(
            (32,),
            early_stopping=True,
            n_iter_no_change=3,
            max_iter=200,
            learning_rate_init=0.01,
            random_state=0,
        ),
        X_train,
        y_train,
        validation_data=(X_test, y_test),
    )
    best = model.best_epoch_
    assert model.validation_loss_curve_[best - 1] == min(model.validation_loss_curve_)


def test_integer_labels_skip_scikit_learns_check_and_train_the_same_model(monkeypatch):
    # one column of integers is always classes (binary or multiclass): encode_targets finds them
    # without scikit-learn's check_classification_targets (0.2-0.5 ms a call), and must give
    # what that path gives float labels of the same values, warnings included
    import vectorlearn.estimators._targets as targets_module

    X, y = load_iris(return_X_y=True)
    real_check = targets_module.check_classification_targets
    float_models = []
    for labels in (y.astype(float), (np.arange(30) % 20).astype(float)):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            model = MLPClassifier((4,), max_iter=3, random_state=0)
            float_models.append(model.fit(X[: labels.shape[0]], labels))
        float_models[-1].warned = any("greater than 50%" in str(w.message) for w in seen)

    def refuse(y):
        raise AssertionError("integer labels went through check_classification_targets")

    monkeypatch.setattr(targets_module, "check_classification_targets", refuse)
    for labels, reference in zip((y, np.arange(30) % 20), float_models):
        for dtype in (np.int64, np.int32, np.uint8):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                model = MLPClassifier((4,), max_iter=3, random_state=0)
                model.fit(X[: labels.shape[0]], labels.astype(dtype))
            many = [w for w in seen if "greater than 50%" in str(w.message)]
            assert bool(many) == reference.warned
            assert all(w.filename == __file__ for w in many)  # points at the caller's fit
            np.testing.assert_array_equal(model.classes_, reference.classes_)
            for a, b in zip(model.coefs_, reference.coefs_):
                np.testing.assert_array_equal(a, b)
    assert float_models[1].warned and not float_models[0].warned
    monkeypatch.setattr(targets_module, "check_classification_targets", real_check)
    with pytest.raises(ValueError, match="Unknown label type"):  # floats still checked
        MLPClassifier((4,), max_iter=1).fit(X, y + 0.5)
