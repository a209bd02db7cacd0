"""How an epoch's examples are ordered, split into mini-batches and gathered (examples are
columns): the eager loop (:mod:`.training`) and the compiled one (:mod:`.compiled`) share it."""

from __future__ import annotations

import threading

import numpy as np

from .backend import device, is_sparse, namespace, take_rows


def minibatches(
    m: int, batch_size: int | None, rng: np.random.Generator, shuffle: bool, like=None, ahead=None
):
    """Split ``range(m)`` into index arrays of at most ``batch_size`` (None: one full batch).

    A full batch is returned as None (use every column as is: its gradient is a sum, so the
    order does not matter and no copy is needed). With ``like``, an array on a device (a GPU
    tensor), the indices go there in one copy per epoch: a copy per batch, from pageable host
    memory, waits for the GPU, so the next batch's launches could not overlap this one's work.
    ``ahead``: see :func:`batch_order`.
    """
    order = batch_order(m, batch_size, rng, shuffle, ahead)  # (m,)
    if order is None:
        return [None]
    if like is not None and not (is_sparse(like) or isinstance(like, np.ndarray)):
        order = namespace(like).asarray(order, device=device(like))  # (m,) on like's device
    return [order[i : min(i + batch_size, m)] for i in range(0, m, batch_size)]


def batch_order(
    m: int, batch_size: int | None, rng: np.random.Generator, shuffle: bool, ahead=None
):
    """The order of the ``m`` examples in an epoch, (m,): one permutation drawn by the NumPy
    generator (so the same on every backend), or ``0 .. m-1`` without ``shuffle``; None for
    one full batch (``batch_size`` None or at least ``m``: no order, no copy). ``ahead``, an
    :class:`Ahead` kept across the epochs of one fit, draws the next epoch's permutation while
    this one trains: the same orders."""
    if batch_size is None or batch_size >= m:
        return None
    if not shuffle:
        return np.arange(m)
    return rng.permutation(m) if ahead is None else ahead.permutation(m, rng)


def ahead_for(data, max_epochs: int):
    """``data.ahead`` (an :class:`Ahead`) for a fit of several epochs; None for a fit of one
    (``partial_fit``, a Dask block's task), which would never use an order drawn ahead."""
    return data.ahead if max_epochs > 1 else None


class Ahead:
    """``rng.permutation(m)``, drawn for the next epoch on a thread while this epoch trains.

    A permutation of a million examples takes 13-25 ms, an eighth of an epoch or more on a
    GPU, where the CPU that launches the kernels is the bottleneck; NumPy's generator lets go
    of the GIL while it shuffles, so another core can draw it meanwhile. The thread draws from
    a copy of the generator, and its permutation is used only if the generator is still where
    the copy started (nothing else drew from it since: dropout masks do); the generator then
    moves on to where the copy ended. So every order, and every later draw, is the one drawn in
    turn. Below ``min_m`` examples (a permutation under about 2 ms) it draws in turn, with no
    thread. A fit of one epoch passes none (:func:`ahead_for`); the last epoch of a longer fit
    draws one order that is never used, on the spare core. A copy
    (``copy.deepcopy``, pickle) starts with nothing drawn.
    """

    def __init__(self, min_m: int = 1 << 17):
        self.min_m = min_m
        self._thread: threading.Thread | None = None
        self._drawn = None  # (m, generator state before, permutation (m,), state after)

    def __getstate__(self):  # no thread, no half-drawn order: a copy draws its own
        return {"min_m": self.min_m, "_thread": None, "_drawn": None}

    def permutation(self, m: int, rng: np.random.Generator) -> np.ndarray:
        """``rng.permutation(m)`` (m,), with ``rng`` left as that draw leaves it."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            drawn, self._drawn = self._drawn, None  # None if the thread failed (memory)
            if drawn is not None and drawn[0] == m and _same(drawn[1], rng.bit_generator.state):
                _, _, order, after = drawn
                rng.bit_generator.state = after
                self._draw_next(m, rng)
                return order
        order = rng.permutation(m)  # (m,)
        self._draw_next(m, rng)
        return order

    def _draw_next(self, m: int, rng: np.random.Generator) -> None:
        if m < self.min_m:
            return
        before = rng.bit_generator.state
        copy = np.random.Generator(type(rng.bit_generator)())
        copy.bit_generator.state = before

        def draw():
            self._drawn = (m, before, copy.permutation(m), copy.bit_generator.state)

        self._thread = threading.Thread(target=draw, name="vectorlearn-next-order", daemon=True)
        self._thread.start()


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
    if isinstance(idx, np.ndarray) and not isinstance(A, np.ndarray):
        idx = xp.asarray(idx, device=device(A))  # (len(idx),), where A is (minibatches' are)
    return take_rows(A.T, idx, xp).T  # (n, len(idx))


def _same(a, b) -> bool:
    """Equal generator states (dicts of numbers, strings and, for some generators, arrays)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b
