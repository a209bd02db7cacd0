"""vectorlearn: logistic regression and deep networks in vectorized matrix form.

>>> from vectorlearn import LogisticRegression
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> LogisticRegression().fit(X, y).score(X, y) > 0.95
True
"""

from importlib.metadata import PackageNotFoundError, version

from .estimators import LogisticRegression, MLPClassifier, MLPRegressor
from .gradcheck import check_gradients

try:
    __version__ = version("vectorlearn")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["LogisticRegression", "MLPClassifier", "MLPRegressor", "__version__", "check_gradients"]
