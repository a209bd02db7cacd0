"""``MLPRegressor(standardize_target=True)`` (issue #14, item 1): exactly scikit-learn's
``TransformedTargetRegressor`` with a ``StandardScaler``, saved, exported, checkpointed and
trained on Dask with the model; and the ConvergenceWarning's advice to standardize the features
only where they are far from unit scale (item 5)."""

import itertools
import json
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import vectorlearn
from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor, load, save
from vectorlearn.core.training import InMemory
from vectorlearn.estimators._fitting import far_from_unit_scale

X_REG, y_REG = make_regression(240, 5, n_targets=2, noise=3.0, random_state=0)
X_REG = StandardScaler().fit_transform(X_REG)
Y2 = y_REG * [100.0, 0.01] + [5e4, -3.0]  # two targets, far apart in scale and offset
y1 = Y2[:, 0]


def quietly(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


def mlp(**options):
    return MLPRegressor(
        **{"hidden_layer_sizes": (8,), "max_iter": 30, "random_state": 0, **options}
    )


def reference(X, y, **options):
    """scikit-learn's way: the same regressor inside TransformedTargetRegressor."""
    ttr = TransformedTargetRegressor(regressor=mlp(**options), transformer=StandardScaler())
    return quietly(ttr, X, y)


# ---- the semantics: TransformedTargetRegressor + StandardScaler ---------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("y", [y1, Y2, Y2[:, :1]], ids=["1-D", "2 targets", "(m, 1)"])
@pytest.mark.parametrize("options", [{}, {"early_stopping": True}, {"solver": "lbfgs"}])
def test_equals_transformed_target_regressor(dtype, y, options):
    ours = quietly(mlp(standardize_target=True, dtype=dtype, **options), X_REG, y)
    theirs = reference(X_REG, y, dtype=dtype, **options)
    for X in (X_REG, X_REG.astype(np.float32)):  # predictions in X's precision, as theirs
        mine, expected = ours.predict(X), theirs.predict(X)
        assert mine.shape == expected.shape and mine.dtype == expected.dtype
        np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(ours.target_mean_, theirs.transformer_.mean_)
    np.testing.assert_array_equal(ours.target_scale_, theirs.transformer_.scale_)
    assert ours.target_mean_.shape == ours.target_scale_.shape == (ours.n_outputs_,)
    # the loss is on the standardized scale, R^2 (validation too) the same on both
    assert ours.loss_curve_ == theirs.regressor_.loss_curve_
    assert ours.validation_scores_ == theirs.regressor_.validation_scores_
    assert ours.score(X_REG, y) == pytest.approx(theirs.score(X_REG, y), rel=1e-12)
    assert ours.score(X_REG, y) == pytest.approx(r2_score(y, ours.predict(X_REG)))


def test_predictions_are_in_the_targets_units_and_off_by_default():
    on = quietly(mlp(standardize_target=True, max_iter=200), X_REG, y1)
    assert abs(on.predict(X_REG).mean() - 5e4) < 0.2 * y1.std() and on.score(X_REG, y1) > 0.9
    off = quietly(mlp(), X_REG, y1)
    assert not hasattr(off, "target_mean_") and off.get_params()["standardize_target"] is False
    quietly(on.set_params(standardize_target=False), X_REG, y1)  # refitted without: gone
    assert not hasattr(on, "target_mean_") and not hasattr(on, "target_scale_")


def test_a_constant_target_column_gets_scale_1_and_is_predicted():
    y = np.c_[y1, np.full(y1.shape, 7.0)]
    model = quietly(mlp(standardize_target=True), X_REG, y)
    assert model.target_scale_[1] == 1.0 and model.target_mean_[1] == 7.0
    np.testing.assert_allclose(model.predict(X_REG), reference(X_REG, y).predict(X_REG), rtol=1e-6)


def test_standardized_targets_beyond_the_training_dtype_are_refused_at_fit():
    # standardized, they train; but the predictions are scaled back in float32, to inf
    X = X_REG.astype(np.float32)
    y = X_REG @ [1.0, 2.0, 3.0, 0.0, 0.0] * 1e37 + 3e38  # float64, beyond float32's 3.4e38
    for model in (mlp(standardize_target=True), mlp(standardize_target=True, dtype=None)):
        with pytest.raises(
            ValueError, match='too large for the training dtype, float32.*"float64"'
        ):
            model.fit(X, y)
    with pytest.raises(ValueError, match="too large for the training dtype"):
        mlp(standardize_target=True).partial_fit(X, y)
    model = quietly(mlp(standardize_target=True, dtype="float64", max_iter=200), X, y)
    assert np.all(np.isfinite(model.predict(X_REG)))
    assert model.score(X_REG, y) > 0.5
    with pytest.raises(ValueError, match="beyond the largest float32; predict on float64 X"):
        model.predict(X)  # float32 input predicts in float32


def test_huge_targets_train_when_standardized():
    y = y1 * 1e30  # its squares overflow float32: refused unless standardized
    with pytest.raises(ValueError, match="TransformedTargetRegressor"):
        mlp().fit(X_REG, y)
    model = quietly(mlp(standardize_target=True, max_iter=200), X_REG, y)
    assert model.score(X_REG, y) > 0.9


def test_the_network_is_the_same_when_y_is_already_standardized():
    """The core is unchanged: on a standardized y the option changes nothing but rounding."""
    y = StandardScaler().fit_transform(Y2)
    for dtype in ("float64", "float32"):
        on = quietly(mlp(standardize_target=True, dtype=dtype), X_REG, y)
        off = quietly(mlp(dtype=dtype), X_REG, y)
        np.testing.assert_allclose(on.target_mean_, 0.0, atol=1e-12)
        np.testing.assert_allclose(on.target_scale_, 1.0, rtol=1e-12)
        for a, b in zip(on.coefs_ + on.intercepts_, off.coefs_ + off.intercepts_):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(on.predict(X_REG), off.predict(X_REG), rtol=1e-5, atol=1e-5)


def test_validation_data_are_standardized_with_the_training_statistics():
    X_val, y_val = X_REG[:60], y1[:60] + 10.0
    model = quietly(
        mlp(standardize_target=True), X_REG[60:], y1[60:], validation_data=(X_val, y_val)
    )
    assert model.validation_scores_[-1] == pytest.approx(model.score(X_val, y_val), rel=1e-5)
    residual = (model.predict(X_val) - y_val) / model.target_scale_[0]  # standardized units
    assert model.validation_loss_curve_[-1] == pytest.approx(np.mean(residual**2) / 2, rel=1e-4)


def test_partial_fit_keeps_the_first_calls_statistics():
    model = mlp(standardize_target=True)
    model.partial_fit(X_REG[:120], y1[:120])
    mean, scale = model.target_mean_.copy(), model.target_scale_.copy()
    np.testing.assert_array_equal(mean, [y1[:120].mean()])
    model.partial_fit(X_REG[120:], y1[120:] * 3)
    np.testing.assert_array_equal(model.target_mean_, mean)
    np.testing.assert_array_equal(model.target_scale_, scale)
    with pytest.raises(ValueError, match="differs from the first call"):
        model.set_params(standardize_target=False).partial_fit(X_REG, y1)


def test_refused_with_the_poisson_loss():
    with pytest.raises(ValueError, match="cannot go with loss='poisson'"):
        mlp(standardize_target=True, loss="poisson").fit(X_REG, np.abs(y1))
    with pytest.raises(ValueError, match="standardize_target"):
        mlp(standardize_target="yes").fit(X_REG, y1)


def test_device_arrays_predict_in_the_targets_units():
    torch = pytest.importorskip("torch")
    model = quietly(mlp(standardize_target=True), X_REG, Y2)
    H = model.predict(torch.asarray(X_REG))
    assert isinstance(H, torch.Tensor)
    np.testing.assert_allclose(H.numpy(), model.predict(X_REG), rtol=1e-6)
    trained = quietly(mlp(standardize_target=True), torch.asarray(X_REG), torch.asarray(Y2))
    np.testing.assert_allclose(trained.target_mean_, model.target_mean_, rtol=1e-12)


UNWEIGHTED = (
    "the target's statistics ignore sample_weight, as TransformedTargetRegressor's do: weight 2 "
    "is not a repeated row there"
)


@parametrize_with_checks(
    [MLPRegressor(standardize_target=True, random_state=0)],
    expected_failed_checks=lambda estimator: {
        "check_sample_weight_equivalence_on_dense_data": UNWEIGHTED,
        "check_sample_weight_equivalence_on_sparse_data": UNWEIGHTED,
    },
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


# ---- saved with the model ----------------------------------------------------------------------
def _meta(path):
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["__metadata__"]))


