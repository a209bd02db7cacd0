"""NumPy's fast path for large batches: the (n_l, m) arrays of a step, reused from step to step.

Every step of a full batch makes the same arrays: ``K_l`` (then ReLU's ``A_l``, in place)
forward, ``dA_l`` (then ``dK_l``, in place) backward, each ``(n_l, m)``. Made fresh, each of
them is memory that the C library maps from the operating system and that is faulted in and
zeroed page by page on its first write, on every step (about 0.4x the time of the step's
matrix products at 100,000 examples; ``python -m benchmarks.floor``). A :class:`Workspace`
keeps one array per name, layer and shape, and the layers write into it with NumPy's ``out=``: the
same products and the same numbers, into memory that is already there (tested bitwise against
the portable path).

Only :class:`~.training.InMemory` makes one, for dense NumPy data; every other namespace runs
the portable code, which allocates. Nothing outside one step may keep a workspace array: the
next step overwrites it (the network's cache lives for one step, and the forward pass of
prediction and validation takes no workspace).

>>> ws = Workspace()
>>> K = ws.take("K", 1, (2, 3), np.float32)
>>> K is ws.take("K", 1, (2, 3), np.float32), K is ws.take("K", 1, (2, 4), np.float32)
(True, False)
>>> buffer(ws, "K", 1, (2, 3), np.dtype("float32"), np.dtype("float64")) is None  # mixed
True
"""

from __future__ import annotations

import numpy as np


class Workspace:
    """One reused NumPy array per name, layer, shape and dtype (a run's last, smaller mini-batch
    gets arrays of its own, so no epoch remakes any)."""

    def __init__(self):
        self._arrays = {}

    def take(self, name: str, l: int, shape: tuple, dtype) -> np.ndarray:
        """The array for ``name`` of layer ``l``, of ``shape`` and ``dtype``; its values are
        whatever the last step left there."""
        key = (name, l, shape, dtype)
        A = self._arrays.get(key)
        if A is None:
            A = self._arrays[key] = np.empty(shape, dtype)
        return A


def buffer(ws: Workspace | None, name: str, l: int, shape: tuple, dtype, other_dtype):
    """``ws.take(...)`` for a product of arrays of ``dtype`` and ``other_dtype``; None (allocate
    as usual) when there is no workspace, when the two differ (the product's type is then
    NumPy's to choose) or when they are not floats (an integer ``K`` cannot hold ``g(K)``)."""
    if ws is None or dtype != other_dtype or dtype.kind != "f":
        return None
    return ws.take(name, l, shape, dtype)
