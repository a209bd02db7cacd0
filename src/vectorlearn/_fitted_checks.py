"""A model file checked as a whole: its format, the layout of its metadata, and every fitted
attribute against every other; ``persist.load`` and the command line's plain reader
(``cli._plain_model``) both run these checks.

A model file could pair a binary ``classes_`` with a softmax head, or ``hidden_layer_sizes`` with
weights of other sizes, and each field alone would look fine; predictions would then be silently
wrong. These checks run twice: :func:`check_consistent` on the arrays' declared shapes and dtypes
before any array is read (so a file cannot make the loader allocate what the model does not
need), and :func:`check_values` on the values once they are read.
"""

from __future__ import annotations

import numpy as np

# The model file's format: persist writes it, persist and the command line's plain reader read it.
FORMAT = "vectorlearn-model"
FORMAT_VERSION = 3  # 3: a target transform; 2: preprocessing as plain state; 1: skops
TARGET_FORMAT_VERSION = 3  # files without a target transform are still written as format 2
# Parameters newer than format 2, left out of a file where they have this value (the
# behaviour an older vectorlearn has), so that it still loads the file; otherwise the file is
# of format 3, which a format-2 reader refuses rather than predict in the wrong units.
NEWER_PARAMETERS = {"standardize_target": False}

_COMMON = {"n_features_in_", "feature_names_in_", "n_iter_", "loss_curve_"}
_VALIDATION = {"validation_loss_curve_", "validation_scores_"}
# Fitted attributes each class may carry; anything else in a file is refused.
ATTRIBUTES = {
    "LogisticRegression": _COMMON | _VALIDATION | {"classes_", "coef_", "intercept_"},
    "MLPClassifier": _COMMON
    | _VALIDATION
    | {
        "classes_",
        "coefs_",
        "intercepts_",
        "n_layers_",
        "n_outputs_",
        "out_activation_",
        "best_epoch_",
        "best_validation_score_",
        "_is_multilabel_target",
    },
}
ATTRIBUTES["MLPRegressor"] = (
    ATTRIBUTES["MLPClassifier"] - {"classes_", "_is_multilabel_target"}
) | {"_y_ndim", "target_mean_", "target_scale_"}
_TARGET_SCALING = ("target_mean_", "target_scale_")  # standardize_target=True: both, else none
_NETWORK = {"coefs_", "intercepts_", "n_features_in_", "n_outputs_", "out_activation_", "n_layers_"}
REQUIRED = {
    "LogisticRegression": {"coef_", "intercept_", "classes_", "n_features_in_"},
    "MLPClassifier": _NETWORK | {"classes_"},
    "MLPRegressor": _NETWORK | {"_y_ndim"},  # whether predict gives (m,) or (m, k)
}


# ---- the metadata, before any array is read -------------------------------------------------
def check_info(meta) -> None:
    if not isinstance(meta.get("info", {}), dict) or not isinstance(meta.get("estimator"), dict):
        raise ValueError("malformed metadata: 'info' and 'estimator' must be JSON objects")


def check_metadata(meta, path) -> tuple[str, dict, dict]:
    """The estimator's class name, its tagged parameters and its attributes' entries, once the
    metadata's layout is checked: what ``persist.load`` and the command line's plain reader
    (``cli._plain_model``) both refuse before reading any array."""
    try:
        check_info(meta)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    pipeline = meta.get("pipeline")
    if pipeline is not None:
        if meta["format_version"] < 2:
            raise ValueError(
                f"{path} stores its preprocessing with skops (model format 1), which this "
                "vectorlearn no longer loads, because such files can name functions to run; "
                "train the model again to get a file in the current format"
            )
        if not isinstance(pipeline, dict) or not isinstance(pipeline.get("final_step"), str):
            raise ValueError(f"{path}: malformed pipeline metadata")
    description = meta["estimator"]
    name = description.get("class")
    if name not in ATTRIBUTES:
        raise ValueError(
            f"{path}: the model class {str(name)[:80]!r} is not one of vectorlearn's "
            f"({', '.join(sorted(ATTRIBUTES))}); refusing to load it."
        )
    params, attributes = description.get("params", {}), description.get("attributes", {})
    if not isinstance(params, dict) or not isinstance(attributes, dict):
        raise ValueError(f"{path}: malformed metadata: params and attributes must be JSON objects")
    if "target_transform" in meta:
        if name != "MLPRegressor" or meta["format_version"] < TARGET_FORMAT_VERSION:
            raise ValueError(f"{path}: only an MLPRegressor of format 3 has a target transform")
    return name, params, attributes


def entries(meta) -> set[str]:
    """The archive entries that checked metadata refers to: the fitted attributes' arrays, the
    preprocessing's and the target transform's."""
    pipeline = meta.get("pipeline") or {}
    found = referenced_arrays(meta["estimator"].get("attributes", {}))
    found |= preprocessing_arrays(pipeline.get("preprocessing"))
    return found | preprocessing_arrays(meta.get("target_transform"))


