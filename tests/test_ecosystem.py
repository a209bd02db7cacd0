"""vectorlearn's estimators inside the scikit-learn ecosystem.

Pipelines with a ColumnTransformer on pandas data, model selection (GridSearchCV,
cross_val_score), clone, feature-name checks, sample_weight routing, class_weight, warm_start,
and regression with TransformedTargetRegressor. Every comparison with scikit-learn uses the same
split and preprocessing, so only the estimator differs.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor

# Small max_iter everywhere keeps the file fast; not converging is expected, not a failure.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CATEGORY = "size"  # the text column injected into the bundled data sets
UNSEEN = "giant"  # a category that appears only at prediction time


# ---- data -------------------------------------------------------------------------------------
def with_category_and_nans(X: pd.DataFrame, source: str, seed: int = 0) -> pd.DataFrame:
    """``X`` plus a text column binned from ``source`` (informative), and ~10% NaNs injected in
    the text column and two numeric columns."""
    X = X.copy()
    thirds = X[source].quantile([1 / 3, 2 / 3]).to_numpy()
    X[CATEGORY] = np.where(
        X[source] < thirds[0], "small", np.where(X[source] < thirds[1], "medium", "large")
    ).astype(object)
    rng = np.random.default_rng(seed)
    for column in [X.columns[1], X.columns[2], CATEGORY]:
        X.loc[rng.random(len(X)) < 0.1, column] = np.nan
    return X


def cancer_split():
    """Breast cancer as a DataFrame with a text column and NaNs, split 75/25 (143 test rows);
    the first test rows carry a category never seen in training."""
    data = load_breast_cancer(as_frame=True)
    X = with_category_and_nans(data.data, "mean radius")
    X_train, X_test, y_train, y_test = train_test_split(
        X, data.target, test_size=0.25, random_state=0, stratify=data.target
    )
    X_test = X_test.copy()
    X_test.iloc[:5, X_test.columns.get_loc(CATEGORY)] = UNSEEN
    return X_train, X_test, y_train.to_numpy(), y_test.to_numpy()


def iris_split():
    """Iris as a DataFrame with a text column and NaNs, string labels, split 75/25 (38 test)."""
    data = load_iris(as_frame=True)
    X = with_category_and_nans(data.data, "sepal length (cm)")
    y = data.target_names[data.target]  # string labels: "setosa", ...
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def numeric_columns(X: pd.DataFrame) -> list[str]:
    return [str(c) for c in X.columns if c != CATEGORY]


def preprocessor(X: pd.DataFrame, sparse_output: bool = True) -> ColumnTransformer:
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    text = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=sparse_output),
    )
    return ColumnTransformer([("num", numeric, numeric_columns(X)), ("cat", text, [CATEGORY])])


def scaled_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def imbalanced_cancer():
    """Breast cancer keeping ~15% of the malignant class: 28 malignant, 357 benign."""
    X, y = load_breast_cancer(return_X_y=True)
    keep = (y == 1) | (np.random.default_rng(0).random(len(y)) < 0.15)
    return X[keep], y[keep]


# A small, strongly regularized network: diabetes has 442 rows and a mostly linear signal, so a
# large unregularized MLP overfits; this one stays within a few R^2 points of a linear model.
REGRESSOR_OPTIONS = dict(
    hidden_layer_sizes=(16,), alpha=10.0, learning_rate_init=0.01, max_iter=100
)


# ---- 1. Pipeline + ColumnTransformer on pandas -------------------------------------------------
# (vectorlearn estimator, scikit-learn estimator, accuracy tolerance, probability tolerance)
# LogisticRegression minimizes scikit-learn's objective (same C, same unpenalized intercept), so
# on the same split both find the same weights: accuracy may differ by at most 2 of the 143 test
# rows (one row is 0.7 points) and probabilities by little (gd stops at a gradient of 1e-4).
# The MLPs start from different random weights and vectorlearn trains in float32, so they land in
# different local minima: both reach ~95% here, and 0.05 (7 of 143 rows) allows for the spread
# seen across seeds (about 2 rows) with room to spare, while still catching a broken model.
CANCER_CASES = {
    "logistic-lbfgs": (LogisticRegression(), SkLogisticRegression(), 0.015, 0.01),
    "logistic-gd": (LogisticRegression(solver="gd"), SkLogisticRegression(), 0.015, 0.02),
    "mlp": (
        MLPClassifier((16,), max_iter=100, random_state=0),
        SkMLPClassifier((16,), max_iter=100, random_state=0),
        0.05,
        None,
    ),
}


@pytest.mark.parametrize("case", CANCER_CASES)
def test_column_transformer_pipeline_on_dataframe_matches_scikit_learn(case):
    model, reference, accuracy_tol, proba_tol = CANCER_CASES[case]
    X_train, X_test, y_train, y_test = cancer_split()
    assert X_train.isna().any().any() and (X_test[CATEGORY] == UNSEEN).any()

    pipe = Pipeline([("pre", preprocessor(X_train)), ("clf", model)]).fit(X_train, y_train)
    sk_pipe = Pipeline([("pre", preprocessor(X_train)), ("clf", reference)]).fit(X_train, y_train)

    predicted = pipe.predict(X_test)
    proba = pipe.predict_proba(X_test)
    assert predicted.shape == (len(X_test),)
    np.testing.assert_array_equal(pipe.classes_, [0, 1])
    assert proba.shape == (len(X_test), 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(predicted, pipe.classes_[np.argmax(proba, axis=1)])

    accuracy = pipe.score(X_test, y_test)
    assert accuracy == pytest.approx(accuracy_score(y_test, predicted))
    assert accuracy >= 0.93
    assert abs(accuracy - sk_pipe.score(X_test, y_test)) <= accuracy_tol
    if proba_tol is not None:  # the convex model: same minimizer as scikit-learn
        np.testing.assert_allclose(proba, sk_pipe.predict_proba(X_test), atol=proba_tol)


@pytest.mark.parametrize(
    ("model", "reference"),
    [
        (LogisticRegression(), SkLogisticRegression()),
        (
            MLPClassifier((16,), learning_rate_init=0.01, max_iter=200, random_state=0),
            SkMLPClassifier((16,), learning_rate_init=0.01, max_iter=200, random_state=0),
        ),
    ],
    ids=["logistic", "mlp"],
)
def test_multiclass_string_labels_in_pipeline(model, reference):
    X_train, X_test, y_train, y_test = iris_split()
    pipe = Pipeline([("pre", preprocessor(X_train)), ("clf", model)]).fit(X_train, y_train)
    sk_pipe = Pipeline([("pre", preprocessor(X_train)), ("clf", reference)]).fit(X_train, y_train)

    np.testing.assert_array_equal(pipe.classes_, ["setosa", "versicolor", "virginica"])
    predicted = pipe.predict(X_test)
    assert set(predicted) <= set(pipe.classes_)
    proba = pipe.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(predicted, pipe.classes_[np.argmax(proba, axis=1)])
    # 38 test rows: one row is 2.6 points; allow 3 rows against scikit-learn's score.
    accuracy = pipe.score(X_test, y_test)
    assert accuracy >= 0.85
    assert abs(accuracy - sk_pipe.score(X_test, y_test)) <= 0.08


@pytest.mark.parametrize(
    "model",
    [LogisticRegression(), MLPClassifier((8,), max_iter=30, random_state=0)],
    ids=["logistic", "mlp"],
)
def test_pandas_output_of_column_transformer_reaches_the_estimator_with_names(model):
    X_train, X_test, y_train, _ = cancer_split()
    # pandas output needs a dense one-hot encoding
    pipe = Pipeline([("pre", preprocessor(X_train, sparse_output=False)), ("clf", model)])
    pipe.set_output(transform="pandas").fit(X_train, y_train)
    names = pipe["pre"].get_feature_names_out()
    assert f"cat__{CATEGORY}_small" in names
    np.testing.assert_array_equal(pipe["clf"].feature_names_in_, names)
    assert pipe["clf"].n_features_in_ == len(names)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # names match: no feature-name warning
        assert pipe.predict(X_test).shape == (len(X_test),)


# ---- 2. GridSearchCV and cross_val_score --------------------------------------------------------
def test_grid_search_logistic_regression_c():
    X_train, X_test, y_train, y_test = cancer_split()
    pipe = Pipeline([("pre", preprocessor(X_train)), ("clf", LogisticRegression())])
    grid = {"clf__C": [0.001, 1.0, 100.0]}
    # n_jobs=2: the candidates are pickled to worker processes and back.
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X_train, y_train)

    assert search.best_params_["clf__C"] in grid["clf__C"]
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (3,)
    assert np.all((scores > 0.85) & (scores <= 1.0))
    assert search.best_score_ == pytest.approx(scores.max())
    assert search.best_score_ >= 0.95
    # C=0.001 shrinks the weights so far that it scores visibly worse: C reaches the model.
    assert scores[0] < scores.max()
    assert search.score(X_test, y_test) >= 0.93
    # the refit model is the pipeline with the best parameters, fitted on all the training data
    refit = clone(pipe).set_params(**search.best_params_).fit(X_train, y_train)
    np.testing.assert_allclose(
        search.predict_proba(X_test), refit.predict_proba(X_test), rtol=1e-10
    )


def test_grid_search_mlp_hidden_layers_and_alpha():
    X_train, X_test, y_train, y_test = iris_split()
    model = MLPClassifier(max_iter=60, learning_rate_init=0.02, random_state=0)
    pipe = Pipeline([("pre", preprocessor(X_train)), ("clf", model)])
    grid = {"clf__hidden_layer_sizes": [(4,), (16,)], "clf__alpha": [1e-4, 1.0]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X_train, y_train)

    assert search.best_params_["clf__hidden_layer_sizes"] in grid["clf__hidden_layer_sizes"]
    assert search.best_params_["clf__alpha"] in grid["clf__alpha"]
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (4,)
    assert np.all((scores >= 0.6) & (scores <= 1.0))
    assert search.best_score_ >= 0.85
    assert search.score(X_test, y_test) >= 0.85
    n_hidden = search.best_params_["clf__hidden_layer_sizes"][0]
    assert search.best_estimator_["clf"].coefs_[0].shape[1] == n_hidden
    refit = clone(pipe).set_params(**search.best_params_).fit(X_train, y_train)
    np.testing.assert_array_equal(search.predict(X_test), refit.predict(X_test))


@pytest.mark.parametrize(
    "model",
    [
        LogisticRegression(),
        MLPClassifier((16,), learning_rate_init=0.01, max_iter=50, random_state=0),
    ],
    ids=["logistic", "mlp"],
)
def test_cross_val_score_classifiers(model):
    X, y = load_breast_cancer(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), model), X, y, cv=cv)
    assert scores.shape == (5,)
    assert np.all((scores >= 0.9) & (scores <= 1.0))
    assert scores.mean() >= 0.94


def test_cross_val_score_regressor():
    X, y = load_diabetes(return_X_y=True)
    model = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), MLPRegressor(**REGRESSOR_OPTIONS, random_state=0)),
        transformer=StandardScaler(),
    )
    scores = cross_val_score(model, X, y, cv=5, scoring="r2")
    assert scores.shape == (5,)
    assert np.all(np.isfinite(scores))
    # LinearRegression scores about 0.48 here; a working MLP is in that range.
    assert 0.3 <= scores.mean() <= 1.0


# ---- 3. clone -----------------------------------------------------------------------------------
CLONE_CASES = {
    "logistic-lbfgs": LogisticRegression(C=0.5),
    "logistic-gd": LogisticRegression(solver="gd", max_iter=50),
    "mlp-classifier": MLPClassifier((7, 3), alpha=0.01, max_iter=30, random_state=0),
    "mlp-regressor": MLPRegressor((7, 3), alpha=0.01, max_iter=30, random_state=0),
}


def prediction_outputs(model, X):
    if hasattr(model, "predict_proba"):
        return model.predict(X), model.predict_proba(X)
    return (model.predict(X),)


@pytest.mark.parametrize("case", CLONE_CASES)
def test_clone_is_unfitted_with_equal_params_and_refits_identically(case):
    X, y = scaled_cancer()
    original = clone(CLONE_CASES[case]).fit(X, y)
    copy = clone(original)

    assert copy is not original and type(copy) is type(original)
    assert copy.get_params(deep=False) == original.get_params(deep=False)
    assert copy.get_params() == CLONE_CASES[case].get_params()
    fitted = [name for name in vars(copy) if name.endswith("_") and not name.startswith("_")]
    assert fitted == []
    with pytest.raises(NotFittedError):
        copy.predict(X)

    copy.fit(X, y)
    for got, expected in zip(prediction_outputs(copy, X), prediction_outputs(original, X)):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("model", [CLONE_CASES["mlp-classifier"], CLONE_CASES["mlp-regressor"]])
def test_random_state_matters_so_identical_refits_are_not_vacuous(model):
    X, y = scaled_cancer()
    first = clone(model).fit(X, y)
    other = clone(model).set_params(random_state=1).fit(X, y)
    assert not np.allclose(prediction_outputs(first, X)[-1], prediction_outputs(other, X)[-1])


# ---- 4. feature names ---------------------------------------------------------------------------
def iris_frame_and_target(model):
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, (y.astype(float) if isinstance(model, MLPRegressor) else y)


FEATURE_NAME_MODELS = [
    LogisticRegression(),
    MLPClassifier((8,), max_iter=20, random_state=0),
    MLPRegressor((8,), max_iter=20, random_state=0),
]


@pytest.mark.parametrize("model", FEATURE_NAME_MODELS, ids=lambda m: type(m).__name__)
def test_dataframe_sets_feature_names_and_checks_them_at_predict(model):
    X, y = iris_frame_and_target(model)
    model = clone(model).fit(X, y)

    assert model.n_features_in_ == 4
    assert isinstance(model.feature_names_in_, np.ndarray)
    assert model.feature_names_in_.dtype == object
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # same columns: no warning
        expected = model.predict(X)

    # scikit-learn's check (validate_data with reset=False) raises on reordered or missing names
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(X.drop(columns=X.columns[1]))
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(X.rename(columns={X.columns[0]: "something else"}))

    # ... and only warns for an array without names, then predicts from the values as they are
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_array = model.predict(X.to_numpy())
    np.testing.assert_array_equal(from_array, expected)


@pytest.mark.parametrize("model", FEATURE_NAME_MODELS, ids=lambda m: type(m).__name__)
def test_array_fit_sets_no_feature_names_and_warns_on_dataframe(model):
    X, y = iris_frame_and_target(model)
    model = clone(model).fit(X.to_numpy(), y.to_numpy())
    assert model.n_features_in_ == 4
    assert not hasattr(model, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names, but"):
        model.predict(X)
    with pytest.raises(ValueError, match="4 features"):
        model.predict(X.to_numpy()[:, :3])


# ---- 5. sample_weight, class_weight, warm_start -------------------------------------------------
# Full-batch, deterministic training in float64: a weight of k equals k copies of the row (the
# weighted cost is the mean over the copies and the penalty is scaled by the total weight), and
# the initial weights depend only on the shapes, so the two fits must agree closely.
WEIGHT_CASES = {
    "logistic-lbfgs": LogisticRegression(tol=1e-10, max_iter=1000),
    "logistic-gd": LogisticRegression(solver="gd", tol=1e-10, max_iter=3000),
    "mlp-classifier": MLPClassifier(
        (8,),
        solver="gd",
        batch_size=None,
        learning_rate_init=0.1,
        max_iter=40,
        dtype="float64",
        random_state=0,
    ),
    "mlp-regressor": MLPRegressor(
        (8,),
        solver="gd",
        batch_size=None,
        learning_rate_init=0.05,
        max_iter=40,
        dtype="float64",
        random_state=0,
    ),
}


@pytest.mark.parametrize("case", WEIGHT_CASES)
def test_sample_weight_is_routed_through_pipeline_fit(case):
    model = WEIGHT_CASES[case]
    if isinstance(model, MLPRegressor):
        X, target = load_diabetes(return_X_y=True)
        y = (target - target.mean()) / target.std()
    else:
        X, y = load_breast_cancer(return_X_y=True)
    w = np.random.default_rng(0).integers(0, 4, size=len(y))  # 0, 1, 2 or 3 copies of a row

    pipe = Pipeline([("scale", StandardScaler()), ("clf", clone(model))])
    pipe.fit(X, y, clf__sample_weight=w)
    unweighted = clone(pipe).fit(X, y)

    X_scaled = pipe["scale"].transform(X)  # the scaler itself is fitted without weights
    repeated = clone(model).fit(np.repeat(X_scaled, w, axis=0), np.repeat(y, w))

    out = prediction_outputs(pipe, X)[-1]
    np.testing.assert_allclose(out, prediction_outputs(repeated, X_scaled)[-1], atol=1e-6)
    # the weights changed the model: a dropped sample_weight would fail here
    assert np.max(np.abs(out - prediction_outputs(unweighted, X)[-1])) > 1e-3


@pytest.mark.parametrize(
    "model",
    [
        LogisticRegression(C=0.01),
        MLPClassifier((8,), max_iter=50, random_state=0),
    ],
    ids=["logistic", "mlp"],
)
def test_class_weight_balanced_in_grid_search(model):
    X, y = imbalanced_cancer()
    assert np.bincount(y).min() < 0.1 * len(y)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", model)])
    grid = {"clf__class_weight": [None, "balanced"]}
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    search = GridSearchCV(pipe, grid, cv=cv, scoring="balanced_accuracy").fit(X, y)

    results = search.cv_results_
    scores = dict(zip(results["param_clf__class_weight"], results["mean_test_score"]))
    assert set(scores) == {None, "balanced"}
    assert all(0.5 <= s <= 1.0 for s in scores.values())
    if isinstance(model, LogisticRegression):
        # strongly regularized, unweighted: it mostly predicts the majority (about 0.76);
        # balanced weights lift the balanced accuracy to about 0.97.
        assert search.best_params_ == {"clf__class_weight": "balanced"}
        assert scores["balanced"] > scores[None] + 0.1
    else:
        assert search.best_params_["clf__class_weight"] in grid["clf__class_weight"]

    # "balanced" is exactly sample_weight = compute_sample_weight("balanced", y)
    balanced = clone(pipe).set_params(clf__class_weight="balanced").fit(X, y)
    weighted = clone(pipe).fit(X, y, clf__sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_allclose(balanced.predict_proba(X), weighted.predict_proba(X), atol=1e-6)
    minority = y == np.argmin(np.bincount(y))
    unweighted = clone(pipe).fit(X, y)
    assert (balanced.predict(X)[minority] == y[minority]).mean() > (
        unweighted.predict(X)[minority] == y[minority]
    ).mean()


def last_fit_curve(model):
    """The loss of each epoch of the latest fit (scikit-learn's MLPs keep appending to
    ``loss_curve_`` across warm starts, so take the last ``n_iter_`` entries)."""
    return list(model.loss_curve_[-int(np.max(model.n_iter_)) :])  # LogisticRegression: (1,)


WARM_CASES = {
    "logistic-gd": LogisticRegression(solver="gd", max_iter=10),
    "logistic-lbfgs": LogisticRegression(max_iter=5),
    "mlp-adam": MLPClassifier((16,), max_iter=20, random_state=0),
    "mlp-gd": MLPClassifier((16,), solver="gd", max_iter=20, random_state=0),
}


@pytest.mark.parametrize("case", WARM_CASES)
def test_warm_start_continues_training(case):
    X, y = scaled_cancer()
    model = clone(WARM_CASES[case]).set_params(warm_start=True)
    first = last_fit_curve(model.fit(X, y))
    coefs = [np.copy(a) for a in getattr(model, "coefs_", [getattr(model, "coef_", None)])]
    second = last_fit_curve(model.fit(X, y))
    assert len(first) == len(second) == model.max_iter  # neither fit converged
    assert first[-1] < first[0]
    assert second[0] < first[-1]  # picks up below where the first fit ended
    assert second[-1] < second[0]
    after = getattr(model, "coefs_", [getattr(model, "coef_", None)])
    assert any(not np.array_equal(a, b) for a, b in zip(coefs, after))

    # without warm_start, the second fit starts over from the same point
    cold = clone(WARM_CASES[case]).set_params(warm_start=False)
    cold_first = last_fit_curve(cold.fit(X, y))
    cold_second = last_fit_curve(cold.fit(X, y))
    assert cold_second[0] == pytest.approx(cold_first[0])
    assert cold_second[0] > first[-1]


# ---- 6. MLPRegressor ----------------------------------------------------------------------------
def diabetes_split():
    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=1)


def test_mlp_regressor_in_pipeline_with_standard_scaler():
    X_train, X_test, y_train, y_test = diabetes_split()
    # raw targets (25 to 346): a larger step size so 300 epochs are enough
    options = dict(hidden_layer_sizes=(8,), alpha=1.0, learning_rate_init=0.1, max_iter=300)
    pipe = make_pipeline(StandardScaler(), MLPRegressor(**options, random_state=0))
    pipe.fit(X_train, y_train)
    sk_pipe = make_pipeline(StandardScaler(), SkMLPRegressor(**options, random_state=0))
    sk_pipe.fit(X_train, y_train)

    predicted = pipe.predict(X_test)
    assert predicted.shape == (len(X_test),)
    assert np.all(np.isfinite(predicted))
    r2 = pipe.score(X_test, y_test)
    # R^2 on 111 test rows varies by a few points between seeds and libraries; 0.1 is that
    # spread with margin, and far from the R^2 < 0 of a model that did not learn.
    assert r2 >= 0.3
    assert abs(r2 - sk_pipe.score(X_test, y_test)) <= 0.1


def test_mlp_regressor_in_transformed_target_regressor():
    X_train, X_test, y_train, y_test = diabetes_split()
    model = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), MLPRegressor(**REGRESSOR_OPTIONS, random_state=0)),
        transformer=StandardScaler(),
    ).fit(X_train, y_train)
    reference = TransformedTargetRegressor(
        make_pipeline(StandardScaler(), SkMLPRegressor(**REGRESSOR_OPTIONS, random_state=0)),
        transformer=StandardScaler(),
    ).fit(X_train, y_train)
    linear = make_pipeline(StandardScaler(), LinearRegression()).fit(X_train, y_train)

    # the inner regressor learned standardized targets; predictions come back in y's units
    inner = model.regressor_.predict(X_test)
    assert abs(np.mean(inner)) < 1.0 and np.std(inner) < 2.0
    predicted = model.predict(X_test)
    assert predicted.shape == (len(X_test),)
    np.testing.assert_allclose(
        predicted, model.transformer_.inverse_transform(inner[:, np.newaxis])[:, 0], rtol=1e-5
    )
    assert 50 < predicted.mean() < 250  # diabetes targets range from 25 to 346

    r2 = model.score(X_test, y_test)
    assert r2 >= linear.score(X_test, y_test) - 0.1
    assert abs(r2 - reference.score(X_test, y_test)) <= 0.1
