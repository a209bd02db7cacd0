"""vectorlearn: logistic regression and deep networks in vectorized matrix form.

>>> from vectorlearn import LogisticRegression
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> LogisticRegression().fit(X, y).score(X, y) > 0.95
True
"""

from ._version import __version__
from .estimators import LogisticRegression, MLPClassifier, MLPRegressor
from .export import to_onnx
from .gradcheck import check_gradients
from .persist import load, load_info, save

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
