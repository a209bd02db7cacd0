"""The one fit path: ``fit``, ``partial_fit`` and ``LogisticRegression.fit`` all run
:func:`fit_network`.

It checks the request (options the solver cannot honour are refused by name, the checkpoint's
folder must be writable), prepares the data once (:func:`~._data.prepare`), stores the targets'
fitted attributes (``fit`` and ``partial_fit``'s first call only), lets the estimator build its
network, weights and solver settings, and runs the solver: L-BFGS or the epoch loop, with
checkpoints, Ctrl-C and one BLAS thread for small mini-batches.

What an estimator provides: ``_begin(data, rng, warm, partial) -> (network, W, B)``,
``_solver(network, data, rng, partial) -> (optimizer, TrainConfig, schedule)``,
``_lbfgs_refuses() -> {parameter: given}``, ``_store(network, W, B)``, ``_diverged(error)``.
"""

from __future__ import annotations

import contextlib
import functools
import math
import signal
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .. import _params
from .._files import check_writable
from ..checkpoint import read_checkpoint, write_checkpoint
from ..core.backend import is_dask, is_sparse, namespace, to_numpy
from ..core.lbfgs import train_lbfgs
from ..core.training import Hooks, InMemory, TrainingDiverged, columns, train
from ._data import prepare, validation_columns


@dataclass(frozen=True)
class FitRequest:
    """What one call of ``fit`` or ``partial_fit`` asks for, besides ``X`` and ``y``."""

    sample_weight: Any = None
    class_weight: Any = None
    validation_data: Any = None
    callbacks: Sequence = ()
    checkpoint: Any = None
    checkpoint_every: Any = 1
    resume: Any = None
    partial: bool = False  # partial_fit: one epoch, continuing from the last call
    classes: Any = None  # partial_fit's first call: every label of the stream
    on_iteration: Any = None  # called with the LoopState after each L-BFGS iteration or epoch


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training between two mini-batches (or after an L-BFGS iteration); the
    estimator holds the weights so far."""


def fit_network(estimator, X, y, request: FitRequest):
    """Fit ``estimator`` on ``X`` (m, n) and ``y``, as ``request`` asks; return it."""
    partial = request.partial
    first = not (partial and _fitted(estimator))
    if first:
        _params.validate(estimator)
    _check_request(estimator, X, request)
    warm = not first if partial else bool(estimator.warm_start) and _fitted(estimator)
    reset = first and not (warm and estimator._warm_start_checks_features)
    classes = request.classes if first else getattr(estimator, "classes_", None)
    scaling = None if first else fitted_scaling(estimator)  # partial_fit: the first call's
    data = prepare(
        estimator, X, y, request.sample_weight, request.class_weight, reset=reset,
        classes=classes, scaling=scaling,
    )  # fmt: skip
    if warm and not partial and hasattr(estimator, "_check_warm_targets"):
        estimator._check_warm_targets(data.targets)  # before classes_ changes
    if first:  # fitted attributes of the targets: from fit's y only, never validation data
        _store_targets(estimator, data.targets)
    if not hasattr(estimator, "random_state"):
        rng = None  # a convex model: zeros to start, full batches in order
    elif partial and getattr(estimator, "_rng", None) is not None:
        rng = estimator._rng  # partial_fit goes on drawing from the generator of the last call
    else:
        rng = estimator._rng = make_rng(estimator.random_state)
    network, W, B = estimator._begin(data, rng, warm, partial)
    validation = validation_columns(estimator, request.validation_data, data)
    if validation is None and getattr(estimator, "early_stopping", False) and not partial:
        if data.y is None:
            raise ValueError(
                "early stopping on Dask data needs validation_data=(X_val, y_val): the "
                "validation rows are not split off a distributed array."
            )
        data, validation = data.split(*estimator._validation_split(to_numpy(data.y), rng))
    optimizer, config, schedule = estimator._solver(network, data, rng, partial)
    hooks = Hooks(validation, _scorer(estimator, network, validation), schedule, request.callbacks)
    hooks = replace(hooks, on_epoch_end=request.on_iteration)
    try:
        W, B, history = _solve(estimator, network, W, B, data, optimizer, config, hooks, request)
    except TrainingDiverged as error:
        estimator._store(network, error.W, error.B)  # the last weights with a finite cost
        raise estimator._diverged(error) from None
    estimator._store(network, W, B)
    _store_history(estimator, history, validation is not None, partial, data.batches)
    if hasattr(estimator, "_store_progress"):  # the MLPs' scikit-learn attributes (t_, ...)
        estimator._store_progress(history, data.batches.shape[1], warm or partial)
    raise_if_interrupted(estimator, history)
    return estimator


def _scorer(estimator, network, validation):
    """``scorer(K)``: the validation score from the validation logits ``K``, or None."""
    if validation is None:
        return None

    def scorer(K):
        return estimator._score_logits(network, K, validation[1])

    return scorer


def _fitted(estimator) -> bool:
    return hasattr(estimator, "coefs_") or hasattr(estimator, "coef_")


def _check_request(estimator, X, request: FitRequest) -> None:
    """Refuse, before any work, what this solver cannot do, naming the option."""
    lbfgs = estimator.solver == "lbfgs"
    if request.partial:
        if lbfgs:
            raise ValueError(
                "partial_fit needs a mini-batch solver: set solver to 'adam', 'momentum' or 'gd'."
            )
        if is_dask(X):
            raise TypeError("partial_fit takes in-memory chunks; fit trains on Dask arrays")
    if lbfgs and (request.checkpoint is not None or request.resume is not None):
        name = "checkpoint" if request.checkpoint is not None else "resume"
        raise ValueError(
            f"{name}: checkpoints need an epoch-based solver ('gd', 'momentum', 'adam'); L-BFGS "
            "keeps its state inside SciPy"
        )
    if lbfgs:
        for name, given in estimator._lbfgs_refuses().items():
            if given:
                raise ValueError(
                    f"solver='lbfgs' cannot honour {name}={getattr(estimator, name)!r}: L-BFGS "
                    "minimizes the full-batch cost inside SciPy (no mini-batches, dropout, "
                    f"learning-rate schedule or early stopping); leave {name} at its default "
                    "or choose an epoch-based solver"
                )
    if request.checkpoint is not None:
        every = request.checkpoint_every
        if not (isinstance(every, int) and not isinstance(every, bool) and every >= 1):
            raise ValueError(f"checkpoint_every must be a whole number >= 1, got {every!r}")
        check_writable(request.checkpoint)  # ValueError naming the path, before epoch 1


def _store_targets(estimator, targets) -> None:
    if targets.classes is not None:
        estimator.classes_ = targets.classes
        if getattr(estimator, "_multilabel_allowed", False):
            estimator._is_multilabel_target = targets.multilabel
    else:
        estimator._y_ndim = targets.y_ndim
        if targets.scaling is not None:  # standardize_target: NumPy float64 (n_outputs,)
            estimator.target_mean_, estimator.target_scale_ = targets.scaling
        else:
            for name in ("target_mean_", "target_scale_"):
                estimator.__dict__.pop(name, None)


def fitted_scaling(estimator):
    """A fitted regressor's target standardization ``(target_mean_, target_scale_)``, or None."""
    mean = getattr(estimator, "target_mean_", None)
    return None if mean is None else (mean, estimator.target_scale_)


