"""Built-in data sets: the ones that ship with scikit-learn, so nothing is downloaded.

``BUILTIN`` names each one's loader in ``sklearn.datasets``; :func:`load` imports it only when a
data set is asked for, so the command line's ``--help`` does not import scikit-learn.
"""

from __future__ import annotations

import importlib

BUILTIN = {
    "breast_cancer": "load_breast_cancer",
    "iris": "load_iris",
    "digits": "load_digits",
    "wine": "load_wine",
}
DEFAULT_DATASET = "breast_cancer"


def load(name: str, **options):
    """``sklearn.datasets.load_<name>(**options)`` for a name in ``BUILTIN``."""
    if name not in BUILTIN:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(sorted(BUILTIN))}")
    return getattr(importlib.import_module("sklearn.datasets"), BUILTIN[name])(**options)
