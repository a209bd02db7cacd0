"""LogisticRegression's scikit-learn names and behaviours (issue #12): ``fit_intercept``,
``random_state``, ``n_jobs``, ``n_iter_`` as an array, ``max_iter=0``, scikit-learn 1.8's
``penalty`` deprecation (``C=np.inf``), the L-BFGS ConvergenceWarning's words,
``sparsify``/``densify`` and, with scikit-learn >= 1.9, its callback API."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import linear_model
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import scale

from vectorlearn import LogisticRegression
from vectorlearn.core import Network, TrainConfig, train_lbfgs


def _iris(binary=False):
    X, y = load_iris(return_X_y=True)
    return scale(X), (y == 2 if binary else y)


def _quiet_fit(model, X, y, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **options)


# ---- fit_intercept ------------------------------------------------------------------------------
@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_without_intercept_B_stays_zero_and_matches_scikit_learn(binary, solver):
    X, y = _iris(binary)
    model = _quiet_fit(LogisticRegression(fit_intercept=False, solver=solver, tol=1e-8), X, y)
    assert np.all(model.intercept_ == 0) and model.intercept_.shape == (model.coef_.shape[0],)
    reference = linear_model.LogisticRegression(fit_intercept=False, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=2e-4)


def test_lbfgs_leaves_the_intercepts_out_of_its_vector():
    """Without fit_intercept, B is not a parameter: a non-zero B stays exactly as given."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 40)), (rng.random((1, 40)) < 0.5) * 1.0
    network = Network((3, 1), head="sigmoid", fit_intercept=False)
    W, B, _ = train_lbfgs(
        network, [np.zeros((3, 1))], [np.full((1, 1), 0.7)], X, Y, config=TrainConfig()
    )
    assert B[0][0, 0] == 0.7 and np.abs(W[0]).max() > 0


def test_warm_start_without_intercept_drops_the_last_intercept():
    X, y = _iris()
    model = LogisticRegression(warm_start=True).fit(X, y)
    model.set_params(fit_intercept=False).fit(X, y)
    assert np.all(model.intercept_ == 0)


