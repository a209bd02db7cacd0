"""Save and load models in a format that cannot run code: NumPy arrays in a ``.npz`` plus JSON.

A model file is one ``.npz`` archive (a zip of ``.npy`` arrays) read with
``allow_pickle=False``, so loading never unpickles anything. It holds:

- ``__metadata__``: a JSON text with the format name and version, the vectorlearn version that
  wrote it, the estimator's class (one of vectorlearn's, by name), its hyper-parameters, its fitted
  attributes that are not arrays, and any ``info`` the caller attached;
- one array per fitted array (``coefs_.0``, ``coefs_.1``, ``classes_``, ...);
- for a :class:`~sklearn.pipeline.Pipeline`, the preprocessing steps (everything before the final
  vectorlearn estimator) as ``preprocessing``: bytes in skops' format, loaded with a trusted-types
  check that admits scikit-learn's types (and NumPy dtypes) only.

Loading validates everything before it builds the model: the format and its version, the class
name, the parameters, that every attribute is one the class has, that the weights' shapes chain
from layer to layer, and that every weight is finite.
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
from array_api_compat import is_array_api_obj
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._files import atomic_write
from ._version import __version__
from .core.backend import to_numpy
from .estimators import LogisticRegression, MLPClassifier, MLPRegressor
from .estimators._base import validate_params

FORMAT = "vectorlearn-model"
FORMAT_VERSION = 1
ESTIMATORS = {cls.__name__: cls for cls in (LogisticRegression, MLPClassifier, MLPRegressor)}
# Fitted attributes each class may carry; anything else in a file is refused.
_COMMON = {"n_features_in_", "feature_names_in_", "n_iter_", "loss_curve_"}
ATTRIBUTES = {
    "LogisticRegression": _COMMON | {"classes_", "coef_", "intercept_"},
    "MLPClassifier": _COMMON
    | {
        "classes_",
        "coefs_",
        "intercepts_",
        "n_layers_",
        "n_outputs_",
        "out_activation_",
        "validation_loss_curve_",
        "validation_scores_",
        "best_epoch_",
        "best_validation_score_",
        "_is_multilabel_target",
    },
}
ATTRIBUTES["MLPRegressor"] = (
    ATTRIBUTES["MLPClassifier"] - {"classes_", "_is_multilabel_target"}
) | {"_y_ndim"}
# Types a pipeline's preprocessing may hold beyond skops' own defaults: scikit-learn's, and the
# NumPy dtype objects its transformers keep. Anything else (a function such as builtins.eval in a
# FunctionTransformer, a class from another package) is refused.
TRUSTED_PREFIXES = ("sklearn.",)
TRUSTED_TYPES = {"numpy.dtype"}


# ---- save ---------------------------------------------------------------------------------------
def save(model, path, *, info: dict | None = None) -> None:
    """Write ``model`` (a fitted vectorlearn estimator, or a Pipeline ending in one) to ``path``.

    ``info`` is any JSON-serializable dict stored beside the model (read it with
    :func:`load_info`). The file is written to a temporary file and renamed into place, so a
    crash never leaves half a model behind.
    """
    arrays: dict[str, np.ndarray] = {}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "vectorlearn_version": __version__,
        "info": info or {},
    }
    if isinstance(model, Pipeline):
        *steps, (name, final) = model.steps
        _check_estimator(final)
        meta["pipeline"] = {"final_step": name}
        arrays["preprocessing"] = np.frombuffer(_skops_dumps(Pipeline(steps)), dtype=np.uint8)
    else:
        final = model
        _check_estimator(final)
    meta["estimator"] = _describe(final, arrays)
    write_archive(path, meta, arrays)


def _check_estimator(model) -> None:
    if type(model).__name__ not in ESTIMATORS or not isinstance(model, tuple(ESTIMATORS.values())):
        raise TypeError(
            f"vectorlearn.save takes a vectorlearn estimator or a Pipeline ending in one; got "
            f"{type(model).__name__}."
        )
    check_is_fitted(model)


def _describe(model, arrays) -> dict:
    attributes = {}
    for name in sorted(ATTRIBUTES[type(model).__name__]):
        if not hasattr(model, name):
            continue
        value = getattr(model, name)
        if is_array_api_obj(value):  # weights on a GPU come back to the host to be saved
            arrays[name] = _plain(to_numpy(value), name)
            attributes[name] = {"array": name}
        elif isinstance(value, list) and value and is_array_api_obj(value[0]):
            keys = [f"{name}.{i}" for i in range(len(value))]
            for key, item in zip(keys, value):
                arrays[key] = _plain(to_numpy(item), name)
            attributes[name] = {"arrays": keys}
        else:
            attributes[name] = {"value": _jsonable(value, name)}
    params = {k: _tagged(v, k) for k, v in model.get_params(deep=False).items()}
    return {"class": type(model).__name__, "params": params, "attributes": attributes}


def _plain(a: np.ndarray, name: str) -> np.ndarray:
    """An array NumPy can store without pickle: numbers or fixed-width text."""
    if a.dtype != object:
        return a
    if all(isinstance(v, str) for v in a.flat):
        return a.astype(str)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in a.flat):
        return a.astype(np.int64)
    raise TypeError(
        f"cannot save {name}: it mixes types ({sorted({type(v).__name__ for v in a.flat})}); "
        "use labels that are all numbers or all strings."
    )


def _jsonable(value, name):
    if isinstance(value, (np.generic,)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list) and all(isinstance(v, (int, float, np.generic)) for v in value):
        return [v.item() if isinstance(v, np.generic) else v for v in value]
    raise TypeError(f"cannot save attribute {name} of type {type(value).__name__}")


def _tagged(value, name):
    """JSON for a hyper-parameter, keeping tuples and dicts with non-string keys."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return {"tuple" if isinstance(value, tuple) else "list": [_tagged(v, name) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[_tagged(k, name), _tagged(v, name)] for k, v in value.items()]}
    raise TypeError(
        f"cannot save the {name!r} parameter of type {type(value).__name__}; use an integer "
        "seed for random_state."
    )


