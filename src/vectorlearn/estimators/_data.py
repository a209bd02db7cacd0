"""One preparation of the data: NumPy (and lists, pandas), device arrays (PyTorch, CuPy,
array-api-strict) or Dask, checked once with one set of messages, in the core's layout.

Targets are encoded by pure functions (:func:`encode_targets` returns the classes and the shape
of ``y``; it sets nothing): only ``fit`` and ``partial_fit``'s first call store them as fitted
attributes, and validation data never does. Like scikit-learn's ``validate_data``,
:func:`check_inputs` with ``reset=True`` records ``n_features_in_`` (and
``feature_names_in_``), for ``fit`` only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import validate_data

from ..core.backend import (
    SPARSE_ON_CPU_ONLY,
    device,
    gpu_namespace,
    is_dask,
    is_numpy_like,
    is_sparse,
    like,
    move,
    namespace,
    numpy_dtype,
    to_numpy,
)
from ..core.training import InMemory, columns
from ._scale import LARGE_VALUES, aligned, check_scale, largest
from ._targets import (
    Targets,
    encode_device_labels,
    encode_labels,
    encode_targets,
    encode_values,
    example_weights,
    target_scaling_dask,
)

FLOAT_DTYPES = (np.float64, np.float32)
NO_Y = "no_validation"  # scikit-learn's marker for "validate X alone"
NOT_FINITE = "Input X contains NaN or infinity. Impute missing values first, e.g. with {}."


@dataclass(frozen=True)
class TrainingData:
    """What training needs: ``batches`` (core layout: :class:`InMemory`, or Dask blocks), the
    targets, the example weights' sum, ``like`` (an empty array with the data's namespace, dtype
    and device) and ``y`` (m,) as NumPy, or as a classifier's labels on the data's device (None
    on Dask), for a stratified split."""

    batches: object
    targets: Targets
    total_weight: float
    like: object
    y: object  # np.ndarray, a device array of labels, or None

    def split(self, train_idx, val_idx):
        """This data restricted to ``train_idx``, and the validation columns ``val_idx``."""
        xp, b = namespace(self.like), self.batches
        validation = tuple(columns(A, val_idx, xp) for A in (b.X, b.Y, b.S))
        X, Y, S = (columns(A, train_idx, xp) for A in (b.X, b.Y, b.S))
        m, total = b.shape[1], self.total_weight
        if S is not None:
            kept = float(xp.sum(S))
            total, S = total * kept / m, S * (S.shape[1] / kept)  # mean 1 again
        else:
            total *= len(train_idx) / m
        return replace(self, batches=InMemory(X, Y, S), total_weight=total), validation


# ---- X and y ------------------------------------------------------------------------------------
def check_inputs(estimator, X, y=NO_Y, *, reset: bool):
    """``X`` as a finite float array (m, n) (and ``y`` as NumPy, when given), or raise clearly.

    NumPy, lists, pandas and SciPy sparse matrices (CSR or CSC; any other format becomes CSR,
    64-bit indices allowed) go through scikit-learn's ``validate_data``; arrays of another
    namespace (PyTorch, CuPy, array-api-strict) are checked in place and stay on their device.
    When fitting, ``device="cuda"`` or ``"auto"`` moves NumPy input to a GPU.
    """
    fitting = not (isinstance(y, str) and y == NO_Y)
    multi_output = is_regressor(estimator) or getattr(estimator, "_multilabel_allowed", False)
    if not is_numpy_like(X):
        X = _check_device_array(estimator, X, reset=reset, fitting=fitting)
        if not fitting:
            return X
        if labels_beside(estimator, y, X):  # encoded where they are: encode_device_labels
            return X, _check_targets(y, X.shape[0], multi_output=False, keep=True)
        return X, _check_y(estimator, _check_targets(y, X.shape[0], multi_output), X)
    dtype = (_dtype(estimator) if fitting else None) or list(FLOAT_DTYPES)
    sparse = {"accept_sparse": ["csr", "csc"], "accept_large_sparse": True}
    # scikit-learn's finiteness check first sums X: huge values of both signs give inf - inf
    # there, and a RuntimeWarning, before the exact check that follows it
    quiet = np.errstate(over="ignore", invalid="ignore")
    try:
        if not fitting:  # prediction: float64 input predicts in float64
            with quiet:
                return aligned(validate_data(estimator, X, reset=reset, dtype=dtype, **sparse))
        with quiet:
            X, y = validate_data(
                estimator, X, y, reset=reset, dtype=dtype, multi_output=multi_output,
                y_numeric=False, **sparse,
            )  # fmt: skip
    except ValueError as error:
        if "could not convert" in str(error) or "dtype='numeric'" in str(error):
            raise ValueError(
                f"X must be numeric: {error}. Encode text or category columns first, for "
                "example with sklearn.preprocessing.OneHotEncoder in a Pipeline."
            ) from error
        if "too large for dtype" in str(error):
            raise ValueError(
                f"{error} Where X is finite, its values overflow the training precision: "
                "standardize the features, e.g. with sklearn.preprocessing.StandardScaler in a "
                f"Pipeline, or train in float64 (dtype='float64'). ({LARGE_VALUES})"
            ) from None
        raise
    return _to_requested_device(estimator, aligned(X)), _check_y(estimator, y, X)


def _check_2d_numbers(X) -> None:
    """The shape and kind checks that device arrays and Dask arrays share."""
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D array (examples, features), got a {X.ndim}D array instead. "
            "Reshape your data, e.g. X.reshape(-1, 1) for a single feature."
        )
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X has shape {tuple(X.shape)}; it needs at least one example and feature")
    kind = np.dtype(X.dtype) if is_dask(X) else None
    if kind is not None and not (np.issubdtype(kind, np.number) or kind == np.bool_):
        raise TypeError(f"X must hold numbers, not {X.dtype}")


def _check_device_array(estimator, X, *, reset: bool, fitting: bool):
    """The checks scikit-learn would make, done in ``X``'s own namespace and device."""
    xp = namespace(X)
    _check_2d_numbers(X)
    if not xp.isdtype(X.dtype, "real floating"):
        if not xp.isdtype(X.dtype, ("integral", "bool")):
            raise TypeError(f"X must hold numbers, not {X.dtype}")
        X = xp.astype(X, xp.float64)
    wanted = _dtype(estimator) if fitting else None
    if wanted is not None:
        X = xp.astype(X, getattr(xp, np.dtype(wanted).name), copy=False)  # a copy only to cast
    if not bool(xp.all(xp.isfinite(X))):
        raise ValueError(NOT_FINITE.format("sklearn.impute.SimpleImputer in a Pipeline"))
    _check_n_features(estimator, int(X.shape[1]), reset)
    return X


