"""Array namespaces: the one place that knows about concrete array libraries.

The core asks :func:`namespace` for ``xp`` and then uses only the array API standard.
"""

from __future__ import annotations

import array_api_compat
import numpy as np


def namespace(*arrays):
    """Return the array API namespace shared by ``arrays`` (NumPy gives its compat wrapper)."""
    return array_api_compat.array_namespace(*arrays)


def device(x):
    """Return the device that array ``x`` lives on."""
    return array_api_compat.device(x)


def like(a, x):
    """Return NumPy array ``a`` as an array of ``x``'s namespace, dtype and device."""
    xp = namespace(x)
    return xp.asarray(np.asarray(a), dtype=x.dtype, device=device(x))


def to_numpy(x) -> np.ndarray:
    """Return ``x`` (an array of any supported namespace, on any device) as a NumPy array."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    return np.from_dlpack(x)
