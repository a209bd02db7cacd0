"""A trained model as the commands that use it read it (``predict``, ``evaluate``, ``summary``):
the model, its column roles and the ``info`` saved beside it."""

from __future__ import annotations

import os
from itertools import chain

from ..tabular import ColumnRoles
from . import _plain_model
from ._run_folder import MODEL_FILE


def model_file(path) -> str:
    """The model file of ``path``: a run folder's, or ``path`` itself."""
    return os.path.join(path, MODEL_FILE) if os.path.isdir(path) else path


def load_bundle(path):
    """The model Pipeline in ``path`` (a run folder or a model file), its column roles and info.

    Whatever a malformed file makes the loader raise becomes one ``ValueError`` naming the file
    (an ``OSError``, such as a missing permission, stays one).
    """
    from sklearn.pipeline import Pipeline

    from ..persist import load, load_info

    file = model_file(path)
    try:
        model = load(file)
        info = load_info(file)
    except (ValueError, OSError):
        raise
    except RecursionError:
        raise ValueError(
            f"{file} is not a readable vectorlearn model file: it is nested too deeply"
        ) from None
    except MemoryError:
        raise ValueError(
            f"{file} is not a readable vectorlearn model file: reading it needs more memory than "
            "there is"
        ) from None
    except Exception as error:  # a malformed file may make any parser fail: say so in one line
        raise ValueError(
            f"{file} is not a readable vectorlearn model file ({type(error).__name__}: {error})"
        ) from error
    if not isinstance(model, Pipeline) or not isinstance(info, dict) or "roles" not in info:
        raise ValueError(f"{file} is a model without its column roles; train it with the CLI")
    return model, _roles(file, info), info


def plain_bundle(path):
    """As :func:`load_bundle`, the model read with NumPy alone (``_plain_model``), or None
    where that reader declines the file or fails on it in any way: ``load_bundle`` then reads
    it, or says in one line what is wrong with it."""
    file = model_file(path)
    try:
        found = _plain_model.read(file)
        if found is None or "roles" not in found[1]:
            return None
        return found[0], _roles(file, found[1]), found[1]
    except Exception:  # the full loader's message is the one to show
        return None


def _roles(file, info: dict) -> ColumnRoles:
    """The column roles ``info`` holds, checked, and its task."""
    try:
        roles = ColumnRoles.from_dict(info["roles"])
        lists = [roles.numeric, roles.categorical, roles.dropped, roles.dates, roles.text]
        if not all(isinstance(names, list) for names in lists):
            raise TypeError
        if not all(isinstance(name, str) for name in [roles.target, *chain(*lists)]):
            raise TypeError
    except TypeError:
        raise ValueError(f"{file}: its column roles are malformed") from None
    if info.get("task") not in ("classification", "regression"):
        raise ValueError(f"{file}: its task {info.get('task')!r} is not one the CLI knows")
    return roles
