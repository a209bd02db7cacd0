"""The dense layer, forward and backward: ``K = W^T A_prev + B``.

>>> import numpy as np
>>> A_prev = np.array([[1.0, 2.0], [3.0, 4.0]])  # 2 features, m = 2 examples
>>> W = np.array([[0.5], [-1.0]]); B = np.array([[0.25]])
>>> dense_forward(A_prev, W, B, np)  # [0.5*1 - 1*3 + 0.25, 0.5*2 - 1*4 + 0.25]
array([[-2.25, -2.75]])
>>> dA_prev, dW, dB = dense_backward(np.array([[1.0, 1.0]]), A_prev, W, np)
>>> dW.ravel(), dB.ravel()  # dW = A_prev dK^T (row sums of A_prev); dB = row sum of dK
(array([3., 7.]), array([2.]))

The input layer's ``A_prev = X`` may be a SciPy sparse matrix (CSC, examples as columns): its two
products, ``W^T X`` and ``X dK^T``, then run on the non-zeros only (:func:`weights_times`,
:func:`times_transposed`, each with the portable dense product beside it); no other product
ever touches ``X``.

``out``, where given (NumPy only: :mod:`.workspace`), is a dense array of the result's shape
that the product writes into instead of allocating one; the numbers are the same.

The products are the standard's ``@``: array-api-compat's ``matmul`` first checks and promotes
the dtypes, which costs more than launching a small product on a GPU. So the arrays of one
product share a dtype, as the estimators make them (PyTorch's ``@`` refuses mixed dtypes).
"""

from __future__ import annotations

import numpy as np

from .backend import is_sparse


def weights_times(W, A_prev, xp, out=None):
    """``W^T A_prev`` (n_l, m) for W (n_{l-1}, n_l), A_prev (n_{l-1}, m), dense or sparse.

    >>> import scipy.sparse
    >>> X = np.array([[1.0, 0.0], [0.0, 2.0]]); W = np.array([[3.0], [4.0]])
    >>> weights_times(W, scipy.sparse.csc_array(X), np), weights_times(W, X, np)
    (array([[3., 8.]]), array([[3., 8.]]))
    """
    if is_sparse(A_prev):  # (A_prev^T W)^T: the sparse matrix on the left, its non-zeros only
        return np.asarray(A_prev.T @ W).T  # (n_l, m)
    if out is not None:
        return np.matmul(W.T, A_prev, out=out)  # (n_l, m), NumPy's fast path
    return W.T @ A_prev  # (n_l, m)


def times_transposed(A_prev, dK, xp):
    """``A_prev dK^T`` (n_{l-1}, n_l) for A_prev (n_{l-1}, m), dense or sparse, dK (n_l, m)."""
    if is_sparse(A_prev):
        return np.asarray(A_prev @ dK.T)  # (n_{l-1}, n_l), a sum over the non-zeros
    return A_prev @ dK.T  # (n_{l-1}, n_l)


def dense_forward(A_prev, W, B, xp, out=None):
    """Return ``K = W^T A_prev + B``.

    A_prev (n_{l-1}, m), W (n_{l-1}, n_l), B (n_l, 1)  ->  K (n_l, m).
    """
    K = weights_times(W, A_prev, xp, out)  # (n_l, m), a new array (or out)
    K += B  # in place: one (n_l, m) array less to allocate per layer
    return K


def dense_backward(dK, A_prev, W, xp, need_dA_prev=True, out=None):
    """Chain rule through ``K = W^T A_prev + B``, given ``dK`` (n_l, m).

    Since ``dK/dW = A_prev``, ``dK/dB = 1`` and ``dK/dA_prev = W``:
    ``dW = A_prev dK^T`` (n_{l-1}, n_l), ``dB = sum_columns(dK)`` (n_l, 1) and
    ``dA_prev = W dK`` (n_{l-1}, m), or None when ``need_dA_prev`` is false (the input layer).
    """
    dW = times_transposed(A_prev, dK, xp)  # (n_{l-1}, n_l)
    dB = xp.sum(dK, axis=1, keepdims=True)  # (n_l, 1)
    if not need_dA_prev:
        return None, dW, dB
    if out is not None:
        return np.matmul(W, dK, out=out), dW, dB  # (n_{l-1}, m), NumPy's fast path
    return W @ dK, dW, dB  # (n_{l-1}, m)
