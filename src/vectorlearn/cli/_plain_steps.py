"""The preprocessing of a command-line model as its file stores it, applied with NumPy alone.

``vectorlearn train`` fits the preprocessing that ``_preprocessor.make_preprocessor`` builds, and
``persist.save`` stores each of its steps as tagged JSON (``_sklearn_state``): a Pipeline holding
a ColumnTransformer with a numeric part (``SimpleImputer(strategy="median")``, then
``StandardScaler``) and a categorical part (``SimpleImputer(strategy="most_frequent")``, then
``OneHotEncoder(handle_unknown="ignore")``). :func:`preprocessing` reads exactly that layout:
every step must be one of ``STEPS`` with the parameters the command line sets, and the fitted
attributes that scikit-learn computes with (which columns each part takes, the dtype each gap
is filled in, how wide each encoded column is) must agree with those read here. Anything else
raises :class:`Declined`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._sklearn_state import TARGET_TRANSFORM, decode


class Declined(Exception):
    """The file or the data are not what the plain model handles; ``persist.load`` takes over."""


# ---- the stored layout, as ``persist.save`` encodes it -----------------------------------------
PIPELINE, COLUMNS = "sklearn.pipeline.Pipeline", "sklearn.compose.ColumnTransformer"
IMPUTER, SCALER = "sklearn.impute.SimpleImputer", "sklearn.preprocessing.StandardScaler"
ENCODER = "sklearn.preprocessing.OneHotEncoder"
# Each step's parameters, as the command line sets them (any other value is declined), and the
# other attributes it may hold: fitted values, and the steps inside it (under STEP_KEYS).
STEPS = {
    PIPELINE: ({"transform_input": None, "memory": None, "verbose": False}, {"steps"}),
    COLUMNS: (
        {"remainder": "drop", "sparse_threshold": 0.3, "n_jobs": None, "transformer_weights": None}
        | {"verbose": False, "verbose_feature_names_out": True},
        {"transformers", "transformers_", "feature_names_in_", "n_features_in_", "_columns"}
        | {"_transformer_to_input_indices", "_remainder", "sparse_output_", "output_indices_"},
    ),
    IMPUTER: (
        {"missing_values": math.nan, "add_indicator": False, "keep_empty_features": False}
        | {"fill_value": None, "copy": True},
        {"strategy", "feature_names_in_", "n_features_in_", "_fit_dtype", "_fill_dtype"}
        | {"indicator_", "statistics_"},
    ),
    SCALER: (
        {"with_mean": True, "with_std": True, "copy": True},
        {"n_features_in_", "n_samples_seen_", "mean_", "var_", "scale_"},
    ),
    ENCODER: (
        {"categories": "auto", "sparse_output": False, "dtype": {"type": "float64"}}
        | {"handle_unknown": "ignore", "drop": None, "min_frequency": None, "max_categories": None}
        | {"feature_name_combiner": "concat"},
        {"n_features_in_", "categories_", "_drop_idx_after_grouping", "_n_features_outs"}
        | {"_infrequent_enabled", "drop_idx_"},
    ),
    TARGET_TRANSFORM: (
        {"func": None, "inverse_func": None, "check_inverse": True, "_training_dim": 1},
        {"transformer", "transformer_"},
    ),
}
NO_DROP = ("drop_idx_", "_drop_idx_after_grouping")  # fitted, None where no category is dropped
STEP_KEYS = {"steps", "transformers", "transformers_", "transformer", "transformer_"}


def _state(node, name: str) -> dict:
    """The attributes of a stored step of class ``name``, with the parameters in ``STEPS``."""
    if not (isinstance(node, dict) and list(node) == ["estimator", "state"]):  # decode's order
        raise Declined(name)
    state = node["state"]
    if node["estimator"] != name or name not in STEPS or not isinstance(state, dict):
        raise Declined(name)
    params, others = STEPS[name]
    if not params.keys() <= state.keys() <= params.keys() | others:
        raise Declined(f"{name} attributes")
    if any(json.dumps(state.get(key)) != json.dumps(value) for key, value in params.items()):
        raise Declined(f"{name} parameters")  # (JSON text compares NaN with NaN)
    return state


def check_steps(node, arrays=None, path="") -> None:
    """Every step stored in ``node`` (a Pipeline or a target transform, with the steps inside
    them, those not fitted too) is one of ``STEPS`` as the command line sets it, and only
    ``STEP_KEYS`` hold steps: the layout :func:`preprocessing` takes, and nothing else. Given
    the ``arrays``, every other value is also decoded as ``persist.load`` decodes it (and
    refuses a malformed one), though prediction reads few of them: the steps' own lists and
    tuples too."""
    state = _state(node, node.get("estimator") if isinstance(node, dict) else None)
    if node["estimator"] == IMPUTER and state.get("strategy") not in ("median", "most_frequent"):
        raise Declined("imputer strategy")
    for key, value in state.items():
        found, stack = [], [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict) and "estimator" in item:
                found.append(item)
            elif isinstance(item, (dict, list)):
                stack.extend(item.values() if isinstance(item, dict) else item)
        if found and key not in STEP_KEYS:
            raise Declined(f"a step in {key}")
        if arrays is not None:  # ValueError for what the loader refuses
            decode(_without_steps(value) if found else value, arrays, path)
        for step in found:
            check_steps(step, arrays, path)


def _without_steps(value):
    """``value`` with each step in it replaced by None (checked on its own)."""
    if isinstance(value, dict):
        return None if "estimator" in value else {k: _without_steps(v) for k, v in value.items()}
    return [_without_steps(v) for v in value] if isinstance(value, list) else value


def _items(node, tag: str = "list") -> list:
    if not (isinstance(node, dict) and list(node) == [tag] and isinstance(node[tag], list)):
        raise Declined(tag)
    return node[tag]


def _steps(node) -> list[tuple]:
    """The ``(name, step)`` pairs of a stored Pipeline."""
    state = _state(node, PIPELINE)
    return [tuple(_items(step, "tuple")) for step in _items(state.get("steps"))]


def floats(node, arrays, n: int) -> np.ndarray:
    """A stored float64 vector of ``n`` finite numbers."""
    a = arrays[node["array"]] if isinstance(node, dict) and node.keys() == {"array"} else None
    if a is None or a.dtype != np.float64 or a.shape != (n,) or not np.isfinite(a).all():
        raise Declined("floats")
    return a


def _texts(node, arrays) -> list[str]:
    """A stored array of text (an object array of ``str`` in scikit-learn's attributes)."""
    if not (isinstance(node, dict) and list(node) == ["array", "object"] and node["object"]):
        raise Declined("texts")
    a = arrays[node["array"]]
    if a.dtype.kind != "U" or a.ndim != 1:
        raise Declined("texts")
    texts = a.tolist()
    try:
        "".join(texts).encode("utf-8")  # pandas cannot look up text that UTF-8 cannot encode
    except UnicodeEncodeError:
        raise Declined("texts") from None
    return texts


def _imputer(node, strategy: str, dtype: str, columns: list[str], arrays) -> dict:
    """A fitted SimpleImputer of ``strategy``, fitted on the named ``columns`` (the
    ColumnTransformer passes it a DataFrame) of ``dtype``, which it fills in (its fill value is
    its statistic as that dtype)."""
    state = _state(node, IMPUTER)
    if state.get("strategy") != strategy or state.get("indicator_") is not None:
        raise Declined("imputer")
    if state.get("_fit_dtype") != {"dtype": dtype} or state.get("_fill_dtype") != {"dtype": dtype}:
        raise Declined("imputer dtype")
    if "feature_names_in_" not in state:
        raise Declined("an imputer fitted without column names")  # it would warn
    _fitted_on(state, columns, arrays)
    return state


def _fitted_on(state: dict, columns: list[str], arrays) -> None:
    """A step fitted on ``columns``: its ``n_features_in_``, and its ``feature_names_in_``
    where it has them."""
    names = state.get("feature_names_in_")
    if state.get("n_features_in_") != len(columns):
        raise Declined("fitted on other columns")
    if names is not None and _texts(names, arrays) != columns:
        raise Declined("fitted on other columns")


def _after_imputer(node, name: str, columns: list[str], arrays) -> dict:
    """A step that the imputer before it feeds: fitted on an array, without column names
    (with them, scikit-learn would warn)."""
    state = _state(node, name)
    if "feature_names_in_" in state:
        raise Declined("fitted on named columns")
    _fitted_on(state, columns, arrays)
    return state


@dataclass
class Numeric:
    """Numeric columns: gaps filled with each column's median, then ``(x - mean) / scale``."""

    STEP_NAMES = ("simpleimputer", "standardscaler")  # as make_pipeline names them
    columns: list[str]
    median: np.ndarray  # (n,)
    mean: np.ndarray  # (n,)
    scale: np.ndarray  # (n,)

    @property
    def width(self) -> int:
        return len(self.columns)

    @classmethod
    def read(cls, steps, columns, arrays) -> Numeric:
        if [name for name, _ in steps] != list(cls.STEP_NAMES):
            raise Declined("numeric steps")
        n = len(columns)
        imputer = _imputer(steps[0][1], "median", "float64", columns, arrays)
        median = floats(imputer.get("statistics_"), arrays, n)
        scaler = _after_imputer(steps[1][1], SCALER, columns, arrays)
        mean, scale = (floats(scaler.get(key), arrays, n) for key in ("mean_", "scale_"))
        if not (scale > 0).all():
            raise Declined("scale")
        return cls(columns, median, mean, scale)

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        X = features[self.columns].to_numpy(dtype=np.float64)  # (m, n), a copy
        if np.isinf(X).any():
            raise Declined("infinite values")  # the Pipeline's imputer refuses them
        X = np.where(np.isnan(X), self.median, X)
        X -= self.mean  # StandardScaler.transform, in place as it does
        X /= self.scale
        return X


@dataclass
class Categorical:
    """Categorical columns: gaps filled with each column's most frequent value, then one 0/1
    column per category, in the order of each column's categories (``handle_unknown="ignore"``:
    a category not seen in training has all zeros)."""

    STEP_NAMES = ("simpleimputer", "onehotencoder")
    columns: list[str]
    fill: list[str]  # each column's most frequent value
    categories: list[list[str]]

    @property
    def width(self) -> int:
        return sum(len(c) for c in self.categories)

    @classmethod
    def read(cls, steps, columns, arrays) -> Categorical:
        if [name for name, _ in steps] != list(cls.STEP_NAMES):
            raise Declined("categorical steps")
        imputer = _imputer(steps[0][1], "most_frequent", "object", columns, arrays)
        fill = _texts(imputer.get("statistics_"), arrays)
        encoder = _after_imputer(steps[1][1], ENCODER, columns, arrays)
        categories = [_texts(node, arrays) for node in _items(encoder.get("categories_"))]
        if encoder.get("_infrequent_enabled") is not False:
            raise Declined("infrequent categories")
        if any(encoder.get(key, "absent") is not None for key in NO_DROP):
            raise Declined("dropped categories")
        widths = {"list": [len(c) for c in categories]}  # as ints: scikit-learn indexes by them
        if json.dumps(encoder.get("_n_features_outs")) != json.dumps(widths):
            raise Declined("encoded widths")  # scikit-learn lays the encoded columns out by them
        if not len(fill) == len(categories) == len(columns):
            raise Declined("categories")
        if any(len(set(c)) != len(c) or not c for c in categories):
            raise Declined("categories")
        return cls(columns, fill, categories)

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        m = len(features)
        out = np.zeros((m, self.width))  # (m, categories of all columns), float64
        offset = 0
        for name, fill, categories in zip(self.columns, self.fill, self.categories):
            column = features[name]
            codes = column.where(column.notna(), fill).map(
                {category: k for k, category in enumerate(categories)}
            )
            seen = codes.notna().to_numpy()  # an unseen category: all zeros, as the encoder's
            rows = np.arange(m)[seen]
            out[rows, offset + codes.to_numpy()[seen].astype(np.int64)] = 1.0
            offset += len(categories)
        return out


def preprocessing(node, arrays) -> tuple[list[str], list]:
    """The feature columns and the parts (:class:`Numeric`, :class:`Categorical`, in the
    ColumnTransformer's order) of the command line's preprocessing."""
    steps = _steps(node)
    if len(steps) != 1 or steps[0][0] != "preprocess":
        raise Declined("preprocessing steps")
    state = _state(steps[0][1], COLUMNS)
    names = _texts(state.get("feature_names_in_"), arrays)
    if state.get("sparse_output_") is not False or state.get("n_features_in_") != len(names):
        raise Declined("column transformer")
    # what scikit-learn computes with: each part's columns by their indices, its output slice
    indices = _pairs(state.get("_transformer_to_input_indices"))
    slices = _pairs(state.get("output_indices_"))
    parts, kinds, offset = [], [], 0
    for entry in _items(state.get("transformers_")):
        name, transformer, columns = _items(entry, "tuple")
        if name == "remainder" and transformer == "drop":
            continue
        columns = _items(columns)
        kind = {"numeric": Numeric, "categorical": Categorical}.get(name)
        if kind is None or not columns or [names[i] for i in _indices(indices, name)] != columns:
            raise Declined(f"the {name} part's columns")
        parts.append(kind.read(_steps(transformer), columns, arrays))
        kinds.append(name)
        if slices.get(name) != {"slice": [offset, offset + parts[-1].width, None]}:
            raise Declined(f"the {name} part's output")
        offset += parts[-1].width
    listed = [{"list": part.columns} for part in parts]
    if _items(state.get("_columns")) != listed:
        raise Declined("columns")
    given = [_items(entry, "tuple") for entry in _items(state.get("transformers"))]
    given = [[e[0], [n for n, _ in _steps(e[1])], e[2]] for e in given if len(e) == 3]
    if given != [[k, list(part.STEP_NAMES), c] for k, part, c in zip(kinds, parts, listed)]:
        raise Declined("the parts as given")  # the ColumnTransformer's own parameter
    if not parts or sorted(c for part in parts for c in part.columns) != sorted(names):
        raise Declined("columns")
    return names, parts


def target_scaling(node, arrays) -> tuple[np.ndarray, np.ndarray]:
    """The ``(mean, scale)`` of the target transform's StandardScaler, each (1,)."""
    state = _state(node, TARGET_TRANSFORM)
    _state(state.get("transformer"), SCALER)
    scaler = _state(state.get("transformer_"), SCALER)
    if scaler.get("n_features_in_") != 1:
        raise Declined("target scaler")
    mean, scale = (floats(scaler.get(key), arrays, 1) for key in ("mean_", "scale_"))
    if not scale[0] > 0:
        raise Declined("target scale")
    return mean, scale


def _pairs(node) -> dict:
    """A stored dict with text keys."""
    pairs = _items(node, "dict")
    if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
        raise Declined("dict")
    return dict(pairs)


def _indices(indices: dict, name: str) -> list[int]:
    found = _items(indices.get(name))
    if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in found):
        raise Declined("indices")
    return found
