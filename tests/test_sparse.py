"""SciPy sparse input (issues #12, #14): the first layer's products run on the non-zeros
(``W^T X`` and ``X dK^T``), never on a densified copy; every other layer is unchanged; the
estimators train and predict on CSR/CSC matrices and arrays, on the CPU only."""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor
from vectorlearn.core import Network
from vectorlearn.core.layers import times_transposed, weights_times
from vectorlearn.core.training import columns
from vectorlearn.gradcheck import check_network

CONTAINERS = [sp.csr_matrix, sp.csr_array, sp.csc_matrix, sp.csc_array]


def _sparse_data(m=120, n=15, density=0.2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n)) * (rng.random((m, n)) < density)
    y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] > 0).astype(int)
    return X, y


def _quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short runs
        return model.fit(X, y)


# ---- the core: the two products, the batches, the gradients -------------------------------------
@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_products_equal_the_dense_ones(container, dtype):
    rng = np.random.default_rng(1)
    X = (rng.normal(size=(7, 11)) * (rng.random((7, 11)) < 0.3)).astype(dtype)  # (n_0, m)
    W = rng.normal(size=(7, 3)).astype(dtype)
    dK = rng.normal(size=(3, 11)).astype(dtype)
    K_sparse, K_dense = weights_times(W, container(X), np), weights_times(W, X, np)
    dW_sparse, dW_dense = times_transposed(container(X), dK, np), times_transposed(X, dK, np)
    for sparse, dense in ((K_sparse, K_dense), (dW_sparse, dW_dense)):
        assert type(sparse) is np.ndarray and sparse.dtype == dtype
        np.testing.assert_allclose(sparse, dense, rtol=1e-5 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("sizes,head", [((6, 1), "sigmoid"), ((6, 4, 3), "softmax")])
def test_gradients_on_sparse_input_match_finite_differences(sizes, head):
    rng = np.random.default_rng(2)
    network = Network(sizes, activation="tanh", head=head)
    W, B = network.init_params(rng, np, "float64")
    B = [b + 0.1 for b in B]
    X = sp.csc_array(rng.normal(size=(6, 20)) * (rng.random((6, 20)) < 0.4))  # (n_0, m)
    labels = rng.integers(0, sizes[-1] if sizes[-1] > 1 else 2, size=20)
    Y = (labels[None, :] == (np.arange(sizes[-1])[:, None] if sizes[-1] > 1 else 1)) * 1.0
    errors = check_network(network, W, B, X, Y, l2=0.01)
    assert max(errors.values()) < 1e-7, errors
    J_sparse, dW_sparse, _ = network.cost_and_gradients(W, B, X, Y, l2=0.01)
    J_dense, dW_dense, _ = network.cost_and_gradients(W, B, X.toarray(), Y, l2=0.01)
    assert float(J_sparse) == pytest.approx(float(J_dense), rel=1e-12)
    np.testing.assert_allclose(dW_sparse[0], dW_dense[0], rtol=1e-12)


def test_minibatches_slice_the_columns_of_a_csc_matrix():
    X = np.arange(12.0).reshape(3, 4)  # (n_0, m)
    X_csc = sp.csr_matrix(X.T).T  # scikit-learn's CSR rows, transposed: a CSC without a copy
    assert X_csc.format == "csc"
    batch = columns(X_csc, np.array([3, 1]), np)
    assert sp.issparse(batch) and batch.shape == (3, 2)
    np.testing.assert_array_equal(batch.toarray(), X[:, [3, 1]])


# ---- the estimators: the same models as on dense input ------------------------------------------
PARITY = [
    LogisticRegression(dtype="float64"),
    LogisticRegression(solver="gd", dtype="float64", max_iter=200),
    LogisticRegression(fit_intercept=False, dtype="float64"),
    MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, batch_size=32, random_state=0,
                  dtype="float64"),
    MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50, random_state=0,
                  dtype="float64"),
    MLPRegressor(hidden_layer_sizes=(5,), max_iter=20, batch_size=32, random_state=0,
                 dtype="float64"),
    MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=50, random_state=0,
                 dtype="float64"),
]  # fmt: skip


def _weights(model):
    return [model.coef_, model.intercept_] if hasattr(model, "coef_") else model.coefs_


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_array])
@pytest.mark.parametrize("model", PARITY, ids=lambda m: f"{type(m).__name__}-{m.solver}")
def test_fit_and_predict_on_sparse_input_equal_dense(model, container):
    X, y = _sparse_data()
    target = y if type(model).__name__ != "MLPRegressor" else X[:, 0] - 2 * X[:, 3]
    dense = _quiet_fit(clone(model), X, target)
    sparse = _quiet_fit(clone(model), container(X), target)
    for a, b in zip(_weights(dense), _weights(sparse)):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sparse.predict(container(X)), dense.predict(X), atol=1e-6)
    if hasattr(model, "predict_proba"):
        np.testing.assert_allclose(
            sparse.predict_proba(container(X)), dense.predict_proba(X), atol=1e-6
        )


