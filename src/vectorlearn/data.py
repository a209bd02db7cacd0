"""Built-in data sets: the ones that ship with scikit-learn, so nothing is downloaded."""

from __future__ import annotations

from sklearn import datasets

BUILTIN = {
    "breast_cancer": datasets.load_breast_cancer,
    "iris": datasets.load_iris,
    "digits": datasets.load_digits,
    "wine": datasets.load_wine,
}
DEFAULT_DATASET = "breast_cancer"


def load_builtin(name: str = DEFAULT_DATASET):
    """Return ``(X, y)`` of a data set bundled with scikit-learn (examples are rows)."""
    if name not in BUILTIN:
        raise ValueError(f"unknown built-in data set {name!r}; choose one of {sorted(BUILTIN)}")
    return BUILTIN[name](return_X_y=True)
