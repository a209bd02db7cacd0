"""L-BFGS for small problems: SciPy's L-BFGS-B on the full-batch cost and gradient.

It takes the same data, :class:`~.training.TrainConfig` and :class:`~.training.Hooks` as
:func:`~.training.train`, and refuses by name what it cannot honour (mini-batches, dropout, early
stopping, a learning-rate schedule, checkpoints), rather than ignoring it.
"""

from __future__ import annotations

import math

import numpy as np

from .backend import like, to_numpy
from .stability import penalty_overflow
from .training import (
    History,
    Hooks,
    InMemory,
    LoopState,
    TrainConfig,
    TrainingDiverged,
    epoch_info,
    record_validation,
)


def check_lbfgs_options(config: TrainConfig, hooks: Hooks) -> None:
    """Raise a ValueError naming the first setting that L-BFGS cannot honour."""
    refused = {
        "batch_size": config.batch_size is not None,
        "dropout": bool(config.dropout),
        "early_stopping": config.early_stopping,
        "schedule": hooks.schedule is not None,
        "resume": hooks.resume is not None,
    }
    for name, given in refused.items():
        if given:
            raise ValueError(
                f"L-BFGS cannot honour {name}: it minimizes the full-batch cost inside SciPy, "
                "without mini-batches, dropout, early stopping, a learning-rate schedule or "
                "checkpoints; use an epoch-based optimizer for it"
            )


def train_lbfgs(network, W, B, X, Y=None, *, config=None, hooks=None):
    """Minimize the full-batch cost with SciPy's L-BFGS-B; return ``(W, B, history)``.

    ``X``, ``Y`` as in :func:`~.training.train`; of ``config`` it reads ``max_epochs`` (the
    iterations; 0 returns the starting weights), ``max_fun`` (the cost evaluations), ``tol`` (the
    gradient tolerance), ``l2`` and ``verbose``; of ``hooks`` the validation data, scorer, callbacks
    and ``on_epoch_end`` (with a :class:`~.training.LoopState` of the iteration's weights), once per
    iteration, and ``should_stop``: when it turns true, L-BFGS stops after the current iteration,
    keeps its weights and sets ``history.interrupted``. SciPy works on one float64 vector, so each
    evaluation unpacks it into ``W``, ``B`` in the parameters' namespace, dtype and device, runs one
    vectorized ``cost_and_gradients``, and packs the gradients back. Without
    ``network.fit_intercept`` the vector holds ``W`` alone and every ``B_l`` stays as given.
    """
    data = X if Y is None else InMemory(X, Y)
    config = TrainConfig(max_epochs=100) if config is None else config
    hooks = Hooks() if hooks is None else hooks
    check_lbfgs_options(config, hooks)
    network.check_shapes(W, B)
    data.check(network)
    place, L = W[0], network.n_layers  # place: where W lives, its dtype
    fixed = [] if network.fit_intercept else list(B)  # intercepts the optimizer never sees
    shapes = [tuple(p.shape) for p in (W + B if network.fit_intercept else W)]
    sizes = [math.prod(s) for s in shapes]
    if config.max_epochs == 0:
        return W, B, History()

    def unpack(theta):
        parts = np.split(theta, np.cumsum(sizes)[:-1])
        return [like(np.reshape(part, s), place) for part, s in zip(parts, shapes)] + fixed

    def fun(theta):
        params = unpack(theta)
        J, dW, dB = data.cost_and_gradients(network, params[:L], params[L:], config.l2)
        moving = dW + dB if network.fit_intercept else dW
        grad = np.concatenate([to_numpy(g).astype(np.float64).ravel() for g in moving])
        return float(J), grad

    history = History()

    def record(intermediate_result):
        history.loss.append(float(intermediate_result.fun))
        params = unpack(np.array(intermediate_result.x))  # a copy: SciPy reuses its vector
        if hooks.validation is not None:
            record_validation(
                history, network, params[:L], params[L:], hooks.validation, hooks.scorer
            )
        if hooks.on_epoch_end is not None:
            state = LoopState(params[:L], params[L:], history.n_epochs, history)
            hooks.on_epoch_end(state)
        n = history.n_epochs
        if config.verbose and n % config.verbose == 0:
            print(f"iteration {n}: cost {history.loss[-1]:.6f}", flush=True)
        if any([cb(epoch_info(n - 1, history, None)) for cb in hooks.callbacks]):
            raise StopIteration
        if hooks.should_stop is not None and hooks.should_stop():
            history.interrupted = True
            raise StopIteration  # SciPy returns this iteration's weights

    import scipy.optimize  # here, not at import: the core loads in predict, which needs no SciPy

    start = W + B if network.fit_intercept else W
    theta0 = np.concatenate([to_numpy(p).astype(np.float64).ravel() for p in start])
    with np.errstate(over="ignore", invalid="ignore"):
        result = scipy.optimize.minimize(
            fun,
            theta0,
            jac=True,
            method="L-BFGS-B",
            callback=record,
            options={
                "maxiter": config.max_epochs,
                "maxfun": 15000 if config.max_fun is None else config.max_fun,
                "maxls": 50,
                "gtol": config.tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
    if not np.isfinite(result.fun):
        with np.errstate(over="ignore", invalid="ignore"):
            start_cost = fun(theta0)[0] if config.l2 else None
        penalty = penalty_overflow(W, config.l2, cost=start_cost)
        raise TrainingDiverged(history.n_epochs, None, W, B, penalty)
    params = unpack(result.x)
    history.converged = bool(result.status == 0)
    history.evaluations_spent = bool(result.status == 1)  # maxiter or maxfun reached
    history.best_epoch = history.n_epochs
    return params[:L], params[L:], history