def _untagged(value):
    if isinstance(value, dict):
        ((tag, items),) = value.items()
        if tag == "tuple":
            return tuple(_untagged(v) for v in items)
        if tag == "list":
            return [_untagged(v) for v in items]
        if tag == "dict":
            return {_untagged(k): _untagged(v) for k, v in items}
        raise ValueError(f"unknown tag {tag!r}")
    return value


def _skops_dumps(pipeline) -> bytes:
    import skops.io

    return skops.io.dumps(pipeline)


# ---- load ---------------------------------------------------------------------------------------
def load(path):
    """Read a model written by :func:`save`; raise ``ValueError`` for anything else.

    Nothing in the file is executed: arrays load with ``allow_pickle=False``, the class comes
    from a fixed table of vectorlearn estimators, and pipeline steps pass skops' trusted-types
    check limited to scikit-learn's types.
    """
    meta, arrays = _read(path)
    model = _build(meta["estimator"], arrays, path)
    if "pipeline" not in meta:
        return model
    if "preprocessing" not in arrays:
        raise ValueError(f"{path}: the pipeline's preprocessing steps are missing")
    preprocessing = _skops_loads(arrays["preprocessing"].tobytes(), path)
    return Pipeline([*preprocessing.steps, (str(meta["pipeline"]["final_step"]), model)])


def load_info(path) -> dict:
    """The ``info`` dict that :func:`save` stored beside the model."""
    return _read(path)[0]["info"]