def _rewrite(path, edit_meta=None, edit_arrays=None):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("__metadata__")))
    if edit_meta:
        edit_meta(meta)
    if edit_arrays:
        edit_arrays(arrays)
    with open(path, "wb") as file:
        np.savez(file, __metadata__=np.array(json.dumps(meta)), **arrays)


@pytest.fixture
def saved(tmp_path):
    model = quietly(mlp(standardize_target=True), X_REG, Y2)
    path = tmp_path / "m.npz"
    save(model, path)
    return model, path


def test_round_trip_predicts_the_same_and_is_format_3(saved):
    model, path = saved
    loaded = load(path)
    assert loaded.standardize_target is True
    np.testing.assert_array_equal(loaded.target_mean_, model.target_mean_)
    np.testing.assert_array_equal(loaded.predict(X_REG), model.predict(X_REG))
    assert _meta(path)["format_version"] == 3


def test_an_older_reader_refuses_a_standardized_model(saved, monkeypatch):
    _, path = saved
    monkeypatch.setattr(vectorlearn.persist, "FORMAT_VERSION", 2)
    with pytest.raises(ValueError, match="format 3"):
        load(path)


def test_a_model_without_the_option_is_written_as_before(tmp_path):
    """Format 2 without the parameter, so an older vectorlearn loads it; such a file (an old
    one) loads with the option off."""
    path = tmp_path / "m.npz"
    save(quietly(mlp(), X_REG, y1), path)
    meta = _meta(path)
    assert meta["format_version"] == 2 and "standardize_target" not in meta["estimator"]["params"]
    assert load(path).standardize_target is False


