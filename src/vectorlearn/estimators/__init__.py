"""scikit-learn style estimators on the vectorized core (examples are rows here)."""

from .logistic import LogisticRegression

__all__ = ["LogisticRegression"]