def read_archive(path, fmt: str = FORMAT, version: int = FORMAT_VERSION, what: str = "model"):
    """The JSON metadata and the arrays of an archive of format ``fmt``, checked: no pickle, the
    format's name, a version this library reads. Raises ``ValueError`` naming the problem."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise ValueError(f"{path}: no such {what} file") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(
            f"{path} is not a vectorlearn {what} file (it is not a NumPy .npz archive without "
            f"pickled data: {error})"
        ) from None
    if not isinstance(arrays, dict) or "__metadata__" not in arrays:
        raise ValueError(f"{path} is not a vectorlearn {what} file (no __metadata__ entry)")
    try:
        meta = json.loads(str(arrays.pop("__metadata__")))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: its metadata is not valid JSON ({error})") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(f"{path} is not a vectorlearn {what} file (format {found!r})")
    found = meta.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool):
        raise ValueError(f"{path}: the format version {found!r} is not a whole number")
    if found > version:
        raise ValueError(
            f"{path} was written by vectorlearn {meta.get('vectorlearn_version')} in {what} "
            f"format {found}; this vectorlearn ({__version__}) reads format {version} and older. "
            "Upgrade vectorlearn to load it."
        )
    return meta, arrays


def write_archive(path, meta: dict, arrays: dict) -> None:
    """Write ``meta`` (JSON) and ``arrays`` as one ``.npz``, atomically."""
    arrays = {**arrays, "__metadata__": np.array(json.dumps(meta))}
    with atomic_write(path) as file:
        np.savez(file, **arrays)


def _read(path):
    meta, arrays = read_archive(path)
    if not isinstance(meta.get("info", {}), dict) or not isinstance(meta.get("estimator"), dict):
        raise ValueError(f"{path}: malformed metadata")
    return meta, arrays


def _build(description, arrays, path):
    name = description.get("class")
    if name not in ESTIMATORS:
        raise ValueError(
            f"{path}: the model class {name!r} is not one of vectorlearn's "
            f"({', '.join(sorted(ESTIMATORS))}); refusing to load it."
        )
    cls = ESTIMATORS[name]
    try:
        params = {k: _untagged(v) for k, v in description.get("params", {}).items()}
        model = cls(**params)
        validate_params(model)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: invalid parameters for {name}: {error}") from None
    allowed = ATTRIBUTES[name]
    for attribute, spec in description.get("attributes", {}).items():
        if attribute not in allowed:
            raise ValueError(f"{path}: {name} has no attribute {attribute!r}; refusing to load it")
        setattr(model, attribute, _attribute_value(spec, arrays, path, attribute))
    if hasattr(model, "feature_names_in_"):
        model.feature_names_in_ = model.feature_names_in_.astype(object)
    _validate_fitted(model, path)
    return model


def _is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _is_numbers(v):
    return v is None or (
        isinstance(v, list)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
    )


# What each attribute must be: "array", "arrays" (a list of float arrays), or a check of a value.
KINDS = {
    "coef_": "array",
    "intercept_": "array",
    "classes_": "array",
    "feature_names_in_": "array",
    "coefs_": "arrays",
    "intercepts_": "arrays",
    "n_features_in_": _is_count,
    "n_iter_": _is_count,
    "n_layers_": _is_count,
    "n_outputs_": _is_count,
    "_y_ndim": lambda v: v in (1, 2),
    "best_epoch_": lambda v: v is None or _is_count(v),
    "loss_curve_": _is_numbers,
    "validation_loss_curve_": _is_numbers,
    "validation_scores_": _is_numbers,
    "best_validation_score_": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "out_activation_": lambda v: v in ("sigmoid", "softmax", "identity"),
    "_is_multilabel_target": lambda v: isinstance(v, bool),
}


def _attribute_value(spec, arrays, path, attribute):
    """An attribute's value from the file, checked against what the attribute must be."""
    if not isinstance(spec, dict) or len(spec) != 1:
        raise ValueError(f"{path}: malformed entry for {attribute}")
    ((kind, value),) = spec.items()
    expected = KINDS[attribute]
    if kind != (expected if isinstance(expected, str) else "value"):
        raise ValueError(f"{path}: {attribute} is stored as {kind!r}, which it cannot be")
    try:
        if kind == "array":
            return arrays[value]
        if kind == "arrays":
            values = [arrays[key] for key in value]
            if not all(v.dtype.kind == "f" for v in values):
                raise ValueError(f"{path}: {attribute} must hold floating-point weights")
            return values
    except (KeyError, TypeError):
        raise ValueError(f"{path}: the arrays of {attribute} are missing") from None
    if not expected(value):
        raise ValueError(f"{path}: {attribute} has an invalid value {value!r}")
    return value


def _validate_fitted(model, path) -> None:
    """Shapes chain from layer to layer, weights are finite, the sizes agree with each other."""
    try:
        network, W, B = model._fitted_network()
        W, B = [to_numpy(w) for w in W], [to_numpy(b) for b in B]
    except (AttributeError, TypeError, ValueError, IndexError) as error:
        raise ValueError(f"{path}: the fitted weights are missing or malformed ({error})") from None
    for l, (W_l, B_l) in enumerate(zip(W, B)):
        expected = (network.sizes[l], network.sizes[l + 1])
        if W_l.ndim != 2 or W_l.shape != expected or B_l.shape != (expected[1], 1):
            raise ValueError(f"{path}: layer {l + 1} weights have the wrong shape")
        if not (np.all(np.isfinite(W_l)) and np.all(np.isfinite(B_l))):
            raise ValueError(f"{path}: layer {l + 1} holds NaN or infinite weights")
    if getattr(model, "n_features_in_", network.sizes[0]) != network.sizes[0]:
        raise ValueError(f"{path}: n_features_in_ does not match the first layer")
    classes = getattr(model, "classes_", None)
    if classes is not None and classes.shape[0] < 2:
        raise ValueError(f"{path}: a classifier needs at least two classes")


def _skops_loads(data: bytes, path):
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as error:  # skops raises several types on corrupt input
        raise ValueError(f"{path}: the preprocessing steps cannot be read ({error})") from None
    refused = [t for t in untrusted if not (t.startswith(TRUSTED_PREFIXES) or t in TRUSTED_TYPES)]
    if refused:
        raise ValueError(
            f"{path}: the preprocessing steps hold types vectorlearn does not trust: {refused}"
        )
    pipeline = skops.io.loads(data, trusted=untrusted)
    if not isinstance(pipeline, Pipeline):
        raise ValueError(f"{path}: the preprocessing is not a scikit-learn Pipeline")
    return pipeline