def test_early_stopping_splits_sparse_data():
    X, y = _sparse_data(m=200)
    model = MLPClassifier(
        hidden_layer_sizes=(4,), early_stopping=True, max_iter=15, random_state=0,
        dtype="float64",
    )  # fmt: skip
    dense, sparse = _quiet_fit(clone(model), X, y), _quiet_fit(clone(model), sp.csr_array(X), y)
    np.testing.assert_allclose(sparse.validation_scores_, dense.validation_scores_, atol=1e-9)


def test_float32_sparse_input_trains_in_float32_and_int64_indices_are_accepted():
    X, y = _sparse_data()
    X32 = sp.csr_matrix(X, dtype=np.float32)
    X32.indices, X32.indptr = X32.indices.astype(np.int64), X32.indptr.astype(np.int64)
    model = LogisticRegression().fit(X32, y)
    assert model.coef_.dtype == np.float32
    assert model.score(X32, y) > 0.8


def test_memory_stays_proportional_to_the_non_zeros():
    """20000 x 50000 at 0.1% density: 1e6 non-zeros (12 MB); dense, it would be 8 GB."""
    m, n, per_row = 20000, 50000, 50  # 0.1% of 50000 features per example
    rng = np.random.default_rng(0)
    indices = np.sort(rng.integers(0, n, size=(m, per_row)), axis=1).ravel()
    X = sp.csr_array((rng.normal(size=m * per_row), indices, np.arange(m + 1) * per_row), (m, n))
    y = np.asarray(X[:, :1000].sum(axis=1)).ravel() > 0
    tracemalloc.start()
    try:
        _quiet_fit(LogisticRegression(max_iter=5), X, y)
        _quiet_fit(
            MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, batch_size=2000, random_state=0),
            X, y,
        )  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    dense = X.shape[0] * X.shape[1] * 8
    assert peak < 100e6 < dense / 50, f"peak {peak / 1e6:.0f} MB"  # measured: 17 MB


# ---- checks and refusals ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value,match", [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity")]
)
def test_sparse_input_with_nan_or_inf_is_refused(value, match):
    X, y = _sparse_data()
    X = sp.csr_matrix(X)
    X.data[3] = value
    for model in (LogisticRegression(), MLPClassifier(max_iter=2)):
        with pytest.raises(ValueError, match=match):
            model.fit(X, y)


def test_sparse_prediction_checks_the_number_of_features():
    X, y = _sparse_data()
    model = LogisticRegression().fit(sp.csr_matrix(X), y)
    with pytest.raises(ValueError, match="X has 14 features, but LogisticRegression is expecting"):
        model.predict(sp.csr_matrix(X[:, :-1]))


def test_sparse_values_too_large_are_refused_by_name():
    X, y = _sparse_data()
    X = sp.csr_matrix(X)
    X.data[0] = 1e200
    with pytest.raises(ValueError, match="too large to train on in float64"):
        LogisticRegression().fit(X, y)


def test_sparse_input_on_a_gpu_is_refused_clearly():
    X, y = _sparse_data()
    for model in (LogisticRegression(device="cuda"), MLPClassifier(device="cuda")):
        with pytest.raises(ValueError, match="sparse input trains and predicts on the CPU"):
            model.fit(sp.csr_matrix(X), y)
    model = LogisticRegression(device="auto").fit(sp.csr_matrix(X), y)  # "auto": the CPU
    assert isinstance(model.coef_, np.ndarray)


def test_a_dask_array_of_sparse_blocks_is_refused_clearly():
    da = pytest.importorskip("dask.array")
    X, y = _sparse_data()
    X_dask = da.from_array(sp.csr_matrix(X), chunks=(60, 15), asarray=False)
    with pytest.raises(TypeError, match="sparse input trains and predicts on the CPU"):
        LogisticRegression().fit(X_dask, da.from_array(y, chunks=60))


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_array])
def test_predicting_huge_sparse_values_equals_dense(container):
    """Beyond the square root of the largest float, predictions take the scaled path
    (``Network.scaled_logits``), which scales each sparse column by its largest value too."""
    X, y = _sparse_data()
    for model in (LogisticRegression(), MLPClassifier(hidden_layer_sizes=(3,), max_iter=5)):
        _quiet_fit(model, X, y)
        huge = X[:10] * 1e200
        np.testing.assert_array_equal(model.predict(container(huge)), model.predict(huge))
        np.testing.assert_allclose(
            model.predict_proba(container(huge)), model.predict_proba(huge), rtol=1e-6
        )
