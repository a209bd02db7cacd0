"""How an epoch's examples are ordered, split into mini-batches and gathered (examples are
columns): the eager loop (:mod:`.training`) and the compiled one (:mod:`.compiled`) share it."""

from __future__ import annotations

import numpy as np

from .backend import device, is_sparse, namespace


def minibatches(m: int, batch_size: int | None, rng: np.random.Generator, shuffle: bool, like=None):
    """Split ``range(m)`` into index arrays of at most ``batch_size`` (None: one full batch).

    A full batch is returned as None (use every column as is: its gradient is a sum, so the
    order does not matter and no copy is needed). With ``like``, an array on a device (a GPU
    tensor), the indices go there in one copy per epoch: a copy per batch, from pageable host
    memory, waits for the GPU, so the next batch's launches could not overlap this one's work.
    """
    order = batch_order(m, batch_size, rng, shuffle)  # (m,)
    if order is None:
        return [None]
    if like is not None and not (is_sparse(like) or isinstance(like, np.ndarray)):
        order = namespace(like).asarray(order, device=device(like))  # (m,) on like's device
    return [order[i : min(i + batch_size, m)] for i in range(0, m, batch_size)]


def batch_order(m: int, batch_size: int | None, rng: np.random.Generator, shuffle: bool):
    """The order of the ``m`` examples in an epoch, (m,): one permutation drawn by the NumPy
    generator (so the same on every backend), or ``0 .. m-1`` without ``shuffle``; None for
    one full batch (``batch_size`` None or at least ``m``: no order, no copy)."""
    if batch_size is None or batch_size >= m:
        return None
    return rng.permutation(m) if shuffle else np.arange(m)


def columns(A, idx, xp):
    """``A[:, idx]`` for an (n, m) array, or ``A`` itself when ``idx`` is None.

    The estimators hand the core ``X.T`` of a row-major ``X``: examples are columns, but each
    example's features are contiguous in memory. So the batch is gathered as rows of ``A.T``
    (a cheap gather of contiguous rows) and transposed back, a view.
    """
    if A is None or idx is None:
        return A
    if is_sparse(A):  # a CSC matrix (scikit-learn's CSR rows, transposed): slice its columns
        return A[:, idx]  # (n, len(idx)), CSC
    return xp.take(A.T, xp.asarray(idx, device=device(A)), axis=0).T  # (n, len(idx))