def _drop_statistics(meta):
    for name in ("target_mean_", "target_scale_"):
        del meta["estimator"]["attributes"][name]


def _option_off(meta):
    meta["estimator"]["params"]["standardize_target"] = False


def _set_array(name, value):
    def edit(arrays):
        arrays[name] = np.asarray(value)

    return edit


@pytest.mark.parametrize(
    ("edit_meta", "edit_arrays", "match"),
    [
        (_drop_statistics, None, "standardize_target=True needs target_mean_ and target_scale_"),
        (_option_off, None, "stored but standardize_target is False"),
        (None, _set_array("target_mean_", [1.0, 2.0, 3.0]), "2 float64 numbers each, one per"),
        (None, _set_array("target_scale_", [[1.0, 2.0]]), "2 float64 numbers each"),
        (None, _set_array("target_scale_", np.array(["a", "b"])), "2 float64 numbers each"),
        (None, _set_array("target_scale_", np.array([3, 3], np.float16)), "2 float64 numbers"),
        (None, _set_array("target_mean_", np.array([0, 1], np.float32)), "2 float64 numbers"),
        (None, _set_array("target_scale_", [1.0, 0.0]), "target_scale_ > 0"),
        (None, _set_array("target_mean_", [np.nan, 0.0]), "must be finite"),
        (None, _set_array("target_scale_", [np.inf, 1.0]), "must be finite"),
    ],
)
def test_inconsistent_statistics_are_refused_in_one_line(saved, edit_meta, edit_arrays, match):
    _, path = saved
    _rewrite(path, edit_meta, edit_arrays)
    with pytest.raises(ValueError, match=match) as error:
        load(path)
    assert "\n" not in str(error.value)


def test_the_message_for_one_output_is_singular(tmp_path):
    path = tmp_path / "m.npz"
    save(quietly(mlp(standardize_target=True), X_REG, y1), path)
    _rewrite(path, None, _set_array("target_scale_", np.array([3.0], np.float16)))
    with pytest.raises(ValueError, match="as 1 float64 number each, one per output"):
        load(path)


