"""vectorlearn: logistic regression and deep networks in vectorized matrix form.

>>> from vectorlearn import LogisticRegression
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> LogisticRegression().fit(X, y).score(X, y) > 0.95
True
"""

from ._version import __version__

# Imported on first use (PEP 562), so that `vectorlearn --help` and other light commands do not
# pay for importing scikit-learn and the estimators: name -> the module that defines it.
_LAZY = {
    "LogisticRegression": ".estimators",
    "MLPClassifier": ".estimators",
    "MLPRegressor": ".estimators",
    "to_onnx": ".export",
    "check_gradients": ".gradcheck",
    "load": ".persist",
    "load_info": ".persist",
    "save": ".persist",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'vectorlearn' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__():
    return sorted([*globals(), *_LAZY])


__all__ = [
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "__version__",
    "check_gradients",
    "load",
    "load_info",
    "save",
    "to_onnx",
]