def _solve(estimator, network, W, B, data, optimizer, config, hooks, request):
    """L-BFGS or the epoch loop, with checkpoints, Ctrl-C and the BLAS threads it needs."""
    rng, schedule = config.rng, hooks.schedule
    if request.resume is not None:
        resume = read_checkpoint(
            request.resume, estimator, network, optimizer, schedule, rng, data.like
        )
        hooks = replace(hooks, resume=resume)
    if request.checkpoint is not None:
        path, every = request.checkpoint, request.checkpoint_every

        also = hooks.on_epoch_end

        def on_epoch_end(state):
            if also is not None:
                also(state)
            if state.epoch % every == 0:
                write_checkpoint(path, estimator, network, state, optimizer, schedule, rng)

        hooks = replace(hooks, on_epoch_end=on_epoch_end)
    with blas_threads_for(data.batches, config.batch_size), interruptible() as stop:
        hooks = replace(hooks, should_stop=stop)
        if estimator.solver == "lbfgs":
            return train_lbfgs(network, W, B, data.batches, config=config, hooks=hooks)
        return train(network, W, B, data.batches, optimizer=optimizer, config=config, hooks=hooks)


def _store_history(estimator, history, validated: bool, partial: bool, batches=None) -> None:
    if partial:
        estimator.n_iter_ = getattr(estimator, "n_iter_", 0) + history.n_epochs
        estimator.loss_curve_ = [*getattr(estimator, "loss_curve_", []), *history.loss]
        estimator.best_epoch_ = estimator.n_iter_
        return
    n_iter = history.n_epochs  # LogisticRegression: as an array, as in scikit-learn
    estimator.n_iter_ = estimator._n_iter(n_iter) if hasattr(estimator, "_n_iter") else n_iter
    estimator.loss_curve_ = history.loss
    estimator.validation_loss_curve_ = history.validation_loss if validated else None
    estimator.validation_scores_ = history.validation_score if validated else None
    if hasattr(estimator, "early_stopping"):  # the MLPs
        estimator.best_epoch_ = history.best_epoch  # best_validation_score_: _store_progress
    spent = history.n_epochs >= estimator.max_iter
    if not (history.converged or history.interrupted) and (spent or history.evaluations_spent):
        unit = "iterations" if estimator.solver == "lbfgs" else "epochs"
        name, limit = (
            ("max_iter", f"{estimator.max_iter} {unit}")
            if spent
            else ("max_fun", f"{getattr(estimator, 'max_fun', 15000)} cost evaluations")
        )
        lbfgs = estimator.solver == "lbfgs"  # scikit-learn's words first
        words = f"lbfgs failed to converge after {history.n_epochs} iteration(s): " if lbfgs else ""
        advice = ", or standardize the features" if far_from_unit_scale(batches) else ""
        warnings.warn(
            f"{words}{type(estimator).__name__} did not converge in {name}={limit}; increase "
            f"{name}{advice}.",
            ConvergenceWarning,
            stacklevel=4,
        )


