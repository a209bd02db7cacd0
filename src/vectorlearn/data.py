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