def _check_n_features(estimator, n: int, reset: bool) -> None:
    if reset:
        estimator.n_features_in_ = n
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif n != estimator.n_features_in_:
        raise ValueError(
            f"X has {n} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def labels_beside(estimator, y, X) -> bool:
    """True where ``y`` holds a classifier's labels (m,) in the namespace and on the device of
    ``X``, a device array, and enough of them to encode there (:data:`DEVICE_LABELS_FROM`)."""
    return (
        is_classifier(estimator)
        and not is_numpy_like(y)
        and not is_dask(y)
        and len(y.shape) == 1
        and y.shape[0] >= DEVICE_LABELS_FROM
        and namespace(y) is namespace(X)
        and device(y) == device(X)
    )


# Labels below this count are encoded on the host: sorting them there takes under 4 ms, and the
# device's own calls cost more (JAX's eager unique and indexing took 7 ms a fit on 455 labels)
DEVICE_LABELS_FROM = 1 << 17


def _check_targets(y, m: int, multi_output: bool, keep: bool = False):
    """``y`` as NumPy (or, with ``keep``, as it is), of a shape that fits ``m`` examples."""
    if not keep:
        y = to_numpy(y) if not is_numpy_like(y) else np.asarray(y)
    if y.ndim == 0 or y.ndim > 2 or (y.ndim == 2 and not multi_output):
        raise ValueError(f"y should be a 1d array (or 2d for several outputs), got {y.shape}")
    if y.shape[0] != m:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: [{m}, {y.shape[0]}]"
        )
    return y