SCALE_SAMPLE = 1000  # examples looked at to judge the features' scale
FAR_FROM_UNIT = 10.0  # a column std or |mean| beyond this (or all stds below 1 / it) is far


def far_from_unit_scale(batches) -> bool:
    """Whether the features look unstandardized, judged on at most ``SCALE_SAMPLE`` examples
    (evenly spaced; on Dask, the first rows of the first block), so that it costs next to
    nothing beside training: some column's standard deviation or ``|mean|`` above
    ``FAR_FROM_UNIT`` (10), or (dense data only) every column's standard deviation below 1/10.
    Small spreads of single columns (a rare one-hot category, a constant) do not count: scaling
    would not help them. Nor do small spreads of sparse data (TF-IDF: every column's is small),
    which is rarely standardized (centring it would make it dense). True when the data cannot be
    looked at."""
    X = getattr(batches, "X", None)  # InMemory: (n, m), examples as columns
    if X is None:
        head = getattr(batches, "head", None)
        if head is None:
            return True
        X = head(SCALE_SAMPLE).T  # (n, k) NumPy
    m = X.shape[1]
    if m > SCALE_SAMPLE:
        X = columns(X, np.linspace(0, m - 1, SCALE_SAMPLE).astype(np.intp), namespace(X))
    if is_sparse(X):  # O(nnz): E[x] and E[x^2] of each feature, no dense copy
        mean = np.asarray(X.mean(axis=1)).ravel()  # (n,)
        var = np.asarray(X.multiply(X).mean(axis=1)).ravel() - mean**2  # (n,)
        std, big_mean = math.sqrt(max(float(var.max()), 0.0)), float(np.abs(mean).max())
        return std > FAR_FROM_UNIT or big_mean > FAR_FROM_UNIT
    xp = namespace(X)
    std = float(xp.max(xp.std(X, axis=1)))  # the largest column std
    big_mean = float(xp.max(xp.abs(xp.mean(X, axis=1))))
    return not (1 / FAR_FROM_UNIT <= std <= FAR_FROM_UNIT) or big_mean > FAR_FROM_UNIT


@contextlib.contextmanager
def interruptible(enabled: bool = True):
    """While training, a first Ctrl-C asks the solver to stop after the current mini-batch (or
    L-BFGS iteration; yields the ``should_stop`` function); a second one interrupts at once, as
    usual. Only the main thread can catch signals; elsewhere this does nothing."""
    requested = []
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def handler(signum, frame):
        if requested:
            raise KeyboardInterrupt
        requested.append(True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(requested)
    finally:
        signal.signal(signal.SIGINT, previous)


def raise_if_interrupted(estimator, history) -> None:
    """After the weights so far are stored: tell the caller that Ctrl-C stopped training."""
    if not history.interrupted:
        return
    name = type(estimator).__name__
    if getattr(estimator, "solver", None) == "lbfgs":
        raise TrainingInterrupted(
            f"{name}: L-BFGS stopped by Ctrl-C after iteration {history.n_epochs}; the model "
            "holds the weights of that iteration"
        )
    raise TrainingInterrupted(
        f"{name}: training stopped by Ctrl-C during epoch {history.n_epochs + 1}; the model "
        "holds the weights after the last mini-batch"
    )


SMALL_BATCH = 4096  # up to this many examples per step, one BLAS thread is as fast or faster


def blas_threads_for(data, batch_size):
    """One BLAS thread for NumPy mini-batches: their small matrix products gain nothing from a
    second thread, and a two-thread OpenBLAS pool collapses (measured 0.15 s against 7 s per
    epoch at batch 256) when another process shares the cores. Full batches keep every thread."""
    in_numpy = isinstance(data, InMemory) and isinstance(data.X, np.ndarray)
    if not in_numpy or batch_size is None or batch_size > SMALL_BATCH:
        return contextlib.nullcontext()
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller():
    """threadpoolctl's view of the loaded thread pools, made once per process: building it scans
    every loaded library (4 ms, most of a small data set's fit). NumPy's BLAS, the one the
    mini-batches use, is loaded before any fit."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def make_rng(random_state) -> np.random.Generator:
    """The one NumPy generator that drives initialization, shuffling and dropout."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**32 - 1))
    return np.random.default_rng(random_state)
