"""What the lab checks share: the failure they raise, and comparisons that say what is off.

>>> import numpy as np
>>> expect_array("dW[0]", np.array([[1.0], [-2.0]]), np.array([[-1.0], [2.0]]))
Traceback (most recent call last):
    ...
vectorlearn.labs._checking.Mismatch: dW[0] is wrong: relative error 1.0e+00
expected (2, 1) [[ 1.], [-2.]]
got      (2, 1) [[-1.], [ 2.]]
got = -expected: is a minus sign missing or extra?
"""

from __future__ import annotations

import math

import numpy as np

from ..gradcheck import relative_error


class Mismatch(Exception):
    """A student's function returned something wrong; the message says what and how."""


def show(a) -> str:
    """An array's shape and its values, short: ``(2, 3) [[0.1, 0.2, 0.3], [...]]``."""
    a = np.asarray(a)
    text = np.array2string(a, precision=4, threshold=12, edgeitems=2, separator=", ")
    return f"{a.shape} {' '.join(text.split())}"


def as_array(what: str, got) -> np.ndarray:
    """``got`` as a float64 array, or a Mismatch naming what it was instead."""
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mismatch(f"{what} should be a NumPy array, got {type(got).__name__}") from None


def expect_shape(what: str, shape: tuple, got: np.ndarray) -> None:
    """Raise a Mismatch when ``got.shape`` is not ``shape``, with the usual causes as hints."""
    if got.shape == tuple(shape):
        return
    message = f"{what} has shape {got.shape}, expected {tuple(shape)}"
    if got.ndim == 1 and len(shape) == 2 and got.size == math.prod(shape):
        message += (
            f"\na rank-1 array: keep it two-dimensional, {tuple(shape)} (np.zeros of a "
            "shape tuple, .reshape, or keepdims=True in np.sum)"
        )
    elif got.shape == tuple(shape)[::-1]:
        message += "\nthe transpose of the expected shape: is a .T missing or extra?"
    raise Mismatch(message)


def expect_array(what: str, expected, got, tol: float = 1e-7, m: int | None = None) -> None:
    """Raise a Mismatch unless ``got`` has ``expected``'s shape and values (relative error
    ``||got - expected|| / (||got|| + ||expected||)`` at most ``tol``)."""
    expected = np.asarray(expected, dtype=np.float64)
    got = as_array(what, got)
    expect_shape(what, expected.shape, got)
    if not np.all(np.isfinite(got)):
        raise Mismatch(f"{what} has NaN or infinite values\ngot      {show(got)}")
    error = relative_error(expected, got)
    if error <= tol:
        return
    lines = [
        f"{what} is wrong: relative error {error:.1e}",
        f"expected {show(expected)}",
        f"got      {show(got)}",
    ]
    hint = scale_hint(expected, got, m)
    if hint:
        lines.append(hint)
    raise Mismatch("\n".join(lines))


def scale_hint(expected: np.ndarray, got: np.ndarray, m: int | None = None) -> str | None:
    """Name a common slip when ``got`` is ``expected`` times -1, m or 1/m."""
    factors = [(-1.0, "got = -expected: is a minus sign missing or extra?")]
    if m is not None and m > 1:
        factors += [
            (float(m), f"got = m * expected (m = {m}): divide by m"),
            (1.0 / m, f"got = expected / m (m = {m}): divide by m only once"),
        ]
    for factor, hint in factors:
        if relative_error(factor * expected, got) < 1e-7:
            return hint
    return None


def expect_number(what: str, expected: float, got, tol: float = 1e-9) -> float:
    """Raise a Mismatch unless ``got`` is one number within ``tol`` (relative) of ``expected``."""
    if isinstance(got, (bool, str)) or np.ndim(got) != 0:
        shape = f" of shape {np.shape(got)}" if np.ndim(got) else ""
        raise Mismatch(f"{what} should be one number, got {type(got).__name__}{shape}: {show(got)}")
    value = float(got)
    if not abs(value - expected) <= tol * max(1.0, abs(expected)):
        raise Mismatch(f"{what} is wrong: expected {expected!r}, got {value!r}")
    return value
