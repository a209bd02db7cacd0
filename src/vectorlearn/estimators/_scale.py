"""The numbers of the data, checked before training: values too large to train on, refused with
the fix (:func:`check_scale`), and memory that NumPy's products would run slowly on
(:func:`aligned`)."""

from __future__ import annotations

import math

import numpy as np

from ..core.backend import is_sparse, namespace, numpy_dtype

LARGE_VALUES = (  # scikit-learn's sentence for X too large to train on (its tests look for it)
    "Solver produced non-finite parameter weights. The input data may contain large values and "
    "need to be preprocessed."
)


def aligned(X: np.ndarray) -> np.ndarray:
    """``X``, copied if its memory is not aligned for its dtype (arrays rebuilt from a byte
    stream, as Dask's are, can start at any byte): NumPy's matrix product skips BLAS for
    unaligned arrays and runs about 20 times slower. A sparse matrix is returned as it is."""
    return X if is_sparse(X) or X.flags.aligned else np.require(X, requirements=["A"])


def largest(A) -> float:
    """``max |A|`` as a Python float, without an ``abs(A)`` copy of the data (of a sparse
    matrix: of its stored values, or 0)."""
    if is_sparse(A):
        A = A.data if A.nnz else np.zeros(1, A.dtype)
    xp = namespace(A)
    return max(float(xp.max(A)), -float(xp.min(A)))


def check_scale(A, estimator, what="X", fix=None, dtype=None) -> None:
    """Refuse training data whose values are too large for the training precision (``dtype``,
    by default ``A``'s).

    Gradients grow with the features, and every solver squares them (Adam's second moment, the
    curvature estimates of L-BFGS, Barzilai-Borwein and the automatic learning rate): beyond the
    square root of the dtype's largest number, about 1.3e154 in float64 and 1.8e19 in float32,
    those squares overflow and training ends in infinities. ``fix`` replaces the advice to
    standardize the features.
    """
    dtype = numpy_dtype(A.dtype) if dtype is None else dtype
    limit = math.sqrt(float(np.finfo(dtype).max))
    big = largest(A)
    if big <= limit:
        return
    if fix is None:
        fix = (
            "standardize the features, e.g. with sklearn.preprocessing.StandardScaler in a Pipeline"
        )
    if (
        dtype is np.float32
        and hasattr(estimator, "dtype")
        and big <= math.sqrt(np.finfo(np.float64).max)
    ):
        fix += ", or train in float64 (dtype='float64')"
    raise ValueError(
        f"{what} holds values as large as {big:.3g}, too large to train on in {dtype.__name__}: "
        f"beyond {limit:.2g}, the square root of its largest number, the gradients' squares "
        f"overflow; {fix}" + (f". ({LARGE_VALUES})" if what == "X" else "")
    )
