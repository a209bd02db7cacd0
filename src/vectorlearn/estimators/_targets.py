"""Targets and example weights, encoded by pure functions: they return what ``fit`` stores
(the classes, the shape of ``y``) and set nothing, so validation data cannot change a model."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight

from ..core.backend import is_numpy_like, like, numpy_dtype, to_numpy


@dataclass(frozen=True)
class Targets:
    """Encoded targets: ``Y`` (n_L, m) on the host (None on Dask, where each block holds its
    own), the output head, ``n_L``, the classes (None for a regressor), ``y``'s ndim, and
    whether they are multilabel."""

    Y: np.ndarray | None
    head: str
    n_outputs: int
    classes: np.ndarray | None = None
    y_ndim: int = 1
    multilabel: bool = False


def encode_targets(estimator, y, dtype, classes=None) -> Targets:
    """``y`` (m,) or (m, k) as ``Y`` (n_L, m) for ``estimator``'s kind; sets nothing.

    Regressors: identity head, one row per target. Classifiers: two classes give one sigmoid
    output, more give softmax over one output per class, and a multilabel indicator matrix
    (m, k) gives k independent sigmoid outputs. ``classes``, if given, fixes the labels (for
    ``partial_fit`` and validation data); ``y`` may then hold only some of them.
    """
    if not is_classifier(estimator):
        Y = encode_values(y, dtype)
        return Targets(Y, "identity", Y.shape[0], None, y.ndim)
    try:
        check_classification_targets(y)
        multilabel = type_of_target(y) == "multilabel-indicator"
        if not multilabel and classes is None:
            np.unique(y)  # sorts: fails on labels that cannot be compared
    except TypeError:
        kinds = sorted({type(v).__name__ for v in np.asarray(y, dtype=object).ravel()})
        raise ValueError(
            f"y mixes labels of types {kinds} that cannot be ordered; use labels of one "
            "type, e.g. all strings."
        ) from None
    if multilabel:
        if not getattr(estimator, "_multilabel_allowed", False):
            raise ValueError(
                f"{type(estimator).__name__} does not take multilabel targets; use MLPClassifier."
            )
        Y = np.asarray(y, dtype=dtype).T  # (k, m), a view of the rows
        return Targets(Y, "sigmoid", Y.shape[0], np.arange(y.shape[1]), 2, multilabel=True)
    if y.ndim == 2:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected; using y.ravel().",
            DataConversionWarning,
            stacklevel=5,
        )
        y = y.ravel()
    classes = np.unique(y) if classes is None else np.unique(classes)
    if classes.shape[0] == 1 and getattr(estimator, "_one_class_allowed", False):
        encode_labels(y, dtype, classes)  # refuses labels that are not in classes
        Y = np.zeros((1, y.shape[0]), dtype=dtype)  # scikit-learn's MLP: all "negative"
        return Targets(Y, "sigmoid", 1, classes)
    if classes.shape[0] < 2:
        raise ValueError(
            f"y has only one class ({classes[0]!r}); a classifier needs examples of at "
            "least two classes. Check the labels, or stratify the split."
        )
    Y = encode_labels(y, dtype, classes)
    return Targets(Y, "sigmoid" if classes.shape[0] == 2 else "softmax", Y.shape[0], classes)


def encode_labels(y, dtype, classes) -> np.ndarray:
    """Labels ``y`` (m,) of sorted ``classes`` as 0/1 ``Y``: (1, m) for two, one-hot (k, m)."""
    index = np.searchsorted(classes, y)
    unknown = (index >= classes.shape[0]) | (classes[np.minimum(index, classes.shape[0] - 1)] != y)
    if np.any(unknown):
        raise ValueError(
            f"y holds labels {np.unique(np.asarray(y)[unknown]).tolist()} that are not "
            f"in classes={classes.tolist()}; give every label on the first call."
        )
    if classes.shape[0] == 2:
        return (index == 1).astype(dtype)[np.newaxis, :]  # (1, m)
    one_hot = (index[:, np.newaxis] == np.arange(classes.shape[0])).astype(dtype)  # (m, k)
    return one_hot.T  # (k, m), a view: each example's row stays contiguous


def encode_values(y, dtype) -> np.ndarray:
    """Regression targets ``y`` (m,) or (m, k) as ``Y`` (k, m), a view of the rows."""
    return np.asarray(y).reshape(y.shape[0], -1).astype(dtype).T


def example_weights(X, y, sample_weight, class_weight=None):
    """Return ``(S, total)``: weights (1, m) scaled to mean 1 (None if all equal) and their sum,
    on ``X``'s device. ``S`` multiplies the per-example loss, ``total`` sets the penalty's
    scale."""
    m = X.shape[0]
    if sample_weight is None and class_weight is None:
        return None, float(m)
    dtype = numpy_dtype(X.dtype)
    if sample_weight is not None and not is_numpy_like(sample_weight):
        sample_weight = to_numpy(sample_weight)
    weights = _check_sample_weight(
        sample_weight, np.empty((m, 0)), dtype=dtype, ensure_non_negative=True
    )
    with np.errstate(over="ignore", invalid="ignore"):  # a weight that overflows: below
        if class_weight is not None:
            weights = weights * compute_sample_weight(class_weight, y).astype(dtype)
            if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
                raise ValueError(
                    f"class_weight={class_weight!r} gives example weights that are negative "
                    f"or beyond the largest {np.dtype(dtype).name}; give every class a "
                    "finite weight >= 0 (only their ratios matter: scale them down)"
                )
        total = float(np.sum(weights))
    if not math.isfinite(total):
        raise ValueError(
            f"the example weights (sample_weight, class_weight) sum to {total}, beyond the "
            "largest float; scale them down: only their ratios matter"
        )
    if not total > 0:
        raise ValueError("sample_weight sums to zero: give at least one example a positive weight.")
    if np.all(weights == weights[0]):
        return None, total
    return like((weights * (m / total))[np.newaxis, :], X), total  # (1, m)
