"""Targets and example weights, encoded by pure functions: they return what ``fit`` stores
(the classes, the shape of ``y``, a regressor's target standardization) and set nothing, so
validation data cannot change a model."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight

from ..core.backend import (
    device,
    from_numpy,
    is_dask,
    is_numpy_like,
    like,
    namespace,
    numpy_dtype,
    to_numpy,
)


@dataclass(frozen=True)
class Targets:
    """Encoded targets: ``Y`` (n_L, m) on the host (None on Dask, where each block holds its
    own), the output head, ``n_L``, the classes (None for a regressor), ``y``'s ndim, whether
    they are multilabel, and a regressor's ``scaling``: ``(mean, scale)``, each float64 (n_L,),
    when ``Y`` holds the standardized targets (``standardize_target=True``), else None."""

    Y: np.ndarray | None
    head: str
    n_outputs: int
    classes: np.ndarray | None = None
    y_ndim: int = 1
    multilabel: bool = False
    scaling: tuple | None = None


def encode_targets(estimator, y, dtype, classes=None, scaling=None) -> Targets:
    """``y`` (m,) or (m, k) as ``Y`` (n_L, m) for ``estimator``'s kind; sets nothing.

    Regressors: identity head, one row per target, standardized by ``scaling`` (the statistics
    of the first ``partial_fit`` call, or of the training ``y`` for validation data) or, when
    it is None and ``standardize_target`` is on, by ``y``'s own (:func:`target_scaling`).
    Classifiers: two classes give one sigmoid
    output, more give softmax over one output per class, and a multilabel indicator matrix
    (m, k) gives k independent sigmoid outputs. ``classes``, if given, fixes the labels (for
    ``partial_fit`` and validation data); ``y`` may then hold only some of them.
    """
    if not is_classifier(estimator):
        if scaling is None and getattr(estimator, "standardize_target", False):
            scaling = target_scaling(y)
        Y = encode_values(y, dtype, scaling)
        return Targets(Y, "identity", Y.shape[0], None, y.ndim, scaling=scaling)
    if np.asarray(y).dtype.kind == "f" and not np.all(np.isfinite(y)):  # before the cast below
        raise ValueError(
            "Input y contains NaN or infinity: a classifier needs a label for every example; "
            "drop those rows or fill in their labels."
        )
    found = None  # y's distinct labels (k,), sorted
    try:
        if isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "biu":
            # integer labels in one column are classes, whatever their values: scikit-learn's
            # check would only say so, at 0.2-0.5 ms a call (a fifth of a small fit's own cost)
            found = np.unique(y)
            warn_if_many_classes(found.shape[0], y.shape[0])
        else:
            check_classification_targets(y)  # type_of_target casts float labels to int
        # an indicator matrix has two columns or more: a 1-D y needs no second type_of_target
        multilabel = y.ndim == 2 and y.shape[1] > 1 and type_of_target(y) == "multilabel-indicator"
        if not multilabel and classes is None and found is None:
            found = np.unique(y)  # sorts: fails on labels that cannot be compared
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
    classes = found if classes is None else np.unique(classes)
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


def encode_device_labels(estimator, y, dtype, classes=None) -> Targets:
    """A classifier's labels ``y`` (m,) on a device (a GPU tensor), encoded where they are.

    Only the distinct labels come to the host, where :func:`encode_targets` makes every check
    and finds the classes; ``Y`` (n_L, m) is made on ``y``'s device, the numbers that
    ``encode_targets`` gives for ``y`` brought to the host (sorting a million labels there
    took about 30 ms, a quarter of an epoch at batch 16384 on an H200).
    """
    xp, dev, m = namespace(y), device(y), y.shape[0]
    found = np.sort(to_numpy(xp.unique_values(y)))  # (k,) the distinct labels, in y's dtype
    with warnings.catch_warnings():  # scikit-learn would count k examples, not m: below
        warnings.filterwarnings("ignore", MANY_CLASSES, UserWarning)
        targets = encode_targets(estimator, found, dtype, classes)  # the checks, on k labels
    warn_if_many_classes(found.shape[0], m)
    n_classes, dt = targets.classes.shape[0], getattr(xp, np.dtype(dtype).name)
    # compared with the labels as they are in y (classes may be of another dtype)
    hits = xp.asarray(found, device=dev)  # (k,)
    column = np.searchsorted(targets.classes, found)  # (k,) each label's class
    if n_classes == 1:  # one class, where allowed: all "negative", as encode_targets
        return replace(targets, Y=xp.zeros((1, m), dtype=dt, device=dev))
    if n_classes == 2:
        if column[-1] != 1:  # y holds class 0 only (partial_fit)
            return replace(targets, Y=xp.zeros((1, m), dtype=dt, device=dev))
        return replace(targets, Y=xp.astype(y == hits[-1], dt)[None, :])  # (1, m)
    E = xp.astype(y[:, None] == hits[None, :], dt)  # (m, k): one 1 in each row
    if found.shape[0] < n_classes:  # some classes absent (partial_fit): their columns are 0
        P = np.zeros((found.shape[0], n_classes))
        P[np.arange(found.shape[0]), column] = 1.0
        E = E @ from_numpy(P, xp, dt, dev)  # (m, n_classes), exact: one 1 times one 1
    return replace(targets, Y=E.T)  # (n_classes, m), a view of (m, n_classes) rows


MANY_CLASSES = "The number of unique classes is greater than 50% of the number of samples"
_MANY_CLASSES_END = ". `y` could represent a regression problem, not a classification problem."


def warn_if_many_classes(k: int, m: int) -> None:
    """scikit-learn's warning (``check_classification_targets``) for ``k`` distinct labels among
    ``m`` examples, more than two and more than half of them (from 21 examples on)."""
    if k > 2 and m > 20 and k > round(0.5 * m):
        # at the caller's fit: here < encode_targets (or encode_device_labels) < prepare (or
        # validation_columns) < fit_network < fit
        warnings.warn(MANY_CLASSES + _MANY_CLASSES_END, UserWarning, stacklevel=6)


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


def encode_values(y, dtype, scaling=None) -> np.ndarray:
    """Regression targets ``y`` (m,) or (m, k) as ``Y`` (k, m), a view of the rows;
    standardized first when ``scaling`` is given (see :func:`standardize`)."""
    y = np.asarray(y) if scaling is None else standardize(y, scaling)
    return y.reshape(y.shape[0], -1).astype(dtype).T


# ---- a regressor's target standardization (TransformedTargetRegressor + StandardScaler) --------
def target_scaling(y) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, scale)`` of each column of ``y`` (m,) or (m, k), float64 (k,): scikit-learn's
    ``StandardScaler`` fitted on them (population standard deviation; a constant column gets
    scale 1), so that a model equals ``TransformedTargetRegressor(transformer=StandardScaler())``.
    Example weights do not enter, as there."""
    from sklearn.preprocessing import StandardScaler

    with np.errstate(over="ignore", invalid="ignore"):
        scaler = StandardScaler().fit(np.reshape(y, (y.shape[0], -1)))
    return _checked(scaler.mean_, scaler.scale_)


