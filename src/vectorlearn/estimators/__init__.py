"""scikit-learn style estimators on the vectorized core (examples are rows here)."""

from .logistic import LogisticRegression
from .mlp import MLPClassifier, MLPRegressor

__all__ = ["LogisticRegression", "MLPClassifier", "MLPRegressor"]
