"""Shared fixtures: the array namespaces the core is tested on."""

import os

# scikit-learn's check_array_api_input runs only when SciPy's array-API mode is on, and SciPy
# reads this once, at import: set it before anything imports SciPy, so that check runs too.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest

NAMESPACES = ["numpy", "array_api_strict"]


@pytest.fixture(params=NAMESPACES)
def xp(request):
    """An array namespace: NumPy (through array-api-compat) or array-api-strict."""
    if request.param == "numpy":
        import array_api_compat.numpy

        return array_api_compat.numpy
    return pytest.importorskip("array_api_strict", reason="array-api-strict is a test extra")


def as_xp(xp, a, dtype="float64"):
    """NumPy data -> an array of namespace ``xp``."""
    return xp.asarray(np.asarray(a), dtype=getattr(xp, dtype))


def numpy_of(a):
    from vectorlearn.core.backend import to_numpy

    return np.asarray(to_numpy(a))