def untagged(value):
    """A hyper-parameter as ``persist.save`` stored it in JSON, with its tuples and dicts."""
    if isinstance(value, dict):
        if len(value) != 1:
            raise ValueError("a tagged value has exactly one tag")
        ((tag, items),) = value.items()
        if not isinstance(items, list):
            raise ValueError(f"malformed {tag!r} value")
        if tag == "tuple":
            return tuple(untagged(v) for v in items)
        if tag == "list":
            return [untagged(v) for v in items]
        if tag == "dict" and all(isinstance(p, list) and len(p) == 2 for p in items):
            return {untagged(k): untagged(v) for k, v in items}
        raise ValueError(f"unknown tag {tag!r}")
    if isinstance(value, list):
        raise ValueError("a list parameter must be tagged")
    return value


# ---- the fitted attributes ---------------------------------------------------------------------
def _is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_numbers(v):
    return v is None or (
        isinstance(v, list)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
    )


# What each attribute must be: "array", "arrays" (a list of arrays), or a check of a JSON value.
KINDS = {
    "coef_": "array",
    "intercept_": "array",
    "classes_": "array",
    "feature_names_in_": "array",
    "target_mean_": "array",
    "target_scale_": "array",
    "coefs_": "arrays",
    "intercepts_": "arrays",
    "n_features_in_": lambda v: _is_count(v) and v >= 1,
    "n_iter_": _is_count,
    "n_layers_": _is_count,
    "n_outputs_": lambda v: _is_count(v) and v >= 1,
    "_y_ndim": lambda v: v in (1, 2) and not isinstance(v, bool),
    "best_epoch_": lambda v: v is None or _is_count(v),
    "loss_curve_": _is_numbers,
    "validation_loss_curve_": _is_numbers,
    "validation_scores_": _is_numbers,
    "best_validation_score_": lambda v: v is None or _is_numbers([v]),  # None: no early stopping
    "out_activation_": lambda v: v in ("sigmoid", "softmax", "identity", "exp"),
    "_is_multilabel_target": lambda v: isinstance(v, bool),
}


# Where one class stores an attribute otherwise than the others: scikit-learn's
# LogisticRegression.n_iter_ is an int32 array of shape (1,).
_CLASS_KINDS = {("LogisticRegression", "n_iter_"): "array"}


def attribute_values(name: str, attributes: dict, source: dict, path) -> dict:
    """Each stored attribute's value, taken from ``source`` (array specs or arrays) for arrays,
    checked against what the attribute must be."""
    values = {}
    for attribute, spec in attributes.items():
        if attribute not in ATTRIBUTES[name]:
            raise ValueError(
                f"{path}: {name} has no attribute {str(attribute)[:60]!r}; refusing to load it"
            )
        if not isinstance(spec, dict) or len(spec) != 1:
            raise ValueError(f"{path}: malformed entry for {attribute}")
        ((kind, value),) = spec.items()
        expected = _CLASS_KINDS.get((name, attribute), KINDS[attribute])
        if kind != (expected if isinstance(expected, str) else "value"):
            raise ValueError(f"{path}: {attribute} is stored as {kind!r}, which it cannot be")
        if kind == "value":
            if not expected(value):
                raise ValueError(f"{path}: {attribute} has an invalid value {str(value)[:60]!r}")
            values[attribute] = value
            continue
        keys = [value] if kind == "array" else value
        if not isinstance(keys, list) or not all(isinstance(k, str) and k in source for k in keys):
            raise ValueError(f"{path}: the arrays of {attribute} are missing")
        values[attribute] = source[value] if kind == "array" else [source[k] for k in keys]
    return values


