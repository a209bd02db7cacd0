"""Checkpoints: everything needed to continue training exactly where it stopped.

A checkpoint is an archive in the model files' safe format (NumPy ``.npz`` read with
``allow_pickle=False``, plus JSON) holding the network's weights, the best weights so far, the
optimizer's state (Adam's moments and step count, momentum's velocities, ...), the schedule's
state, the random generator's state, the epoch count and the history. Written after every
``checkpoint_every`` epochs through a temporary file and a rename, so a crash in the middle of a
write leaves the previous checkpoint whole. Resuming from it ends with bitwise the same weights as
a run that was never interrupted (tested by killing a training process).

Reading one trusts nothing: the class must be the estimator's, the architecture, solver and
precision must match the estimator that resumes, every array must have the shape the network
declares and hold finite numbers, and every number must be of the right type.
"""

from __future__ import annotations

import math

import numpy as np

from ._archive import read_archive, regular_entries, write_archive
from ._version import __version__
from .core.backend import device, move, namespace, to_numpy
from .core.training import History, LoopState

FORMAT = "vectorlearn-checkpoint"
FORMAT_VERSION = 1


def write_checkpoint(path, estimator, network, state: LoopState, optimizer, schedule, rng):
    """Write the training state after ``state.epoch`` epochs to ``path``, atomically."""
    arrays: dict[str, np.ndarray] = {}

    def put(name, values):
        if values is None:
            return None
        keys = [f"{name}.{i}" for i in range(len(values))]
        for key, value in zip(keys, values):
            arrays[key] = np.array(to_numpy(value))  # a copy: optimizer buffers change later
        return keys

    history = state.history
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "vectorlearn_version": __version__,
        **_identity(estimator, network, state.W[0]),
        "epoch": state.epoch,
        "best": None if math.isinf(state.best) else state.best,
        "stale": state.stale,
        "cost": state.cost,
        "history": {
            "loss": history.loss,
            "validation_loss": history.validation_loss,
            "validation_score": history.validation_score,
            "best_epoch": history.best_epoch,
            "converged": history.converged,  # a plateau stop: resuming with its settings stops too
        },
        "W": put("W", state.W),
        "B": put("B", state.B),
        "best_W": put("best_W", state.best_W),
        "best_B": put("best_B", state.best_B),
        "optimizer": {
            "class": type(optimizer).__name__,
            "state": {
                name: put(f"optimizer.{name}", value) if isinstance(value, (list, tuple)) else value
                for name, value in optimizer.state_dict().items()
            },
            "arrays": [
                n for n, v in optimizer.state_dict().items() if isinstance(v, (list, tuple))
            ],
        },
        "schedule": None
        if schedule is None
        else {"class": type(schedule).__name__, "state": dict(vars(schedule))},
        "rng": None if rng is None else rng.bit_generator.state,
    }
    write_archive(path, meta, arrays)


