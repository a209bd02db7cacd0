"""Fitted scikit-learn preprocessing as data: exact classes from a fixed list, and plain values.

A Pipeline's preprocessing (scalers, encoders, imputers, text vectorizers, ``ColumnTransformer``)
is stored as each step's attribute dictionary, encoded as tagged JSON with its arrays beside it in
the archive. Loading names no function and calls no constructor: each object is made with
``cls.__new__(cls)`` for one of the classes in ``TRUSTED`` (matched exactly, by its full name,
never by a prefix), its attributes are set from decoded values (numbers, text, lists, tuples,
dicts, slices, NumPy arrays of numbers or text, dtypes), and scikit-learn's own parameter
constraints then check the result. There is no way to spell a callable in this encoding, so a
file cannot smuggle one in, whatever names it uses. No attribute may hide one its class defines
(``_parameter_constraints``, a method) unless it is a constructor parameter; ``n_jobs`` is saved
as None and must load as None or 1; text vectorizers keep the default ``token_pattern``, n-grams
of at most ``_vectorizer_state.MAX_NGRAM`` and a consistent fitted vocabulary.
"""

from __future__ import annotations

import importlib
import re
import warnings

import numpy as np

from . import _vectorizer_state

# Every class a saved preprocessing step may be. Names are where scikit-learn documents them.
TRUSTED = {
    "sklearn.pipeline.Pipeline",
    "sklearn.compose.ColumnTransformer",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.OneHotEncoder",
    "sklearn.preprocessing.OrdinalEncoder",
    "sklearn.preprocessing.PolynomialFeatures",
    "sklearn.preprocessing.FunctionTransformer",  # with func=None only: nothing else encodes
    "sklearn.impute.SimpleImputer",
    "sklearn.impute.MissingIndicator",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
}
# Vectorizers whose input="filename" or "file" would open the files that the data names.
TEXT_VECTORIZERS = {
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
}
# NumPy scalar types and dtypes that parameters and fitted attributes hold (OneHotEncoder's
# dtype=np.float64, SimpleImputer's _fit_dtype, ...).
TYPES = {
    "float64": np.float64,
    "float32": np.float32,
    "int64": np.int64,
    "int32": np.int32,
    "bool": np.bool_,
    "float": float,
    "int": int,
}
DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"} | {
    "float16",
    "float32",
    "float64",
    "object",
}
# The one wrapper a saved model's final step may be: a regression target standardized for
# training, predictions mapped back to its units. Trusted only there, never inside the
# preprocessing; its regressor is vectorlearn's estimator, which persist stores itself.
TARGET_TRANSFORM = "sklearn.compose.TransformedTargetRegressor"
TARGET_STATE = {"transformer", "func", "inverse_func", "check_inverse", "_training_dim"}
ATTRIBUTE = re.compile(r"^(?!__)[A-Za-z_][A-Za-z0-9_]*$")


def _trusted_name(obj) -> str | None:
    """The public name of ``obj``'s class if it is exactly one of ``TRUSTED``."""
    cls = type(obj)
    for name in TRUSTED:
        if name.rpartition(".")[2] == cls.__name__ and _class(name) is cls:
            return name
    return None


def _class(name: str):
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