def target_scaling_dask(y) -> tuple[np.ndarray, np.ndarray]:
    """:func:`target_scaling` of a Dask ``y``, over all its blocks, on the cluster (one pass);
    near-constant columns are found by ``StandardScaler``'s rule."""
    import dask

    Y = (y[:, np.newaxis] if y.ndim == 1 else y).astype(np.float64)  # (m, k)
    mean, var = dask.compute(Y.mean(axis=0), Y.var(axis=0))
    m, eps = y.shape[0], np.finfo(np.float64).eps
    constant = var <= m * eps * var + (m * mean * eps) ** 2  # within the rounding of var
    return _checked(mean, np.where(constant, 1.0, np.sqrt(var)))


def _checked(mean, scale):
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
        raise ValueError(
            "standardize_target=True: y's mean or standard deviation overflows float64; "
            "scale the targets down first"
        )
    return np.asarray(mean, dtype=np.float64), np.asarray(scale, dtype=np.float64)


def standardize(y, scaling) -> np.ndarray:
    """``(y - mean) / scale``, (m, k), computed as ``StandardScaler.transform`` does: in ``y``'s
    float dtype (float64 for integers), the statistics cast to it."""
    mean, scale = scaling
    y = np.asarray(y)
    dtype = y.dtype if y.dtype.kind == "f" else np.float64
    Y = y.reshape(y.shape[0], -1).astype(dtype)  # (m, k)
    return (Y - mean.astype(dtype)) / scale.astype(dtype)  # (m, k)


def destandardize(H, scaling):
    """Predictions ``H`` (m, k) of any namespace back in the target's units, ``H * scale +
    mean`` with both cast to ``H``'s dtype (as ``StandardScaler.inverse_transform``); ``H`` if
    ``scaling`` is None. Predictions beyond that dtype's range (float32 input to a model of
    targets beyond 3.4e38, trained in float64) raise a ValueError."""
    if scaling is None:
        return H
    mean, scale = scaling
    if is_dask(H):
        return H * scale.astype(H.dtype) + mean.astype(H.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        Y = H * like(scale, H) + like(mean, H)  # (m, k)
    xp = namespace(Y)
    if not bool(xp.all(xp.isfinite(Y))):
        raise ValueError(
            f"the predictions in the targets' units (target_mean_ up to {np.abs(mean).max():.3g},"
            f" target_scale_ up to {scale.max():.3g}) are beyond the largest "
            f"{numpy_dtype(Y.dtype).__name__}; predict on float64 X"
        )
    return Y


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