def _check_y(estimator, y, X):
    """A regressor's targets: numbers, finite, not so large that their squares overflow.

    With ``standardize_target`` they keep their float dtype (float64 for integers) until they
    are standardized, as ``TransformedTargetRegressor`` does, and may be of any size."""
    if not is_regressor(estimator):
        return y
    standardized = getattr(estimator, "standardize_target", False)
    try:
        y = np.asarray(y, dtype=None if standardized else numpy_dtype(X.dtype))
        y = y if y.dtype in FLOAT_DTYPES else y.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{type(estimator).__name__} needs numeric targets y") from None
    if not np.all(np.isfinite(y)):
        raise ValueError(
            "y holds NaN or infinity (or values too large for the training dtype, "
            f"{numpy_dtype(y.dtype).__name__}); drop or impute those rows"
        )
    if standardized:
        _check_fits(y, numpy_dtype(X.dtype))
        return y
    fix = (
        "scale the targets, e.g. with sklearn.compose.TransformedTargetRegressor and a "
        "StandardScaler (the squared error squares them)"
    )
    check_scale(y, estimator, "y", fix)
    return y


def _check_fits(y, dtype) -> None:
    """Standardized targets of any size train, but the predictions are scaled back in the
    training dtype: refuse a ``y`` whose values overflow it (float32 beyond about 3.4e38)."""
    limit = float(np.finfo(dtype).max)
    big = largest(y) if y.size else 0.0
    if big > limit:
        raise ValueError(
            f"y holds values as large as {big:.3g}, too large for the training dtype, "
            f"{np.dtype(dtype).name} (beyond {limit:.2g}), in which the predictions are scaled "
            'back; train in float64 (dtype="float64") or scale the targets down'
        )


def _to_requested_device(estimator, X):
    choice = getattr(estimator, "device", "cpu")
    if choice == "cpu" or (choice == "auto" and is_sparse(X)):
        return X
    if is_sparse(X):
        raise ValueError(f"device={choice!r}: {SPARSE_ON_CPU_ONLY}")
    gpu = gpu_namespace()
    if gpu is None:
        if choice == "cuda":
            raise ValueError(
                "device='cuda' needs a GPU with PyTorch (CUDA build) or CuPy installed, and "
                "none was found; use device='cpu' or 'auto'."
            )
        return X
    xp, dev = gpu
    return move(X, xp, dev)


def _dtype(estimator):
    dtype = getattr(estimator, "dtype", None)
    return None if dtype is None else np.dtype(dtype).type


# ---- the one preparation ------------------------------------------------------------------------
def prepare(
    estimator, X, y, sample_weight=None, class_weight=None, *, reset=True, classes=None,
    scaling=None,
):  # fmt: skip
    """Check ``X``, ``y`` once, encode the targets and weights: a :class:`TrainingData`.

    ``classes`` and ``scaling`` (a regressor's target standardization) are those of an earlier
    ``partial_fit`` call, or None to take them from ``y``."""
    if is_dask(X):
        return _prepare_dask(estimator, X, y, sample_weight, class_weight, reset)
    X, y = check_inputs(estimator, X, y, reset=reset)  # X: (m, n); y: NumPy, or labels (m,)
    check_scale(X, estimator)
    dtype = numpy_dtype(X.dtype)
    if isinstance(y, np.ndarray):
        targets = encode_targets(estimator, y, dtype, classes, scaling)
        Y = like(targets.Y, X)  # (n_L, m), on X's namespace, dtype and device
    else:  # a classifier's labels on X's device (labels_beside)
        targets = encode_device_labels(estimator, y, dtype, classes)
        Y = targets.Y  # (n_L, m), made there
        y = to_numpy(y) if class_weight is not None else y  # (m,) for the class weights
    S, total = example_weights(X, y, sample_weight, class_weight)
    template = np.empty((0, X.shape[1]), X.dtype) if is_sparse(X) else X[:0, :]
    return TrainingData(InMemory(X.T, Y, S), targets, total, template, y)  # sparse X.T: CSC