# ---- encode -------------------------------------------------------------------------------------
def encode(value, arrays: dict, prefix: str, where: str = "preprocessing"):
    """``value`` as tagged JSON; its arrays go into ``arrays`` under keys ``prefix.N``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, np.ndarray):
        return _encode_array(value, arrays, prefix, where)
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"scalar": [value.dtype.name, value.item()]}
    if isinstance(value, np.dtype) and value.name in DTYPES:
        return {"dtype": value.name}
    if isinstance(value, type):
        names = [k for k, v in TYPES.items() if v is value]
        if names:
            return {"type": names[0]}
    if isinstance(value, (list, tuple, set)):
        tag = {list: "list", tuple: "tuple", set: "set"}.get(type(value))
        if tag is not None:
            items = sorted(value, key=repr) if tag == "set" else value
            return {tag: [encode(v, arrays, prefix, where) for v in items]}
    if type(value) is dict and all(isinstance(k, (str, int)) for k in value):
        return {"dict": [[k, encode(v, arrays, prefix, where)] for k, v in value.items()]}
    if isinstance(value, slice):
        return {"slice": [value.start, value.stop, value.step]}
    name = _trusted_name(value)
    if name is not None:
        _check_state(value, name, f"cannot save {where}")
        state = {
            key: encode(None if key == "n_jobs" else item, arrays, prefix, f"{where}.{key}")
            for key, item in vars(value).items()
        }
        return {"estimator": name, "state": state}
    raise TypeError(
        f"cannot save {where}: a {type(value).__module__}.{type(value).__qualname__} is not "
        "among the preprocessing steps vectorlearn stores "
        f"({', '.join(sorted(n.rpartition('.')[2] for n in TRUSTED))}) or their plain values; "
        "functions and other classes cannot be saved safely."
    )


def _encode_array(a: np.ndarray, arrays: dict, prefix: str, where: str):
    if a.dtype.kind in "biufU":
        key = f"{prefix}.{len(arrays)}"
        arrays[key] = a
        return {"array": key}
    if a.dtype == object and a.size and all(type(v) is str for v in a.flat):
        key = f"{prefix}.{len(arrays)}"
        arrays[key] = a.astype(str)
        return {"array": key, "object": True}
    if a.dtype == object:
        items = [_plain_item(v, where) for v in a.flat]
        return {"objects": items, "shape": list(a.shape)}
    raise TypeError(f"cannot save {where}: an array of {a.dtype}")


def _plain_item(v, where):
    if v is None or type(v) in (str, bool, int, float):
        return v
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        return v.item()
    raise TypeError(f"cannot save {where}: it holds a {type(v).__name__}")


# ---- decode -------------------------------------------------------------------------------------
def decode(node, arrays: dict, path):
    """The value that :func:`encode` wrote as ``node``; ``ValueError`` for anything else."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise ValueError(f"{path}: malformed preprocessing entry {str(node)[:60]!r}")
    tag = next(iter(node))
    value = node[tag]
    if tag in ("list", "tuple", "set") and isinstance(value, list):
        items = [decode(v, arrays, path) for v in value]
        return {"list": list, "tuple": tuple, "set": set}[tag](items)
    if tag == "dict" and isinstance(value, list):
        if not all(isinstance(p, list) and len(p) == 2 for p in value):
            raise ValueError(f"{path}: malformed preprocessing dict")
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k, _ in value):
            raise ValueError(f"{path}: preprocessing dict keys must be text or numbers")
        return {k: decode(v, arrays, path) for k, v in value}
    if tag == "slice" and isinstance(value, list) and len(value) == 3:
        if not all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value):
            raise ValueError(f"{path}: malformed slice in the preprocessing")
        return slice(*value)
    if tag == "array" and isinstance(value, str) and value in arrays:
        a = arrays[value]
        return a.astype(object) if node.get("object") is True else a
    if tag == "objects" and isinstance(value, list) and isinstance(node.get("shape"), list):
        return _objects(value, node["shape"], path)
    if tag == "scalar" and isinstance(value, list) and len(value) == 2:
        kind, number = value
        if kind not in DTYPES - {"object"} or not isinstance(number, (bool, int, float)):
            raise ValueError(f"{path}: malformed scalar in the preprocessing")
        return np.dtype(kind).type(number)
    if tag == "dtype" and value in DTYPES:
        return np.dtype(value)
    if tag == "type" and value in TYPES:
        return TYPES[value]
    if tag == "estimator" and isinstance(node.get("state"), dict):
        return _estimator(value, node["state"], arrays, path)
    raise ValueError(f"{path}: malformed or untrusted preprocessing entry {tag!r}")


def _objects(items, shape, path):
    if not all(v is None or isinstance(v, (str, bool, int, float)) for v in items):
        raise ValueError(f"{path}: malformed object array in the preprocessing")
    if not all(isinstance(n, int) and n >= 0 for n in shape) or np.prod(shape) != len(items):
        raise ValueError(f"{path}: an object array's shape does not match its items")
    a = np.empty(len(items), dtype=object)
    a[:] = items
    return a.reshape(shape)


def _estimator(name, state, arrays, path, trusted=TRUSTED):
    if name not in trusted:
        raise ValueError(
            f"{path}: the preprocessing names {str(name)[:80]!r}, which is not a step vectorlearn "
            "trusts; refusing to load it"
        )
    bad = [key for key in state if not ATTRIBUTE.match(key)]
    if bad:
        raise ValueError(f"{path}: the preprocessing sets invalid attributes {bad[:3]}")
    cls = _class(name)
    failure = f"{path}: refusing its preprocessing"
    _check_keys(cls, state, failure)
    obj = cls.__new__(cls)
    obj.__dict__.update({key: decode(v, arrays, path) for key, v in state.items()})
    if name == "sklearn.pipeline.Pipeline" and getattr(obj, "memory", None) is not None:
        raise ValueError(f"{path}: a saved Pipeline may not name a cache folder (memory)")
    if name in TEXT_VECTORIZERS and getattr(obj, "input", None) != "content":
        raise ValueError(
            f"{path}: a saved text vectorizer must read the text it is given (input='content'); "
            "one that opens files named in the data is refused"
        )
    _vectorizer_state.check_n_jobs(obj, failure)
    if name in TEXT_VECTORIZERS:
        _vectorizer_state.check_params(obj, failure)
    try:
        obj._validate_params()
    except (AttributeError, TypeError, ValueError) as error:
        reason = " ".join(str(error).split())[:200]
        raise ValueError(f"{path}: invalid preprocessing step {name}: {reason}") from None
    _vectorizer_state.check_fitted(obj, failure)
    return obj