def test_statistics_on_a_classifier_are_refused(tmp_path):
    path = tmp_path / "m.npz"
    save(quietly(MLPClassifier((4,), max_iter=3, random_state=0), X_REG, y1 > 5e4), path)

    def add(meta):
        meta["estimator"]["attributes"]["target_mean_"] = {"array": "coefs_.0"}

    _rewrite(path, add)
    with pytest.raises(ValueError, match="has no attribute 'target_mean_'"):
        load(path)


# ---- exported, checkpointed, on Dask ------------------------------------------------------------
@pytest.mark.parametrize("y", [y1, Y2], ids=["1-D", "2 targets"])
def test_onnx_graph_ends_in_the_targets_units(tmp_path, y):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from vectorlearn.export import to_onnx

    model = quietly(mlp(standardize_target=True), X_REG, y)
    to_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    X = X_REG.astype(np.float32)
    (output,) = session.run(None, {"X": X})
    expected = model.predict(X)
    assert output.shape == expected.shape
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


def test_checkpoints_resume_bitwise_and_only_on_the_same_targets(tmp_path):
    options = dict(standardize_target=True, batch_size=32, n_iter_no_change=1000, dtype="float64")
    full = quietly(mlp(max_iter=12, **options), X_REG, Y2)
    path = tmp_path / "run.npz"
    quietly(mlp(max_iter=5, **options), X_REG, Y2, checkpoint=path)
    resumed = quietly(mlp(max_iter=12, **options), X_REG, Y2, resume=path)
    for a, b in zip(full.coefs_ + full.intercepts_, resumed.coefs_ + resumed.intercepts_):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="target_scaling"):
        mlp(max_iter=12, **options).fit(X_REG, Y2 * 2, resume=path)
    off = {**options, "standardize_target": False}
    with pytest.raises(ValueError, match="target_scaling"):
        mlp(max_iter=12, **off).fit(X_REG, Y2, resume=path)


def test_dask_standardizes_with_the_statistics_of_the_whole_array(client):
    import dask.array as da

    options = dict(solver="lbfgs", max_iter=40, dtype="float64", standardize_target=True)
    in_memory = quietly(mlp(**options), X_REG, Y2)
    chunks = lambda a: da.from_array(a, chunks=(60, *a.shape[1:]))  # noqa: E731
    on_cluster = quietly(mlp(**options), chunks(X_REG), chunks(Y2))
    np.testing.assert_allclose(on_cluster.target_mean_, in_memory.target_mean_, rtol=1e-12)
    np.testing.assert_allclose(on_cluster.target_scale_, in_memory.target_scale_, rtol=1e-12)
    for a, b in zip(on_cluster.coefs_, in_memory.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    predicted = on_cluster.predict(chunks(X_REG))
    assert isinstance(predicted, da.Array)
    np.testing.assert_allclose(predicted.compute(), in_memory.predict(X_REG), rtol=1e-6)
    constant = quietly(mlp(**options), chunks(X_REG), chunks(np.full(240, 3.0)))
    assert constant.target_scale_.tolist() == [1.0] and constant.target_mean_.tolist() == [3.0]
    huge = X_REG @ [1.0, 2.0, 3.0, 0.0, 0.0] * 1e37 + 3e38  # beyond float32, as in memory
    with pytest.raises(ValueError, match="too large for the training dtype, float32"):
        mlp(standardize_target=True).fit(chunks(X_REG.astype(np.float32)), chunks(huge))


# ---- item 5: advice that fits --------------------------------------------------------------------
def warning_of(model, X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(messages) == 1, messages
    return messages[0]


@pytest.mark.parametrize(
    ("transform", "advised"),
    [
        (lambda X: X, False),  # standardized
        (lambda X: X * 1000, True),  # a large spread
        (lambda X: X + 50, True),  # a large offset
        (lambda X: X * 1e-3, True),  # every column tiny
        (lambda X: np.c_[X, np.arange(len(X)) % 100 == 0], False),  # a rare one-hot column
        (lambda X: np.c_[X, np.zeros(len(X))], False),  # a constant column
    ],
)
@pytest.mark.parametrize("kind", ["mlp", "logreg"])
def test_the_advice_to_standardize_only_where_the_features_need_it(transform, advised, kind):
    X = transform(X_REG).astype(float)
    if kind == "mlp":
        model, y = mlp(max_iter=2), y1
    else:
        model, y = LogisticRegression(solver="gd", max_iter=2, tol=0.0), y1 > np.median(y1)
    message = warning_of(model, X, y)
    assert "did not converge in max_iter" in message
    assert ("standardize the features" in message) == advised


def test_the_rule_looks_at_a_sample_of_any_kind_of_array():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 4))
    assert not far_from_unit_scale(InMemory(X.T, None))
    assert far_from_unit_scale(InMemory((X * [1, 1, 1, 40]).T, None))
    sparse = scipy.sparse.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    assert not far_from_unit_scale(InMemory(sparse.T, None))
    assert far_from_unit_scale(InMemory((sparse * 100).T, None))
    torch = pytest.importorskip("torch")
    assert not far_from_unit_scale(InMemory(torch.asarray(X).T, None))
    assert far_from_unit_scale(InMemory(torch.asarray(X * 1e-3).T, None))