def validation_columns(estimator, validation_data, data: TrainingData):
    """``(X_val, y_val)`` -> ``(X_val.T, Y_val)``, encoded with the training data's classes and
    placed like them; None when there are none. Sets nothing on ``estimator``."""
    if validation_data is None:
        return None
    try:
        X_val, y_val = validation_data
    except (TypeError, ValueError):
        raise ValueError("validation_data must be a pair (X_val, y_val)") from None
    template = data.like
    X_val = check_inputs(estimator, X_val, reset=False)
    check_scale(X_val, estimator, "validation_data's X", dtype=numpy_dtype(template.dtype))
    X_val = move(X_val, namespace(template), device(template), template.dtype)
    y_val = to_numpy(y_val) if not is_numpy_like(y_val) else np.asarray(y_val)
    if X_val.shape[0] != y_val.shape[0]:
        raise ValueError(
            f"validation_data holds {X_val.shape[0]} examples but {y_val.shape[0]} targets"
        )
    dtype = numpy_dtype(template.dtype)
    Y_val = encode_targets(estimator, y_val, dtype, data.targets.classes, data.targets.scaling).Y
    if Y_val.shape[0] != data.targets.n_outputs:
        raise ValueError(
            f"validation_data's y has {Y_val.shape[0]} outputs, the training y "
            f"{data.targets.n_outputs}"
        )
    return X_val.T, like(Y_val, template)


def _prepare_dask(estimator, X, y, sample_weight, class_weight, reset):
    """Check a Dask ``X`` (rows of examples) and ``y`` on the cluster, and persist their blocks,
    encoded as in memory, on the workers (see :class:`vectorlearn.distributed.DaskBlocks`)."""
    import dask
    import dask.array as da

    from ..distributed import DaskBlocks, rows_like

    if is_sparse(getattr(X, "_meta", None)):
        raise TypeError(f"a Dask array of sparse blocks: {SPARSE_ON_CPU_ONLY}")
    _check_2d_numbers(X)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})  # blocks of whole rows
    if any(math.isnan(c) for c in X.chunks[0]):
        raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() first")
    dtype = _dtype(estimator) or (np.float32 if X.dtype == np.float32 else np.float64)
    X, y = X.astype(dtype), rows_like(y, X, "y")
    classifier = is_classifier(estimator)
    finite, labels = dask.compute(da.isfinite(X).all(), da.unique(y) if classifier else None)
    if not finite:
        raise ValueError(NOT_FINITE.format("dask_ml.impute.SimpleImputer"))
    _check_n_features(estimator, int(X.shape[1]), reset)
    if classifier:  # the classes and the head, from the labels alone
        found = encode_targets(estimator, np.asarray(labels), dtype)
        encode = partial(encode_labels, dtype=dtype, classes=found.classes)
        n_out = 1 if found.head == "sigmoid" else found.classes.shape[0]
        targets = Targets(None, found.head, n_out, found.classes, y.ndim)
    else:  # standardize_target: the statistics of the whole of y, on the cluster
        scaling = target_scaling_dask(y) if getattr(estimator, "standardize_target", 0) else None
        if scaling is not None and dtype != np.float64:  # scaled back in dtype: must fit it
            _check_fits(np.asarray([abs(y).max().compute()]), dtype)
        encode = partial(encode_values, dtype=dtype, scaling=scaling)
        n_out = 1 if y.ndim == 1 else int(y.shape[1])
        targets = Targets(None, "identity", n_out, None, y.ndim, scaling=scaling)
    factors = _class_factors(class_weight, targets.classes, y)
    blocks, total = DaskBlocks.build(
        X, y, sample_weight, dtype, encode, n_out, targets.classes, factors
    )
    return TrainingData(blocks, targets, total, np.empty((0, X.shape[1]), dtype), None)


def _class_factors(class_weight, classes, y):
    """One weight per class, in the order of ``classes``, or None."""
    if class_weight is None or classes is None:
        return None
    if class_weight == "balanced":
        import dask.array as da

        labels, counts = da.unique(y, return_counts=True)
        labels, counts = labels.compute(), counts.compute()
        counts = counts[np.searchsorted(labels, classes)]
        return counts.sum() / (len(classes) * counts.astype(np.float64))
    return np.array([float(class_weight.get(c, 1.0)) for c in classes])
