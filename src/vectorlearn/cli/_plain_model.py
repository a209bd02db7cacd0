"""The command line's own models applied with NumPy alone: no scikit-learn, no SciPy.

``vectorlearn predict`` spent most of its time importing scikit-learn and SciPy (about 1.5 s of
2.2 s on 1,000 rows, this 2-core machine) to apply a few numbers. A model that ``vectorlearn
train`` saved holds exactly the preprocessing that ``_preprocessor.make_preprocessor`` builds:
each numeric column's median fills its gaps, then its mean and scale standardize it; each
categorical column's most frequent value fills its gaps, then it is one-hot encoded on its
categories; then one of vectorlearn's networks. :func:`read` recognizes that layout in the
file, with the archive's checks (``_archive``) and the loader's checks of the fitted
attributes (``_fitted_checks``), and :class:`PlainModel` computes what the loaded Pipeline
computes, with the same operations in the same order: the same bits (tested against it).

Anything else is declined (``read`` gives None, :meth:`PlainModel.predict` raises
:class:`Declined`), and the caller loads the model with ``persist.load``, whose checks and
messages stay the only ones: another layout (text columns, a Pipeline built by hand), a stored
value out of the ordinary, and data on which the Pipeline would warn or fail, or take another
path (a value that is not finite, features beyond the square root of the largest float, no
rows). The hyper-parameters that prediction does not use are not checked here, and nothing
warns that the file's preprocessing was fitted by another scikit-learn: it is not run by one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .. import _fitted_checks
from .._archive import read_archive, regular_entries
from .._fitted_checks import FORMAT, FORMAT_VERSION
from .._sklearn_state import TARGET_TRANSFORM
from ..core.activations import ALIASES
from ..core.backend import namespace
from ..core.heads import HEADS
from ..core.network import Network


class Declined(Exception):
    """The file or the data are not what this module handles; ``persist.load`` takes over."""


# ---- the stored layout, as ``persist.save`` encodes it -----------------------------------------
PIPELINE, COLUMNS = "sklearn.pipeline.Pipeline", "sklearn.compose.ColumnTransformer"
IMPUTER, SCALER = "sklearn.impute.SimpleImputer", "sklearn.preprocessing.StandardScaler"
ENCODER, TARGET = "sklearn.preprocessing.OneHotEncoder", TARGET_TRANSFORM
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
    TARGET: (
        {"func": None, "inverse_func": None, "check_inverse": True, "_training_dim": 1},
        {"transformer", "transformer_"},
    ),
}
STEP_KEYS = {"steps", "transformers", "transformers_", "transformer", "transformer_"}


def _state(node, name: str) -> dict:
    """The attributes of a stored step of class ``name``, with the parameters in ``STEPS``."""
    if not (isinstance(node, dict) and node.keys() == {"estimator", "state"}):
        raise Declined(name)
    state = node["state"]
    if node["estimator"] != name or name not in STEPS or not isinstance(state, dict):
        raise Declined(name)
    params, others = STEPS[name]
    if not state.keys() <= params.keys() | others:
        raise Declined(f"{name} attributes")
    if any(json.dumps(state.get(key)) != json.dumps(value) for key, value in params.items()):
        raise Declined(f"{name} parameters")  # (JSON text compares NaN with NaN)
    return state


def _check_steps(node) -> None:
    """Every step stored in ``node`` (a Pipeline or a target transform, with the steps inside
    them, those not fitted too) is one of ``STEPS`` as the command line sets it, and only
    ``STEP_KEYS`` hold steps: the layout :func:`read` takes, and nothing else."""
    state = _state(node, node.get("estimator") if isinstance(node, dict) else None)
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
        for step in found:
            _check_steps(step)


def _items(node, tag: str = "list") -> list:
    if not (isinstance(node, dict) and list(node) == [tag] and isinstance(node[tag], list)):
        raise Declined(tag)
    return node[tag]


def _steps(node) -> list[tuple]:
    """The ``(name, step)`` pairs of a stored Pipeline."""
    state = _state(node, PIPELINE)
    return [tuple(_items(step, "tuple")) for step in _items(state.get("steps"))]


def _floats(node, arrays, n: int) -> np.ndarray:
    """A stored float64 vector of ``n`` finite numbers."""
    a = arrays[node["array"]] if isinstance(node, dict) and node.keys() == {"array"} else None
    if a is None or a.dtype != np.float64 or a.shape != (n,) or not np.isfinite(a).all():
        raise Declined("floats")
    return a


def _texts(node, arrays) -> list[str]:
    """A stored array of text (an object array of ``str`` in scikit-learn's attributes)."""
    if not (isinstance(node, dict) and node.keys() == {"array", "object"} and node["object"]):
        raise Declined("texts")
    a = arrays[node["array"]]
    if a.dtype.kind != "U" or a.ndim != 1:
        raise Declined("texts")
    return a.tolist()


def _imputer(node, strategy: str) -> dict:
    state = _state(node, IMPUTER)
    if state.get("strategy") != strategy or state.get("indicator_") is not None:
        raise Declined("imputer")
    return state


@dataclass
class Numeric:
    """Numeric columns: gaps filled with each column's median, then ``(x - mean) / scale``."""

    columns: list[str]
    median: np.ndarray  # (n,)
    mean: np.ndarray  # (n,)
    scale: np.ndarray  # (n,)

    @classmethod
    def read(cls, steps, columns, arrays) -> Numeric:
        if [name for name, _ in steps] != ["simpleimputer", "standardscaler"]:
            raise Declined("numeric steps")
        n = len(columns)
        median = _floats(_imputer(steps[0][1], "median").get("statistics_"), arrays, n)
        scaler = _state(steps[1][1], SCALER)
        mean, scale = (_floats(scaler.get(key), arrays, n) for key in ("mean_", "scale_"))
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

    columns: list[str]
    fill: list[str]  # each column's most frequent value
    categories: list[list[str]]

    @classmethod
    def read(cls, steps, columns, arrays) -> Categorical:
        if [name for name, _ in steps] != ["simpleimputer", "onehotencoder"]:
            raise Declined("categorical steps")
        fill = _texts(_imputer(steps[0][1], "most_frequent").get("statistics_"), arrays)
        encoder = _state(steps[1][1], ENCODER)
        plain = encoder.get("_infrequent_enabled") is False and "drop_idx_" in encoder
        if not plain or encoder["drop_idx_"] is not None:
            raise Declined("encoder")
        categories = [_texts(node, arrays) for node in _items(encoder.get("categories_"))]
        if not len(fill) == len(categories) == len(columns):
            raise Declined("categories")
        if any(len(set(c)) != len(c) or not c for c in categories):
            raise Declined("categories")
        return cls(columns, fill, categories)

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        m = len(features)
        widths = [len(c) for c in self.categories]
        out = np.zeros((m, sum(widths)))  # (m, categories of all columns), float64
        offset = 0
        for name, fill, categories, width in zip(self.columns, self.fill, self.categories, widths):
            column = features[name]
            codes = column.where(column.notna(), fill).map(
                {category: k for k, category in enumerate(categories)}
            )
            seen = codes.notna().to_numpy()  # an unseen category: all zeros, as the encoder's
            rows = np.arange(m)[seen]
            out[rows, offset + codes.to_numpy()[seen].astype(np.int64)] = 1.0
            offset += width
        return out


# ---- the network -------------------------------------------------------------------------------
@dataclass
class PlainModel:
    """A command-line model: its preprocessing parts, then the network."""

    names: list[str]  # the feature columns, in the order the preprocessing was fitted on
    parts: list  # Numeric and Categorical, in the ColumnTransformer's order
    network: Network
    W: list  # W_l (n_{l-1}, n_l), float64
    B: list  # B_l (n_l, 1), float64
    classes_: np.ndarray | None  # (c,) labels of a classifier, else None
    scalings: list  # a regressor's (mean, scale) pairs, each applied as H * scale + mean

    def predict(self, features: pd.DataFrame, proba: bool = False):
        """Labels or targets (m,), and with ``proba`` the class probabilities (m, c) or None."""
        if list(features.columns) != self.names or len(features) == 0:
            raise Declined("columns")
        with np.errstate(all="ignore"):  # the Pipeline's warnings are its own: declined below
            X = np.hstack([part.transform(features) for part in self.parts])  # (m, n_0)
            if not np.isfinite(X).all():
                raise Declined("features that are not finite")  # the estimator refuses them
            if np.abs(X).max() > math.sqrt(np.finfo(np.float64).max):
                raise Declined("huge values")  # the estimator's scaled logits
            K = self.network.logits(self.W, self.B, X.T)  # (n_L, m)
        if not np.isfinite(K).all():
            raise Declined("logits that are not finite")  # the estimator's error
        if self.classes_ is None:
            return self._targets(K), None
        scores = K[0] if K.shape[0] == 1 else K.T  # (m,) or (m, c), as decision_function's
        index = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
        if not proba:
            return self.classes_[index], None
        H = HEADS[self.network.head].output(K, namespace(K)).T  # (m, n_L)
        return self.classes_[index], np.concatenate([1 - H, H], axis=1) if H.shape[1] == 1 else H

    def _targets(self, K) -> np.ndarray:
        H = HEADS[self.network.head].output(K, namespace(K)).T  # (m, 1)
        with np.errstate(over="ignore", invalid="ignore"):
            for mean, scale in self.scalings:  # the estimator's, then the target transform's
                H = H * scale + mean
        if not np.isfinite(H).all():
            raise Declined("predictions beyond the float range")  # the estimator's error
        return H[:, 0]


def read(path) -> tuple[PlainModel, dict] | None:
    """The model in the file ``path`` and the ``info`` saved with it, or None for a file that
    ``persist.load`` must read (see the module's docstring)."""
    try:
        check = partial(_check_layout, path=path)  # check(meta, specs) before reading arrays
        meta, arrays = read_archive(path, FORMAT, FORMAT_VERSION, "model", check=check)
        return _model(meta, arrays, path), meta["info"]
    except (Declined, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def _check_layout(meta, specs, path) -> None:
    """Before any array is read: the metadata's layout is the command line's, the fitted
    attributes agree with each other (the loader's checks), no entry is left over."""
    estimator, pipeline = meta.get("estimator"), meta.get("pipeline")
    if not (isinstance(estimator, dict) and isinstance(pipeline, dict)):
        raise Declined("metadata")
    if meta["format_version"] < 2 or not isinstance(meta.get("info"), dict):
        raise Declined("metadata")
    attributes = estimator.get("attributes")
    if not isinstance(attributes, dict) or estimator.get("class") not in _fitted_checks.REQUIRED:
        raise Declined("estimator")
    shapes = _fitted_checks.attribute_values(estimator["class"], attributes, specs, path)
    _fitted_checks.check_consistent(_fitted(estimator, shapes), shapes, path, estimator["class"])
    referenced = _fitted_checks.referenced_arrays(attributes)
    referenced |= _fitted_checks.preprocessing_arrays(pipeline.get("preprocessing"))
    referenced |= _fitted_checks.preprocessing_arrays(meta.get("target_transform"))
    regular_entries(specs, referenced, path)


def _fitted(estimator: dict, values: dict) -> SimpleNamespace:
    """What ``_fitted_checks`` reads of an estimator, from the stored fields ``values``: the
    hidden sizes as the weights give them, the loss and the target's standardization."""
    params, weights = estimator.get("params", {}), values.get("coefs_", [])
    standardize = isinstance(params, dict) and params.get("standardize_target", False)
    if not isinstance(params, dict) or not isinstance(standardize, bool):
        raise Declined("params")
    return SimpleNamespace(
        **values,
        _hidden_sizes=lambda: tuple(int(w.shape[1]) for w in weights[:-1]),
        loss=params.get("loss"),
        standardize_target=standardize,
    )


def _model(meta, arrays, path) -> PlainModel:
    estimator = meta["estimator"]
    name, params = estimator["class"], estimator.get("params", {})
    values = _fitted_checks.attribute_values(name, estimator["attributes"], arrays, path)
    if name == "LogisticRegression":
        coef, intercept = values["coef_"], values["intercept_"]
        head = "sigmoid" if coef.shape[0] == 1 else "softmax"
        network = Network((coef.shape[1], coef.shape[0]), head=head)
        W, B = [coef.T], [intercept.reshape(-1, 1)]
    else:
        if values.get("_is_multilabel_target", False):
            raise Declined("multilabel")
        activation = ALIASES.get(params.get("activation"), params.get("activation"))
        sizes = (values["coefs_"][0].shape[0], *(w.shape[1] for w in values["coefs_"]))
        network = Network(sizes, activation, values["out_activation_"])
        W, B = values["coefs_"], [b.reshape(-1, 1) for b in values["intercepts_"]]
    fitted = _fitted(estimator, values)
    fitted._fitted_network = lambda: (network, W, B)
    _fitted_checks.check_values(fitted, path)
    classes = values.get("classes_")
    if classes is not None and len(classes) < 2:
        raise Declined("one class")
    scalings = [] if classes is not None else _scalings(meta, values, arrays)
    names, parts = _preprocessing(meta["pipeline"]["preprocessing"], arrays)
    W = [w.astype(np.float64) for w in W]  # float64 features predict in float64
    B = [b.astype(np.float64) for b in B]
    return PlainModel(names, parts, network, W, B, classes, scalings)


def _scalings(meta, values, arrays) -> list:
    """A regressor's ``(mean, scale)`` pairs: its own standardization of the target, then the
    target transform's (the command line standardizes a regression target with a
    ``StandardScaler`` around the model)."""
    if values.get("_y_ndim", 1) != 1:
        raise Declined("several targets")
    scalings = []
    if "target_mean_" in values:
        scalings.append((values["target_mean_"], values["target_scale_"]))
    transform = meta.get("target_transform")
    if transform is not None:
        _check_steps(transform)
        scaler = _state(_state(transform, TARGET).get("transformer_"), SCALER)
        mean, scale = (_floats(scaler.get(key), arrays, 1) for key in ("mean_", "scale_"))
        if not scale[0] > 0:
            raise Declined("target scale")
        scalings.append((mean, scale))
    return scalings


def _preprocessing(node, arrays) -> tuple[list[str], list]:
    """The feature columns and the parts of the command line's ``ColumnTransformer``."""
    _check_steps(node)
    steps = _steps(node)
    if len(steps) != 1 or steps[0][0] != "preprocess":
        raise Declined("preprocessing steps")
    state = _state(steps[0][1], COLUMNS)
    if state.get("sparse_output_") is not False:
        raise Declined("sparse output")
    parts = []
    for entry in _items(state.get("transformers_")):
        name, transformer, columns = _items(entry, "tuple")
        if name == "remainder" and transformer == "drop":
            continue
        columns = _items(columns)
        if not columns or not all(isinstance(c, str) for c in columns):
            raise Declined("columns")
        kind = {"numeric": Numeric, "categorical": Categorical}.get(name)
        if kind is None:
            raise Declined(f"a {name} part")
        parts.append(kind.read(_steps(transformer), columns, arrays))
    names = _texts(state.get("feature_names_in_"), arrays)
    if not parts or sorted(c for part in parts for c in part.columns) != sorted(names):
        raise Declined("columns")
    return names, parts