# ---- random_state, n_jobs, n_iter_ --------------------------------------------------------------
def test_random_state_is_accepted_and_the_fit_is_deterministic():
    X, y = _iris()
    a = LogisticRegression(random_state=0).fit(X, y)
    b = LogisticRegression(random_state=np.random.default_rng(5)).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_n_jobs_has_no_effect_and_says_so():
    X, y = _iris()
    with pytest.warns(FutureWarning, match="'n_jobs' has no effect"):
        LogisticRegression(n_jobs=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression(n_jobs=None).fit(X, y)  # the default: silent


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_n_iter_is_an_int32_array_of_shape_1(solver):
    X, y = _iris()
    model = _quiet_fit(LogisticRegression(solver=solver, max_iter=50), X, y)
    assert isinstance(model.n_iter_, np.ndarray)
    assert model.n_iter_.shape == (1,) and model.n_iter_.dtype == np.int32
    assert model.n_iter_[0] == len(model.loss_curve_) > 0


@pytest.mark.parametrize("solver", ["lbfgs", "gd"])
def test_max_iter_0_keeps_the_starting_weights(solver):
    X, y = _iris(binary=True)
    with pytest.warns(ConvergenceWarning):
        model = LogisticRegression(solver=solver, max_iter=0).fit(X, y)
    assert model.n_iter_.tolist() == [0] and model.loss_curve_ == []
    assert np.all(model.coef_ == 0) and np.all(model.intercept_ == 0)
    np.testing.assert_allclose(model.predict_proba(X), 0.5)


def test_lbfgs_convergence_warning_uses_scikit_learns_words():
    X, y = load_iris(return_X_y=True)
    with pytest.warns(
        ConvergenceWarning, match=r"^lbfgs failed to converge after 2 iteration\(s\)"
    ):
        LogisticRegression(max_iter=2, tol=1e-15).fit(X, y)


# ---- penalty and C ------------------------------------------------------------------------------
def test_penalty_is_deprecated_as_in_scikit_learn_1_8():
    X, y = _iris()
    with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
        LogisticRegression(penalty="l2").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression().fit(X, y)  # penalty left at its default: no warning
        LogisticRegression(C=np.inf, max_iter=2000).fit(X, y)


def test_C_inf_is_no_penalty_and_penalty_none_ignores_C_with_a_warning():
    X, y = _iris()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.warns(UserWarning, match="Setting penalty=None will ignore the C"):
            none = _quiet_fit(LogisticRegression(penalty=None, C=4.0, max_iter=300), X, y)
    unpenalized = _quiet_fit(LogisticRegression(C=np.inf, max_iter=300), X, y)
    np.testing.assert_array_equal(unpenalized.coef_, none.coef_)
    assert np.abs(unpenalized.coef_).max() > np.abs(LogisticRegression().fit(X, y).coef_).max()


# ---- sparsify, densify --------------------------------------------------------------------------
def test_sparsify_and_densify_follow_scikit_learn():
    X, y = _iris()
    with pytest.raises(NotFittedError, match="must be fitted before sparsifying"):
        LogisticRegression().sparsify()
    model = LogisticRegression().fit(X, y)
    dense = model.decision_function(X)
    assert model.sparsify() is model and sp.issparse(model.coef_)
    np.testing.assert_allclose(model.decision_function(X), dense, rtol=1e-12)
    np.testing.assert_allclose(model.decision_function(sp.coo_array(X)), dense, rtol=1e-12)
    assert model.densify() is model and isinstance(model.coef_, np.ndarray)
    np.testing.assert_allclose(model.decision_function(X), dense, rtol=1e-12)


# ---- scikit-learn's callback API (scikit-learn >= 1.9) ------------------------------------------
def _recording():
    pytest.importorskip("sklearn.callback")
    utils = pytest.importorskip("sklearn.callback.tests._utils")
    return utils.RecordingCallback()


def _iteration_records(callback, name):
    return [
        r for r in callback.record if r["name"] == name and r["context"].task_name == "lbfgs-iter"
    ]


@pytest.mark.parametrize("max_iter", [0, 3])
def test_callbacks_see_the_fit_and_one_task_per_lbfgs_iteration(max_iter):
    callback = _recording()
    X, y = make_classification(n_features=4, random_state=0)
    model = LogisticRegression(max_iter=max_iter).set_callbacks(callback)
    _quiet_fit(model, X, y)
    names = [r["name"] for r in callback.record]
    assert names.count("setup") == names.count("teardown") == 1
    n_tasks = 1 + max(int(model.n_iter_[0]), 1) + 1  # the fit, each iteration, an empty one
    assert names.count("on_fit_task_begin") == names.count("on_fit_task_end") == n_tasks


def test_callbacks_see_the_weights_of_each_iteration():
    callback = _recording()
    X, y = make_classification(n_features=4, n_informative=4, n_redundant=0, random_state=0)
    model = LogisticRegression().set_callbacks(callback).fit(X, y)
    ends = _iteration_records(callback, "on_fit_task_end")
    assert len(ends) == model.n_iter_[0] + 1 and ends[-1]["kwargs"]["fitted_estimator"] is None
    for i in (0, 2):
        seen = ends[i]["kwargs"]["fitted_estimator"]
        expected = _quiet_fit(LogisticRegression(max_iter=i + 1), X, y)
        np.testing.assert_allclose(seen.coef_, expected.coef_, rtol=1e-12)
        np.testing.assert_allclose(seen.intercept_, expected.intercept_, rtol=1e-12)


def test_callbacks_are_ignored_with_a_warning_for_gd():
    callback = _recording()
    with pytest.warns(UserWarning, match="only supported .* for solver='lbfgs'"):
        model = LogisticRegression(solver="gd").set_callbacks(callback)
    X, y = _iris()
    _quiet_fit(model, X, y)
    assert _iteration_records(callback, "on_fit_task_begin") == []


# ---- saved and loaded ---------------------------------------------------------------------------
def test_a_saved_model_keeps_n_iter_C_inf_and_fit_intercept(tmp_path):
    from vectorlearn import persist

    X, y = _iris()
    model = _quiet_fit(LogisticRegression(C=np.inf, fit_intercept=False, max_iter=30), X, y)
    persist.save(model, tmp_path / "model.vl")
    loaded = persist.load(tmp_path / "model.vl")
    assert loaded.get_params()["C"] == np.inf and loaded.get_params()["fit_intercept"] is False
    assert loaded.n_iter_.dtype == np.int32 and loaded.n_iter_.tolist() == model.n_iter_.tolist()
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_sparsified_model_is_saved_with_a_dense_coef(tmp_path):
    from vectorlearn import persist

    X, y = _iris()
    model = LogisticRegression().fit(X, y).sparsify()
    persist.save(model, tmp_path / "model.vl")
    loaded = persist.load(tmp_path / "model.vl")
    assert isinstance(loaded.coef_, np.ndarray)
    np.testing.assert_allclose(loaded.decision_function(X), model.decision_function(X))


def test_parameters_are_checked_before_the_warnings_which_name_the_callers_line():
    X, y = _iris()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="'penalty' parameter must be"):
            LogisticRegression(penalty="l1").fit(X, y)
        assert caught == []
        LogisticRegression(n_jobs=1).fit(X, y)
    assert [w.filename for w in caught] == [__file__]