def preprocessing_arrays(node) -> set[str]:
    """The array keys a preprocessing node refers to, found without recursion."""
    found, stack = set(), [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("array"), str):
                found.add(item["array"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def referenced_arrays(attributes: dict) -> set[str]:
    """The archive entries the attributes refer to (after :func:`attribute_values`)."""
    keys = set()
    for spec in attributes.values():
        ((kind, value),) = spec.items()
        keys |= {value} if kind == "array" else set(value) if kind == "arrays" else set()
    return keys


def check_consistent(model, v: dict, path, name: str | None = None) -> None:
    """Shapes and dtypes (of arrays or of their specs) agree with each other and with the
    parameters of ``model`` (an estimator of class ``name``, by default its own class's);
    raise ``ValueError`` with the first disagreement."""
    name = name or type(model).__name__
    missing = sorted(REQUIRED[name] - v.keys())
    if missing:
        raise ValueError(f"{path}: the fitted attributes {', '.join(missing)} are missing")

    def refuse(reason):
        raise ValueError(f"{path}: {reason}; refusing a model whose fields contradict each other")

    if name == "LogisticRegression":
        weights, biases = [v["coef_"]], [v["intercept_"]]
    else:
        weights, biases = v["coefs_"], v["intercepts_"]
    dtypes = {np.dtype(a.dtype) for a in [*weights, *biases]}
    if len(dtypes) != 1 or next(iter(dtypes)) not in (np.float32, np.float64):
        refuse(f"the weights must all be float32 or all float64, not {sorted(map(str, dtypes))}")
    n = v["n_features_in_"]
    if "feature_names_in_" in v:
        names = v["feature_names_in_"]
        if names.dtype.kind != "U" or names.shape != (n,):
            refuse(f"feature_names_in_ must be {n} names, one per feature")
    classes = v.get("classes_")
    if classes is not None and (len(classes.shape) != 1 or classes.dtype.kind not in "biufU"):
        refuse("classes_ must be a 1-D array of labels")
    if name == "LogisticRegression":
        coef, intercept = weights[0], biases[0]
        c = classes.shape[0]
        k = 1 if c == 2 else c
        if c < 2 or coef.shape != (k, n) or intercept.shape != (k,):
            refuse(f"{c} classes and {n} features need coef_ ({k}, {n}) and intercept_ ({k},)")
        return
    try:
        hidden = model._hidden_sizes()
    except ValueError as error:
        refuse(str(error))
    sizes = (n, *hidden, v["n_outputs_"])
    if len(weights) != len(sizes) - 1 or len(biases) != len(sizes) - 1:
        refuse(f"hidden_layer_sizes={hidden} needs {len(sizes) - 1} weight matrices")
    for l, (W, b) in enumerate(zip(weights, biases)):
        if tuple(W.shape) != (sizes[l], sizes[l + 1]) or tuple(b.shape) != (sizes[l + 1],):
            refuse(f"layer {l + 1} weights have the wrong shape for layer sizes {sizes}")
    if v["n_layers_"] != len(sizes):
        refuse(f"n_layers_ is {v['n_layers_']} for {len(sizes)} layers")
    head, n_out = v["out_activation_"], v["n_outputs_"]
    if name == "MLPRegressor":
        wanted = "exp" if getattr(model, "loss", None) == "poisson" else "identity"
        if head != wanted or (v.get("_y_ndim", 1) == 1 and n_out != 1):
            refuse(f"this regressor has an {wanted} output with one unit per target, not {head}")
        _check_target_scaling(model, v, n_out, refuse)
        return
    c = classes.shape[0]
    if v.get("_is_multilabel_target", False):
        expected = ("sigmoid", c) if c >= 2 else None
    else:
        expected = ("sigmoid", 1) if c <= 2 else ("softmax", c)  # 1: a one-class model
    if expected != (head, n_out):
        refuse(f"{c} classes cannot have {n_out} {head} output(s)")


def _check_target_scaling(model, v: dict, n_out: int, refuse) -> None:
    """``standardize_target=True`` needs both statistics, float64 (n_outputs,) as saved; False
    neither."""
    stored = [v[name] for name in _TARGET_SCALING if name in v]
    if not model.standardize_target:
        if stored:
            refuse("target_mean_ and target_scale_ are stored but standardize_target is False")
        return
    if len(stored) != 2 or any(
        tuple(a.shape) != (n_out,) or np.dtype(a.dtype) != np.float64 for a in stored
    ):
        numbers = "number" if n_out == 1 else "numbers"
        refuse(
            f"standardize_target=True needs target_mean_ and target_scale_ as {n_out} float64 "
            f"{numbers} each, one per output"
        )


def check_values(model, path) -> None:
    """What only the values show: finite weights, distinct sorted labels and names, finite
    target statistics with positive scales."""
    network, W, B = model._fitted_network()
    for l, (W_l, B_l) in enumerate(zip(W, B)):
        if not (np.all(np.isfinite(W_l)) and np.all(np.isfinite(B_l))):
            raise ValueError(f"{path}: layer {l + 1} holds NaN or infinite weights")
    mean, scale = (getattr(model, name, None) for name in _TARGET_SCALING)
    if mean is not None and not (
        np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)
    ):
        raise ValueError(
            f"{path}: target_mean_ and target_scale_ must be finite and target_scale_ > 0"
        )
    classes = getattr(model, "classes_", None)
    if classes is not None:
        if getattr(model, "_is_multilabel_target", False):
            if not np.array_equal(classes, np.arange(classes.shape[0])):
                raise ValueError(f"{path}: a multilabel model's classes_ must be 0, 1, ...")
        elif classes.dtype.kind == "f" and not np.all(np.isfinite(classes)):
            raise ValueError(f"{path}: classes_ holds NaN or infinite labels")
        elif not np.array_equal(np.unique(classes), classes):
            raise ValueError(f"{path}: classes_ must be distinct labels in sorted order")
    names = getattr(model, "feature_names_in_", None)
    if names is not None and len(set(names)) != len(names):
        raise ValueError(f"{path}: feature_names_in_ repeats a name")