def _check_keys(cls, state, failure: str) -> None:
    """No attribute set from a file may hide what its class defines (a method, a property,
    settings such as ``_parameter_constraints``, which would switch off the parameter checks),
    except the constructor's parameters."""
    params = set(cls._get_param_names())
    hidden = [key for key in state if hasattr(cls, key) and key not in params]
    if hidden:
        raise ValueError(
            f"{failure}: the {cls.__name__}'s attributes {hidden[:3]} would replace what its "
            "class defines (methods, properties, class settings); a saved step holds only "
            "parameters and fitted values"
        )


def _check_state(obj, name: str, failure: str) -> None:
    """What saving refuses, so that every saved step loads: attributes that hide the class's
    own, and text vectorizers outside the bounds in ``_vectorizer_state``."""
    _check_keys(type(obj), vars(obj), failure)
    if name in TEXT_VECTORIZERS:
        _vectorizer_state.check_params(obj, failure)


# ---- the target transform of a regression model ------------------------------------------------
def encode_target_transform(wrapper, arrays: dict) -> dict:
    """A ``TransformedTargetRegressor`` (a ``StandardScaler`` on the target, no functions) as
    tagged JSON, without its regressor (the caller stores that)."""
    _check_target_transform(wrapper, "cannot save the target transform")
    state = {
        key: encode(value, arrays, "target_transform", f"target transform.{key}")
        for key, value in vars(wrapper).items()
        if key not in ("regressor", "regressor_")
    }
    return {"estimator": TARGET_TRANSFORM, "state": state}


def decode_target_transform(node, arrays: dict, path, regressor):
    """The ``TransformedTargetRegressor`` that :func:`encode_target_transform` wrote as
    ``node``, around the loaded ``regressor``; ``ValueError`` for anything else."""
    if not isinstance(node, dict) or set(node) != {"estimator", "state"}:
        raise ValueError(f"{path}: malformed target transform")
    state = node["state"]
    if node["estimator"] != TARGET_TRANSFORM or not isinstance(state, dict):
        raise ValueError(
            f"{path}: the target transform names {str(node['estimator'])[:80]!r}, not "
            f"{TARGET_TRANSFORM}; refusing to load it"
        )
    if set(state) != TARGET_STATE | {"transformer_"}:
        raise ValueError(f"{path}: the target transform has unexpected attributes")
    state = {**state, "regressor": None}  # the regressor is set below, once it is checked
    wrapper = _estimator(TARGET_TRANSFORM, state, arrays, path, trusted={TARGET_TRANSFORM})
    _check_target_transform(wrapper, f"{path}: refusing the target transform")
    from sklearn.base import clone

    wrapper.regressor_, wrapper.regressor = regressor, clone(regressor)
    return wrapper


def _check_target_transform(wrapper, failure: str) -> None:
    """A plain standardization of a one-column target, fitted: nothing else is stored."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    if type(wrapper) is not TransformedTargetRegressor:
        raise TypeError(
            f"{failure}: a {type(wrapper).__name__} is not a TransformedTargetRegressor"
        )
    if wrapper.func is not None or wrapper.inverse_func is not None:
        raise ValueError(f"{failure}: it names functions (func, inverse_func must be None)")
    scaler = getattr(wrapper, "transformer_", None)
    if type(wrapper.transformer) is not StandardScaler or type(scaler) is not StandardScaler:
        raise ValueError(f"{failure}: its transformer must be a StandardScaler")
    try:
        mean, scale = np.asarray(scaler.mean_, float), np.asarray(scaler.scale_, float)
        fitted = scaler.n_features_in_ == 1 and mean.shape == scale.shape == (1,)
    except (AttributeError, TypeError, ValueError):
        fitted = False
    if not (fitted and np.isfinite(mean).all() and np.isfinite(scale).all() and scale[0] > 0):
        raise ValueError(f"{failure}: its StandardScaler is not fitted on one finite column")
    if wrapper._training_dim != 1 or type(wrapper.check_inverse) is not bool:
        raise ValueError(f"{failure}: it must be fitted on a one-column target")


def check_version(saved, path) -> None:
    """Warn, as scikit-learn does, when the preprocessing was fitted by another version."""
    import sklearn

    if saved != sklearn.__version__:
        warnings.warn(
            f"{path}: its preprocessing was fitted with scikit-learn {saved!s:.20}; this is "
            f"{sklearn.__version__}, whose transformers may compute differently",
            UserWarning,
            stacklevel=3,
        )