def test_sparse_input_gets_the_advice_only_when_far_from_unit_scale():
    X = scipy.sparse.csr_matrix(np.where(np.abs(X_REG) > 0.5, X_REG, 0.0))
    assert "standardize" not in warning_of(mlp(max_iter=2), X, y1)
    assert "standardize" in warning_of(mlp(max_iter=2), X * 100, y1)


def test_tf_idf_features_get_no_advice_to_standardize():
    # every TF-IDF column's spread is below 1/10, the dense rule's "too small": no advice
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(0)
    syllables = (
        ["ba", "ko", "mi", "tu", "re", "sa", "lo", "ne"],
        ["ran", "lek", "mos", "tib", "vus", "gor", "hal", "zen"],
        "aeiou",
    )
    words = ["".join(parts) for parts in itertools.product(*syllables)]
    texts = [" ".join(rng.choice(words, size=20)) for _ in range(40)]
    X = TfidfVectorizer().fit_transform(texts)
    assert X.toarray().std(axis=0).max() < 0.1  # what the rule for dense data calls too small
    y = np.array([t.startswith(("b", "k", "m")) for t in texts])
    message = warning_of(LogisticRegression(solver="gd", max_iter=2, tol=0.0), X, y)
    assert "did not converge in max_iter" in message
    assert "standardize" not in message
    model = LogisticRegression(solver="gd", max_iter=2, tol=0.0)
    assert "standardize" in warning_of(model, X * 1000, y)  # the rule for large values stays


def test_dask_input_gets_the_advice_only_when_far_from_unit_scale(client):
    import dask.array as da

    chunks = lambda a: da.from_array(a, chunks=(60, *a.shape[1:]))  # noqa: E731
    assert "standardize" not in warning_of(mlp(max_iter=2), chunks(X_REG), chunks(y1 / 100))
    assert "standardize" in warning_of(mlp(max_iter=2), chunks(X_REG * 100), chunks(y1 / 100))


@pytest.mark.parametrize(
    "options",
    [
        {"early_stopping": True, "validation_fraction": 0.2},  # stopped by early stopping
        {"solver": "sgd", "learning_rate": "adaptive", "tol": 0.5},  # the schedule ran out
        {"tol": 1e9, "n_iter_no_change": 2},  # no improvement
    ],
    ids=["early stopping", "adaptive schedule", "no improvement"],
)
def test_no_warning_when_training_ended_on_purpose_at_max_iter(options):
    """Stopped on purpose in the very epoch max_iter allows: no ConvergenceWarning."""
    X, y = X_REG, np.ones(len(X_REG))  # a flat target: everything stops soon
    first = MLPRegressor((4,), max_iter=3000, random_state=0, **options).fit(X, y)
    assert first.n_iter_ < 3000
    exact = MLPRegressor((4,), max_iter=first.n_iter_, random_state=0, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        exact.fit(X, y)
    assert exact.n_iter_ == first.n_iter_
