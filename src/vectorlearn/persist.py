"""Save and load models in a format that cannot run code: NumPy arrays in a ``.npz`` plus JSON.

A model file is one ``.npz`` archive (a zip of ``.npy`` arrays, see ``_archive``) holding:

- ``__metadata__``: a JSON text with the format name and version, the vectorlearn version that
  wrote it, the estimator's class (one of vectorlearn's, by name), its hyper-parameters, its fitted
  attributes that are not arrays, and any ``info`` the caller attached;
- one array per fitted array (``coefs_.0``, ``coefs_.1``, ``classes_``, ...);
- for a :class:`~sklearn.pipeline.Pipeline`, the preprocessing steps (everything before the final
  vectorlearn estimator) as plain state: exact scikit-learn classes from a fixed list, their
  attributes as tagged JSON, their arrays beside them (``preprocessing.N``; see ``_sklearn_state``).

Loading checks everything before it builds the model: sizes and types of every entry before
decompressing it, the format and its version, the class name, the parameters, that every
attribute is one the class has and agrees with every other (``_fitted_checks``), that every weight
is finite. Format 1 stored the preprocessing with skops; such files are refused, not loaded.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from array_api_compat import is_array_api_obj
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from . import _fitted_checks, _sklearn_state
from ._archive import DEFAULT_MAX_BYTES, read_archive, regular_entries, write_archive
from ._version import __version__
from .core.backend import to_numpy
from .estimators import LogisticRegression, MLPClassifier, MLPRegressor
from .estimators._base import validate_params

FORMAT, FORMAT_VERSION = _fitted_checks.FORMAT, _fitted_checks.FORMAT_VERSION
TARGET_FORMAT_VERSION = _fitted_checks.TARGET_FORMAT_VERSION
NEWER_PARAMETERS = _fitted_checks.NEWER_PARAMETERS
ESTIMATORS = {cls.__name__: cls for cls in (LogisticRegression, MLPClassifier, MLPRegressor)}
ATTRIBUTES = _fitted_checks.ATTRIBUTES


# ---- save ---------------------------------------------------------------------------------------
def save(model, path, *, info: dict | None = None) -> None:
    """Write ``model`` (a fitted vectorlearn estimator, or a Pipeline ending in one) to ``path``.

    ``info`` is any JSON-serializable dict stored beside the model (read it with
    :func:`load_info`). The file is written to a temporary file and renamed into place, so a
    crash never leaves half a model behind.
    """
    import sklearn

    arrays: dict[str, np.ndarray] = {}
    meta = {
        "format": FORMAT,
        "format_version": 2,
        "vectorlearn_version": __version__,
        "info": info or {},
    }
    if isinstance(model, Pipeline):
        *steps, (name, final) = model.steps
        final = _target_transform(final, meta, arrays)
        _check_estimator(final)
        meta["pipeline"] = {
            "final_step": name,
            "scikit_learn_version": sklearn.__version__,
            "preprocessing": _sklearn_state.encode(Pipeline(steps), arrays, "preprocessing"),
        }
    else:
        final = _target_transform(model, meta, arrays)
        _check_estimator(final)
    meta["estimator"] = _describe(final, arrays)
    if getattr(final, "standardize_target", False):  # target statistics: see NEWER_PARAMETERS
        meta["format_version"] = TARGET_FORMAT_VERSION
    write_archive(path, meta, arrays)


def _target_transform(final, meta, arrays):
    """The vectorlearn estimator inside ``final``: a ``TransformedTargetRegressor`` (a
    standardized regression target) is stored beside it as plain state, in format 3, which an
    older vectorlearn refuses rather than predict in the wrong units."""
    from sklearn.compose import TransformedTargetRegressor

    if not isinstance(final, TransformedTargetRegressor):
        return final
    meta["format_version"] = TARGET_FORMAT_VERSION
    meta["target_transform"] = _sklearn_state.encode_target_transform(final, arrays)
    return getattr(final, "regressor_", None)


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
        if scipy.sparse.issparse(value):  # a coef_ after sparsify(): saved dense
            value = value.toarray()
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
    params = {
        k: _tagged(v, k)
        for k, v in model.get_params(deep=False).items()
        if not (k in NEWER_PARAMETERS and v is NEWER_PARAMETERS[k])
    }
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


# ---- load ---------------------------------------------------------------------------------------
def load(path, *, max_bytes: int = DEFAULT_MAX_BYTES):
    """Read a model written by :func:`save`; raise ``ValueError`` for anything else.

    Nothing in the file is executed and nothing unchecked is decompressed: the arrays' declared
    shapes must fit the model the metadata describes, and together stay under ``max_bytes``
    (2 GiB by default), before any is read, with ``allow_pickle=False``; the class comes from a
    fixed table of vectorlearn estimators; pipeline steps are exact scikit-learn classes from a
    fixed list, rebuilt from plain values (see ``_sklearn_state``).
    """
    layout = {}
    meta, arrays = read_archive(
        path,
        FORMAT,
        FORMAT_VERSION,
        "model",
        check=lambda meta, specs: layout.update(_check_layout(meta, specs, path)),
        max_bytes=max_bytes,
    )
    model = _build(layout, arrays, path)
    if "target_transform" in meta:
        try:
            model = _sklearn_state.decode_target_transform(
                meta["target_transform"], arrays, path, model
            )
        except (TypeError, KeyError, IndexError, AttributeError) as error:
            raise ValueError(f"{path}: the target transform is malformed ({error})") from None
    if "pipeline" not in meta:
        return model
    pipeline = meta["pipeline"]
    _sklearn_state.check_version(pipeline.get("scikit_learn_version"), path)
    try:
        preprocessing = _sklearn_state.decode(pipeline["preprocessing"], arrays, path)
    except (TypeError, KeyError, IndexError, AttributeError) as error:
        raise ValueError(f"{path}: the preprocessing steps are malformed ({error})") from None
    if not isinstance(preprocessing, Pipeline) or not isinstance(preprocessing.steps, list):
        raise ValueError(f"{path}: the preprocessing is not a scikit-learn Pipeline")
    return Pipeline([*preprocessing.steps, (pipeline["final_step"], model)])


def load_info(path) -> dict:
    """The ``info`` dict that :func:`save` stored beside the model."""
    return read_archive(path, FORMAT, FORMAT_VERSION, "model", check=_check_meta)[0]["info"]


def _check_meta(meta, specs=None) -> None:
    _fitted_checks.check_info(meta)


def _check_layout(meta, specs, path) -> dict:
    """Everything that can be checked before the arrays are read: the metadata's types, the
    parameters, and every array's shape and dtype against the model they describe."""
    name, params, attributes = _fitted_checks.check_metadata(meta, path)
    try:
        model = ESTIMATORS[name](**{k: _fitted_checks.untagged(v) for k, v in params.items()})
        validate_params(model)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: invalid parameters for {name}: {error}") from None
    shapes = _fitted_checks.attribute_values(name, attributes, specs, path)
    _fitted_checks.check_consistent(model, shapes, path)
    regular_entries(specs, _fitted_checks.entries(meta), path)
    return {"model": model, "attributes": attributes}


def _build(layout, arrays, path):
    model = layout["model"]
    name = type(model).__name__
    values = _fitted_checks.attribute_values(name, layout["attributes"], arrays, path)
    for attribute, value in values.items():
        setattr(model, attribute, value)
    if hasattr(model, "feature_names_in_"):
        model.feature_names_in_ = model.feature_names_in_.astype(object)
    _fitted_checks.check_values(model, path)
    return model
