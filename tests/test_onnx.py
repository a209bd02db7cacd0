"""to_onnx: the exported graph, run by onnxruntime, reproduces predict_proba / predict."""

import os
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("onnx", reason="onnx is needed for to_onnx")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime runs the exported graphs")

from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_digits,
    load_iris,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression as SkLogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor  # noqa: E402
from vectorlearn.export import to_onnx  # noqa: E402

ATOL = 1e-5  # float32


def standardized(X):
    return StandardScaler().fit_transform(X).astype(np.float32)


def fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after a few epochs
        return model.fit(X, y)


def run_onnx(model, X, tmp_path):
    """Export ``model``, run it with onnxruntime on float32 ``X`` and return the one output."""
    path = tmp_path / "model.onnx"
    to_onnx(model, path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["X"]
    (output,) = session.run(None, {"X": X.astype(np.float32)})
    return output


def mlp(cls, **options):
    return cls(**{"hidden_layer_sizes": (16,), "max_iter": 30, "random_state": 0, **options})


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return standardized(X), y


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return standardized(X), y


@pytest.mark.parametrize("dataset", ["cancer", "iris"])
def test_logistic_regression(dataset, request, tmp_path):
    X, y = request.getfixturevalue(dataset)
    X = X.astype(np.float64)  # trains in float64; the export is float32
    model = fit(LogisticRegression(), X, y)
    probabilities = run_onnx(model, X, tmp_path)
    assert probabilities.dtype == np.float32
    assert probabilities.shape == (X.shape[0], len(np.unique(y)))
    expected = model.predict_proba(X.astype(np.float32))
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=ATOL)
    assert np.array_equal(model.classes_[probabilities.argmax(axis=1)], model.predict(X))


def test_mlp_classifier_binary(cancer, tmp_path):
    X, y = cancer
    model = fit(mlp(MLPClassifier), X, y)
    assert model.n_outputs_ == 1
    probabilities = run_onnx(model, X, tmp_path)
    assert probabilities.shape == (X.shape[0], 2)
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=ATOL)


def test_mlp_classifier_multiclass(tmp_path):
    X, y = load_digits(return_X_y=True)
    X = standardized(X)
    model = fit(mlp(MLPClassifier, hidden_layer_sizes=(32, 16)), X, y)
    probabilities = run_onnx(model, X, tmp_path)
    assert probabilities.shape == (X.shape[0], 10)
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=ATOL)


def test_mlp_classifier_multilabel(tmp_path):
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    X = standardized(X)
    model = fit(mlp(MLPClassifier), X, Y)
    assert model.out_activation_ == "sigmoid" and model.n_outputs_ == 4
    probabilities = run_onnx(model, X, tmp_path)
    assert probabilities.shape == Y.shape
    np.testing.assert_allclose(probabilities, model.predict_proba(X), rtol=0, atol=ATOL)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("hidden", [(), (8, 8)])
def test_every_hidden_activation(activation, hidden, iris, tmp_path):
    X, y = iris
    model = fit(mlp(MLPClassifier, hidden_layer_sizes=hidden, activation=activation), X, y)
    # Shift the input so that many hidden units see negative inputs (leaky_relu's other branch).
    X = X - 1
    np.testing.assert_allclose(
        run_onnx(model, X, tmp_path), model.predict_proba(X), rtol=0, atol=ATOL
    )


@pytest.mark.parametrize(("n_targets", "one_d"), [(1, True), (1, False), (3, False)])
def test_mlp_regressor(n_targets, one_d, tmp_path):
    X, y = make_regression(n_samples=150, n_features=6, n_targets=n_targets, random_state=0)
    y = y / np.std(y)
    y = y if one_d else y.reshape(150, n_targets)
    X = standardized(X)
    model = fit(mlp(MLPRegressor, hidden_layer_sizes=(16, 8), activation="tanh"), X, y)
    predictions = run_onnx(model, X, tmp_path)
    expected = model.predict(X)
    assert predictions.shape == expected.shape == y.shape
    np.testing.assert_allclose(predictions, expected, rtol=1e-5, atol=ATOL)


def test_overwrites_atomically(iris, tmp_path):
    X, y = iris
    path = tmp_path / "model.onnx"
    path.write_bytes(b"an older file")
    onnx_model = to_onnx(fit(mlp(MLPClassifier), X, y), str(path))
    assert path.read_bytes() == onnx_model.SerializeToString()
    assert os.listdir(tmp_path) == ["model.onnx"]  # no temporary file left behind


def test_unfitted_raises_not_fitted(tmp_path):
    for model in (LogisticRegression(), MLPClassifier(), MLPRegressor()):
        with pytest.raises(NotFittedError):
            to_onnx(model, tmp_path / "model.onnx")
    assert not os.listdir(tmp_path)


def test_other_objects_raise_type_error(iris, tmp_path):
    X, y = iris
    with pytest.raises(TypeError, match=r"sklearn\.linear_model\..*LogisticRegression"):
        to_onnx(SkLogisticRegression().fit(X, y), tmp_path / "model.onnx")
    with pytest.raises(TypeError, match="builtins.dict"):
        to_onnx({}, tmp_path / "model.onnx")


def test_missing_onnx_says_how_to_install(iris, tmp_path, monkeypatch):
    X, y = iris
    model = fit(LogisticRegression(), X, y)
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(ImportError, match=r'pip install "vectorlearn\[onnx\]"'):
        to_onnx(model, tmp_path / "model.onnx")
