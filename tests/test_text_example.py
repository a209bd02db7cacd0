"""The text-classification example (issue #14): vectorlearn's LogisticRegression on real sparse
TF-IDF features scores as scikit-learn's does, trains on the CSR matrix without densifying it,
and equals a dense fit in float64; multi-class parity and a finite-difference check on the
same real features, which ``test_sparse.py`` covers on synthetic binary data only."""

import importlib.util
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from vectorlearn import LogisticRegression, MLPClassifier
from vectorlearn.core import Network
from vectorlearn.gradcheck import check_network

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location(
        "text_classification", ROOT / "examples" / "text_classification.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def data(example):
    """The example's TF-IDF split of the docstrings: about 3,000 x 10,000, 1% non-zero."""
    return example.features()


@pytest.fixture(scope="module")
def text_slice(data):
    """150 training texts, 4 classes, on the 300 words most used in them, float64 CSR."""
    X_train, _, y_train, _, _ = data
    rows = np.sort(np.random.default_rng(0).choice(X_train.shape[0], 150, replace=False))
    X = X_train[rows]
    words = np.sort(np.argsort(-np.diff(X.tocsc().indptr), kind="stable")[:300])
    return sp.csr_matrix(X[:, words], dtype=np.float64), y_train[rows]


def _no_densifying(monkeypatch):
    """Make every SciPy ``toarray``/``todense`` raise, for the rest of the test (on the classes
    that define them, in the method order of the CSR, CSC and COO containers)."""

    def refuse(*args, **kwargs):
        raise AssertionError("the sparse input was densified")

    containers = (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array)
    for cls in {cls for container in containers for cls in container.__mro__}:
        for method in ("toarray", "todense"):
            if method in vars(cls):
                monkeypatch.setattr(cls, method, refuse)


def test_the_example_matches_scikit_learn_on_the_sparse_features(example, data, monkeypatch):
    X_train, X_test, y_train, y_test, docs = data
    assert sp.issparse(X_train) and X_train.format == "csr" and X_train.dtype == np.float64
    assert len(docs.target_names) == 4 and X_train.shape[0] > 1000
    assert X_train.nnz < 0.05 * X_train.shape[0] * X_train.shape[1]
    ours, theirs = example.models().values()
    theirs.fit(X_train, y_train)
    _no_densifying(monkeypatch)
    with pytest.raises(AssertionError, match="densified"):
        X_train.T.toarray()  # the guard holds for the transposed (CSC) view fit works on
    tracemalloc.start()
    try:
        ours.fit(X_train, y_train)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    dense_bytes = X_train.shape[0] * X_train.shape[1] * 8
    assert peak < dense_bytes / 10, f"peak {peak / 1e6:.0f} MB"  # measured: 14 MB of 256 MB
    # The same objective (multinomial cross-entropy + ||W||^2 / 2C) and solver (L-BFGS): the
    # accuracies agree to the test set's resolution (measured: 0.982 both); 0.02 allows for a
    # future version's docstrings landing differently near the boundary.
    accuracy, reference = ours.score(X_test, y_test), theirs.score(X_test, y_test)
    assert accuracy == pytest.approx(reference, abs=0.02)
    assert accuracy > 0.9


@pytest.mark.parametrize(
    "model",
    [
        LogisticRegression(dtype="float64"),
        MLPClassifier((8,), max_iter=15, batch_size=32, random_state=0, dtype="float64"),
        MLPClassifier((8,), solver="lbfgs", max_iter=30, random_state=0, dtype="float64"),
    ],
    ids=["logistic", "mlp-adam", "mlp-lbfgs"],
)
def test_multiclass_fit_on_real_sparse_text_equals_dense(model, text_slice):
    X, y = text_slice
    assert len(np.unique(y)) == 4  # the softmax head, which test_sparse.py's binary data skips
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short runs
        dense = clone(model).fit(X.toarray(), y)
        sparse = clone(model).fit(X, y)
    weights = (
        [(sparse.coef_, dense.coef_), (sparse.intercept_, dense.intercept_)]
        if isinstance(model, LogisticRegression)
        else list(zip(sparse.coefs_ + sparse.intercepts_, dense.coefs_ + dense.intercepts_))
    )
    for a, b in weights:
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X.toarray()), atol=1e-6)


def test_gradients_on_real_sparse_text_match_finite_differences(text_slice):
    """ReLU (the MLPClassifier default) and softmax, on 40 texts x 12 words of real TF-IDF."""
    X, y = text_slice
    X = sp.csc_array(X[:40, :12].T)  # (n_0, m): examples are columns in the core
    rng = np.random.default_rng(3)
    network = Network((12, 5, 4), activation="relu", head="softmax")
    W, B = network.init_params(rng, np, "float64")
    B = [b + 0.1 for b in B]  # the hidden units on, away from ReLU's kink at 0
    Y = (y[:40][None, :] == np.arange(4)[:, None]) * 1.0  # (4, m) one-hot
    errors = check_network(network, W, B, X, Y, l2=0.01)
    assert max(errors.values()) < 1e-7, errors