def read_checkpoint(path, estimator, network, optimizer, schedule, rng, like) -> LoopState:
    """Check a checkpoint against the estimator about to resume, restore the optimizer's, the
    schedule's and the generator's state in place, and return the loop's state.

    ``like`` is an array with the training data's namespace, dtype and device.
    """
    meta, arrays = read_archive(
        path,
        FORMAT,
        FORMAT_VERSION,
        "checkpoint",
        check=lambda m, s: _check_sizes(m, s, network, path),
    )
    for key, value in _identity(estimator, network, like).items():
        if meta.get(key) != value:
            raise ValueError(
                f"{path}: the checkpoint's {key} is {meta.get(key)!r}, but the model resuming "
                f"from it has {value!r}; resume with the same model and data"
            )
    xp, dev, dtype = namespace(like), device(like), like.dtype
    shapes = [(a, b) for a, b in zip(network.sizes[:-1], network.sizes[1:])]
    weight_shapes, bias_shapes = shapes, [(b, 1) for _, b in shapes]

    def take(keys, expected, name):
        if keys is None:
            return None
        if not isinstance(keys, list) or len(keys) != len(expected):
            raise ValueError(f"{path}: {name} does not match the network")
        values = []
        for key, shape in zip(keys, expected):
            if not isinstance(key, str) or key not in arrays:
                raise ValueError(f"{path}: the arrays of {name} are missing")
            value = arrays[key]
            if value.dtype.kind != "f" or tuple(value.shape) != tuple(shape):
                raise ValueError(f"{path}: {name} has the wrong shape or type")
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{path}: {name} holds NaN or infinite values")
            values.append(move(value, xp, dev, dtype))
        return values

    params = weight_shapes + bias_shapes
    W = take(meta.get("W"), weight_shapes, "W")
    B = take(meta.get("B"), bias_shapes, "B")
    if W is None or B is None:
        raise ValueError(f"{path}: the weights are missing")
    best_W = take(meta.get("best_W"), weight_shapes, "best_W") or W
    best_B = take(meta.get("best_B"), bias_shapes, "best_B") or B

    saved = meta.get("optimizer")
    if not isinstance(saved, dict) or saved.get("class") != type(optimizer).__name__:
        raise ValueError(f"{path}: the optimizer state is not {type(optimizer).__name__}'s")
    state = dict(saved.get("state") or {})
    for name in optimizer.state_dict():
        if name not in state:
            raise ValueError(f"{path}: the optimizer state lacks {name!r}")
        if name in (saved.get("arrays") or []):
            state[name] = take(state[name], params, f"optimizer {name}")
        elif not _number_or_none(state[name]):
            raise ValueError(f"{path}: the optimizer's {name} is not a number")
    optimizer.load_state_dict(state)

    if schedule is not None:
        saved = meta.get("schedule")
        if not isinstance(saved, dict) or saved.get("class") != type(schedule).__name__:
            raise ValueError(f"{path}: the learning-rate schedule does not match")
        for name, value in (saved.get("state") or {}).items():
            if name not in vars(schedule) or not _number_or_none(value):
                raise ValueError(f"{path}: bad schedule state {name!r}")
            setattr(schedule, name, value)
    if rng is not None:
        try:
            rng.bit_generator.state = meta.get("rng")
        except (TypeError, ValueError, KeyError) as error:
            raise ValueError(f"{path}: bad random generator state ({error})") from None

    epoch, stale = meta.get("epoch"), meta.get("stale")
    if not (_whole(epoch) and _whole(stale)):
        raise ValueError(f"{path}: the epoch count is not a whole number")
    saved = meta.get("history") or {}
    history = History(
        loss=_floats(saved.get("loss"), path),
        validation_loss=_floats(saved.get("validation_loss"), path),
        validation_score=_floats(saved.get("validation_score"), path),
        best_epoch=saved.get("best_epoch") if _whole(saved.get("best_epoch")) else None,
        converged=saved.get("converged", False),  # written since 2026-11-26
    )
    if not isinstance(history.converged, bool):
        raise ValueError(f"{path}: the history's converged flag is not true or false")
    if len(history.loss) != epoch:
        raise ValueError(f"{path}: the history does not match the epoch count")
    best, cost = meta.get("best"), meta.get("cost")
    if not (_number_or_none(best) and _number_or_none(cost)):
        raise ValueError(f"{path}: malformed loop state")
    return LoopState(
        W=W,
        B=B,
        epoch=epoch,
        history=history,
        best=math.inf if best is None else float(best),
        stale=stale,
        best_W=best_W,
        best_B=best_B,
        cost=cost,
    )


def _check_sizes(meta, specs, network, path) -> None:
    """Before any array is read: every entry is one the metadata names, of a shape the network
    has (a weight or a bias), so a checkpoint takes at most a few times the model's memory."""
    shapes = {(a, b) for a, b in zip(network.sizes[:-1], network.sizes[1:])}
    shapes |= {(b, 1) for b in network.sizes[1:]}
    named = set()
    for group in ("W", "B", "best_W", "best_B"):
        named |= _keys(meta.get(group))
    optimizer = meta.get("optimizer")
    state = optimizer.get("state") if isinstance(optimizer, dict) else None
    if isinstance(state, dict):
        for value in state.values():
            named |= _keys(value)
    regular_entries(specs, named, path)
    wrong = [key for key, spec in specs.items() if spec.shape not in shapes]
    if wrong:
        raise ValueError(f"{path}: {wrong[0]} has a shape the network does not have")


def _keys(value) -> set[str]:
    return {k for k in value if isinstance(k, str)} if isinstance(value, list) else set()


def _identity(estimator, network, array) -> dict:
    """What a checkpoint and the model resuming from it must agree on: with
    ``standardize_target``, the target statistics too (the same targets; None without; a
    checkpoint written before them has none)."""
    mean = getattr(estimator, "target_mean_", None)
    scaling = None
    if mean is not None:
        scaling = {"mean": mean.tolist(), "scale": estimator.target_scale_.tolist()}
    return {
        "estimator": type(estimator).__name__,
        "solver": estimator.solver,
        "network": {
            "sizes": list(network.sizes),
            "activation": network.activation,
            "head": network.head,
        },
        "dtype": np.dtype(to_numpy(array).dtype).name,
        "target_scaling": scaling,
    }


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number_or_none(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _floats(values, path) -> list[float]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(
        _number_or_none(v) and v is not None for v in values
    ):
        raise ValueError(f"{path}: the history is malformed")
    return [float(v) for v in values]
