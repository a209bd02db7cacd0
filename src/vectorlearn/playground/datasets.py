"""The playground's data: two-dimensional point sets, a user's CSV, and the input features.

Points are kept as the core keeps examples, one per column: ``P`` is ``(2, m)`` (``x1`` and ``x2``),
``labels`` is ``(m,)`` of 0 and 1. The synthetic sets live on the plane ``[-6, 6]^2``, as in
TensorFlow Playground; a CSV's plane is its own range with a margin.

>>> P, labels = make_points("xor", 10, noise=0.0, rng=np.random.default_rng(0))
>>> P.shape, sorted(set(labels.tolist()))
((2, 10), [0, 1])
>>> input_features(np.array([[1.0], [2.0]]), ("x1", "x1*x2", "x2^2")).ravel().tolist()
[1.0, 2.0, 4.0]
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

DATASETS = ("circles", "xor", "gauss", "spirals", "moons")
SYNTHETIC_EXTENT = (-6.0, 6.0, -6.0, 6.0)  # x1 min, x1 max, x2 min, x2 max
MAX_CSV_POINTS = 5000

# Each input feature as a function of the two coordinates (x1, x2), each (m,).
FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}
# The same features as Python source, for the exported code (``X`` is (m, 2), rows as examples).
FEATURE_SOURCE = {
    "x1": "X[:, 0]",
    "x2": "X[:, 1]",
    "x1^2": "X[:, 0] ** 2",
    "x2^2": "X[:, 1] ** 2",
    "x1*x2": "X[:, 0] * X[:, 1]",
    "sin(x1)": "np.sin(X[:, 0])",
    "sin(x2)": "np.sin(X[:, 1])",
}


def input_features(P, names) -> np.ndarray:
    """The input matrix ``X`` (n_0, m) of the features ``names`` of the points ``P`` (2, m)."""
    x1, x2 = P[0], P[1]
    return np.stack([FEATURES[name](x1, x2) for name in names])  # (n_0, m)


@dataclass(frozen=True)
class PointSet:
    """Points ``P`` (2, m) with ``labels`` (m,) of 0/1, the label names, and the plane to draw."""

    P: np.ndarray
    labels: np.ndarray
    classes: tuple
    extent: tuple[float, float, float, float]


def make_points(name: str, m: int, noise: float, rng: np.random.Generator):
    """``m`` points of the set ``name`` and their labels; ``noise`` in [0, 0.5] of the plane."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")
    half = m // 2
    if name == "circles":  # class 1 inside radius 2.5, class 0 in the ring 3.5 to 5
        r = np.concatenate([rng.uniform(0, 2.5, half), rng.uniform(3.5, 5, m - half)])
        t = rng.uniform(0, 2 * math.pi, m)
        P = np.stack([r * np.sin(t), r * np.cos(t)])
        labels = (np.arange(m) < half).astype(int)
    elif name == "xor":
        P = rng.uniform(-5, 5, (2, m))
        P += np.where(P > 0, 0.3, -0.3)  # a gap along both axes
        labels = (P[0] * P[1] >= 0).astype(int)
    elif name == "gauss":
        centers = np.where(np.arange(m) < half, 2.0, -2.0)
        P = centers + rng.normal(0, 1.0, (2, m))
        labels = (np.arange(m) < half).astype(int)
    elif name == "spirals":
        i = np.concatenate([np.arange(half), np.arange(m - half)]) / max(half, 1)
        delta = np.where(np.arange(m) < half, 0.0, math.pi)
        t = 1.75 * i * 2 * math.pi + delta
        r = 5 * i
        P = np.stack([r * np.sin(t), r * np.cos(t)])
        labels = (np.arange(m) < half).astype(int)
    else:  # moons
        t = rng.uniform(0, math.pi, m)
        upper = np.arange(m) < half
        P = np.where(upper, [np.cos(t), np.sin(t)], [1 - np.cos(t), 0.5 - np.sin(t)])
        P = 3.5 * (P - np.array([[0.5], [0.25]]))
        labels = upper.astype(int)
    P = P + rng.uniform(-6, 6, (2, m)) * noise  # (2, m)
    return P, labels


def synthetic(name: str, m: int, noise: float, rng) -> PointSet:
    P, labels = make_points(name, m, noise, rng)
    return PointSet(P, labels, (0, 1), SYNTHETIC_EXTENT)


def parse_csv(text: str) -> PointSet:
    """Points from CSV text: the first two columns are numbers (``x1``, ``x2``), the last column
    is a label with exactly two values; a first row that is not numeric is a header.

    >>> parse_csv("a,b,y\\n0,1,no\\n2,3,yes\\n").labels.tolist()
    [0, 1]
    """
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error as error:
        raise ValueError(f"this is not a CSV file: {error}") from None
    if rows and not _numbers(rows[0][:2]):
        rows = rows[1:]  # a header
    if not rows:
        raise ValueError("the CSV file has no data rows")
    if any(len(r) < 3 for r in rows):
        raise ValueError(
            "the CSV file needs two numeric columns (x1, x2) and a label column; "
            f"a row has {min(len(r) for r in rows)} column(s)"
        )
    if len(rows) > MAX_CSV_POINTS:
        raise ValueError(f"the CSV file has {len(rows)} rows; the playground takes at most "
                         f"{MAX_CSV_POINTS}")  # fmt: skip
    bad = next((i for i, r in enumerate(rows) if not _numbers(r[:2])), None)
    if bad is not None:
        raise ValueError(
            "the CSV file needs two numeric columns (x1, x2) first; row "
            f"{bad + 1} has {rows[bad][0]!r}, {rows[bad][1]!r}"
        )
    P = np.array([[float(r[0]), float(r[1])] for r in rows]).T  # (2, m)
    names = [r[-1].strip() for r in rows]
    classes = sorted(set(names), key=_label_key)
    if len(classes) != 2:
        raise ValueError(f"the label column (the last) must hold exactly two values, "
                         f"found {len(classes)}")  # fmt: skip
    if not np.all(np.isfinite(P)):
        raise ValueError("the CSV file's x1, x2 columns must be finite numbers")
    labels = np.array([classes.index(n) for n in names])
    return PointSet(P, labels, tuple(_label_value(c) for c in classes), _extent(P))


def _numbers(cells) -> bool:
    try:
        return len(cells) == 2 and all(math.isfinite(float(c)) for c in cells)
    except ValueError:
        return False


def _label_key(name: str):
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


def _label_value(name: str):
    try:
        return int(name)
    except ValueError:
        return name


def _extent(P) -> tuple[float, float, float, float]:
    lo, hi = P.min(axis=1), P.max(axis=1)  # (2,)
    pad = np.maximum((hi - lo) * 0.05, 1e-3)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]),
            float(hi[1] + pad[1]))  # fmt: skip


def split(points: PointSet, test_fraction: float, rng):
    """Shuffle and split the columns: ``(P_train, labels_train, P_test, labels_test)``."""
    m = points.P.shape[1]
    order = rng.permutation(m)
    n_test = min(max(round(m * test_fraction), 1), m - 1)
    test, train = order[:n_test], order[n_test:]
    return points.P[:, train], points.labels[train], points.P[:, test], points.labels[test]


def grid(extent, n: int) -> np.ndarray:
    """``n * n`` points covering the plane, row by row from the top (``x2`` max) down: (2, n*n)."""
    x1 = np.linspace(extent[0], extent[1], n)
    x2 = np.linspace(extent[3], extent[2], n)
    G1, G2 = np.meshgrid(x1, x2)  # (n, n) each, row = one x2
    return np.stack([G1.ravel(), G2.ravel()])  # (2, n*n)
