"""The training loop shared by every model: epochs x mini-batches.

``train`` is the lecture's loop with the inner two loops replaced by matrix products::

    for epoch in range(max_epochs):          # the only Python loop over data that remains
        for batch in minibatches:            # one batch = every example when batch_size is None
            J, dW, dB = cost_and_gradients(...)   # all examples and features at once
            W, B = W - alpha * dW, B - alpha * dB  # (or momentum / Adam)

The outer loop is :func:`train`, the inner one :meth:`InMemory.epoch`. Its settings are one
:class:`TrainConfig` (numbers and flags), what it calls or watches one :class:`Hooks`. It also
keeps the history (``loss``, ``validation_loss``, ``validation_score``), stops on a plateau of the
training cost or, with early stopping, of the validation loss or score (restoring the best
weights), calls callbacks after each epoch, and refuses to return NaN weights.

The data come as an adapter (:class:`Batches`): :class:`InMemory` holds ``X``, ``Y``, ``S`` as
arrays, and ``vectorlearn.distributed.DaskBlocks`` runs each epoch where its row blocks live.
The loop asks nothing else of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, Protocol

import numpy as np

from . import compiled
from .backend import is_jax, namespace
from .batches import Ahead, ahead_for, columns, minibatches
from .heads import HEADS, cost_and_dK
from .network import Network, make_dropout_masks
from .stability import divergence_hint, gram_times, lipschitz_learning_rate, penalty_overflow
from .workspace import Workspace


class TrainingDiverged(ValueError):
    """The cost became NaN or infinite; ``W``, ``B`` hold the last parameters with a finite cost.

    ``penalty``: None, or why the L2 penalty blew up (:func:`penalty_overflow`), which it blames.
    """

    def __init__(self, epoch, learning_rate, W=None, B=None, penalty=None, **blame):
        hint = divergence_hint(learning_rate, penalty, **blame)
        super().__init__(f"training diverged at epoch {epoch}: the cost is not finite{hint}")
        self.epoch, self.W, self.B, self.penalty = epoch, W, B, penalty

    def blaming(self, setting: str, fix: str) -> TrainingDiverged:
        """This error, or, when the penalty is to blame, one that names the estimator's
        ``setting`` (``"alpha=1e+30 is so large"``) and its ``fix`` instead of the learning rate."""
        if not self.penalty:
            return self
        return TrainingDiverged(
            self.epoch, None, self.W, self.B, self.penalty, setting=setting, fix=fix
        )


@dataclass
class TrainConfig:
    """The loop's settings (nanoGPT style: one dataclass, read, never changed by the loop).

    The cost on every mini-batch is ``J = sum(S * L) / m_b + (l2 / 2) sum ||W_l||^2``, so its
    minimizer does not depend on ``batch_size`` (None: the full batch). Training stops after
    ``max_epochs``; or when the monitored quantity (the training cost, or with
    ``early_stopping`` the validation ``monitor``, "loss" or "score") has not improved by ``tol``
    for more than ``n_iter_no_change`` epochs (None or inf: never), as in scikit-learn: an epoch
    improves when it beats the best so far by more than ``tol``. With early stopping, a
    validation score that stays exactly flat that long also stops training (as scikit-learn,
    which watches the score, would). Or, with ``gtol`` and full batches, when no gradient entry
    exceeds ``gtol``. ``rng`` (None: ``default_rng(0)``) shuffles and draws the
    inverted-``dropout`` masks of the hidden layers. ``verbose=k`` prints every k-th epoch's
    cost with ``log_format``; ``max_fun`` bounds L-BFGS's cost evaluations (None: 15000).
    """

    max_epochs: int = 200
    batch_size: int | None = None
    shuffle: bool = True
    l2: float = 0.0
    tol: float = 1e-4
    n_iter_no_change: float | None = 10
    gtol: float | None = None
    dropout: float = 0.0
    early_stopping: bool = False
    monitor: str = "loss"
    verbose: int = 0
    rng: np.random.Generator | None = None
    log_format: str = "epoch {epoch}: cost {cost:.6f}"
    max_fun: int | None = None


@dataclass
class Hooks:
    """What the loop calls or watches besides the training data; every field is optional.

    ``validation``: ``(X_val, Y_val)`` or ``(X_val, Y_val, S_val)``, columns as ``X``, whose loss
    is recorded after every epoch, with ``scorer(K)`` (higher is better; ``K`` (n_L, m_val) the
    validation logits, from the same forward pass as the loss) if given;
    ``schedule.rate(epoch, cost)`` sets the learning rate before each epoch; a callback
    (``callback(info) -> bool``, after each epoch) returning True stops training; ``resume``
    continues from a saved :class:`LoopState`; ``on_epoch_end(state)`` sees the state after
    every epoch, once its plateau decision is taken and before the callbacks (to write
    checkpoints); ``should_stop()``, asked after every mini-batch, ends
    training there when true (Ctrl-C), with ``history.interrupted`` set.
    """

    validation: tuple | None = None
    scorer: Callable | None = None
    schedule: Any = None
    callbacks: Sequence[Callable] = ()
    resume: LoopState | None = None
    on_epoch_end: Callable | None = None
    should_stop: Callable[[], bool] | None = None


@dataclass
class History:
    """What happened during training, one entry per epoch (per iteration for L-BFGS)."""

    loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    validation_score: list[float] = field(default_factory=list)
    best_epoch: int | None = None  # 1-based; the epoch whose weights were kept
    converged: bool = False
    interrupted: bool = False  # stopped between two mini-batches by should_stop()
    no_improvement: int = 0  # epochs since the monitored value last improved, at the end
    evaluations_spent: bool = False  # L-BFGS stopped at max_fun (or max_iter) evaluations

    @property
    def n_epochs(self) -> int:
        return len(self.loss)


@dataclass
class LoopState:
    """All that the epoch loop carries from one epoch to the next: a checkpoint saves this (with
    the optimizer's, the schedule's and the random generator's own state), and
    ``Hooks(resume=state)`` continues from it exactly where it stopped."""

    W: list
    B: list
    epoch: int = 0  # epochs completed
    history: History = field(default_factory=History)
    best: float = math.inf  # best monitored value so far (signed so that lower is better)
    stale: int = 0  # epochs since it last improved by tol
    best_W: list | None = None
    best_B: list | None = None
    cost: float | None = None  # the last epoch's training cost (schedules read it)


class Epoch(NamedTuple):
    """One pass over the data: the new ``W``, ``B``; the sum of the batches' ``J * m_b`` (0-D,
    on the device); whether ``should_stop`` ended it early; whether the gradient was below
    ``gtol`` (a stationary point: no step was taken)."""

    W: list
    B: list
    total: Any
    interrupted: bool
    stationary: bool


class Batches(Protocol):
    """What training data must offer the loop (in memory, or where a cluster holds them)."""

    shape: tuple[int, int]  # (n_0, m)

    def check(self, network: Network) -> None: ...  # ValueError on shapes the network lacks

    def epoch(self, network, W, B, optimizer, config: TrainConfig, should_stop) -> Epoch: ...

    def cost_and_gradients(self, network, W, B, l2): ...  # full batch: J, dW, dB


def train(network: Network, W, B, X, Y=None, *, optimizer, config=None, hooks=None):
    """Train ``W``, ``B`` on ``X`` (n_0, m), ``Y`` (n_L, m); return ``(W, B, history)``.

    ``X`` may instead be training data (:class:`InMemory` with example weights, a Dask
    cluster's blocks) with ``Y`` left out. ``config`` is a :class:`TrainConfig`, ``hooks`` a
    :class:`Hooks` (both optional). With early stopping the best epoch's weights are returned;
    a cost that is not finite raises :class:`TrainingDiverged` holding the last epoch's finite
    weights.

    >>> net = Network((1, 1), head="identity")
    >>> X, Y = np.array([[1.0, 2.0]]), np.array([[2.0, 4.0]])
    >>> from vectorlearn.core.optimizers import GradientDescent
    >>> W, B, history = train(net, [np.zeros((1, 1))], [np.zeros((1, 1))], X, Y,
    ...                       optimizer=GradientDescent(0.1), config=TrainConfig(max_epochs=3))
    >>> history.n_epochs, round(history.loss[0], 2)  # J = (2^2 + 4^2) / (2 * 2) at W = 0
    (3, 5.0)
    """
    data = X if Y is None else InMemory(X, Y)
    config = TrainConfig() if config is None else config
    hooks = Hooks() if hooks is None else hooks
    if config.rng is None:
        config = replace(config, rng=np.random.default_rng(0))
    network.check_shapes(W, B)
    data.check(network)
    state = hooks.resume or LoopState(W=W, B=B, best_W=W, best_B=B)
    W, B, history = state.W, state.B, state.history
    first_epoch, schedule = state.epoch, hooks.schedule
    # a run that stopped on a plateau stays stopped, unless this config's patience lets it go on
    done = history.converged and _plateau(state, config)
    last = state.epoch if done else config.max_epochs
    for epoch in range(state.epoch, last):
        if hooks.schedule is not None:
            optimizer.learning_rate = float(hooks.schedule.rate(epoch, state.cost))
        with np.errstate(over="ignore", invalid="ignore"):
            W, B, total, interrupted, stationary = data.epoch(
                network, W, B, optimizer, config, hooks.should_stop
            )  # every mini-batch: J, dW, dB = cost_and_gradients(...); W, B = W - alpha dW, ...
        if interrupted:
            history.interrupted = True
            return W, B, history
        cost = float(total) / data.shape[1]
        if not math.isfinite(cost):
            raise TrainingDiverged(
                epoch + 1,
                getattr(optimizer, "learning_rate", None),
                state.W,
                state.B,
                penalty_overflow(state.W, config.l2, optimizer, start=epoch == first_epoch),
            )
        history.loss.append(cost)
        if hasattr(schedule, "epoch_end"):  # scikit-learn's sgd schedules: after the epoch
            optimizer.learning_rate = float(schedule.epoch_end(data.shape[1]))
        _end_epoch(state, network, W, B, config, hooks)
        if config.verbose and (epoch + 1) % config.verbose == 0:
            print(config.log_format.format(epoch=epoch + 1, cost=cost), flush=True)
        info = epoch_info(epoch, history, optimizer)  # the callbacks see this epoch's rate
        plateau = _plateau(state, config)
        if plateau and hasattr(schedule, "on_plateau") and schedule.on_plateau():
            optimizer.learning_rate = float(schedule.rate(epoch + 1, cost))  # go on, slower
            plateau, state.stale = False, 0
        history.converged = plateau or stationary
        if hooks.on_epoch_end is not None:
            hooks.on_epoch_end(state)  # after the epoch's decisions: a checkpoint resumes them
        stop = any([cb(info) for cb in hooks.callbacks])
        if history.converged or stop:
            break
    history.no_improvement = state.stale
    if config.early_stopping:
        W, B = state.best_W, state.best_B
    else:
        history.best_epoch = history.n_epochs
    return W, B, history


def _end_epoch(state: LoopState, network, W, B, config: TrainConfig, hooks: Hooks) -> None:
    """Record validation, track the best monitored value and its weights, move the state on."""
    history, cost = state.history, state.history.loss[-1]
    score = config.early_stopping and config.monitor == "score"
    sign = -1.0 if score else 1.0  # minimize sign * watched
    watched = cost
    if hooks.validation is not None:
        record_validation(history, network, W, B, hooks.validation, hooks.scorer)
        if config.early_stopping:
            watched = history.validation_score[-1] if score else history.validation_loss[-1]
    value = sign * watched  # lower is better; scikit-learn's rule, NaN never improves
    state.stale = state.stale + 1 if not value <= state.best - config.tol else 0
    if value < state.best:
        state.best, state.best_W, state.best_B = value, W, B
        history.best_epoch = history.n_epochs
    state.W, state.B, state.epoch, state.cost = W, B, history.n_epochs, cost


def _plateau(state: LoopState, config: TrainConfig) -> bool:
    """More epochs than ``n_iter_no_change`` without an improvement by ``tol`` (or, with early
    stopping, of an exactly repeated validation score)."""
    patience = math.inf if config.n_iter_no_change is None else config.n_iter_no_change
    flat = _flat_epochs(state.history.validation_score) if config.early_stopping else 0
    return max(state.stale, flat) > patience


def _flat_epochs(scores) -> int:
    """How many epochs at the end of ``scores`` repeat the score before them exactly.

    >>> _flat_epochs([0.5, 0.7, 0.7, 0.7])
    2
    """
    n = 0
    while n + 1 < len(scores) and scores[-1 - n] == scores[-2 - n]:
        n += 1
    return n


def descend(optimizer, W, B, dW, dB, gtol=None):
    """One step ``W, B = W - alpha dW, B - alpha dB`` (or momentum, Adam); return ``W, B,
    stationary``. With ``gtol``, no step where no gradient entry exceeds it (a stationary
    point: ``W``, ``B`` stay where ``dW``, ``dB`` were taken)."""
    if gtol is not None:
        xp = namespace(*dW)
        if max(float(xp.max(xp.abs(g))) for g in dW + dB) <= gtol:
            return W, B, True
    params = optimizer.step(W + B, dW + dB)
    return params[: len(W)], params[len(W) :], False


class InMemory:
    """Training data held as arrays: ``X`` (n_0, m), ``Y`` (n_L, m), ``S`` (1, m) or None; for
    dense NumPy, a :class:`~.workspace.Workspace` that each step's (n_l, m) arrays reuse."""

    def __init__(self, X, Y, S=None):
        self.X, self.Y, self.S, self.shape = X, Y, S, tuple(X.shape)
        self.workspace = Workspace() if type(X) is np.ndarray else None
        self.ahead = Ahead()  # the next epoch's order, drawn while this one trains

    def check(self, network: Network) -> None:
        network.check_shapes(None, None, self.X, self.Y, self.S)

    def epoch(self, network, W, B, optimizer, config: TrainConfig, should_stop=None) -> Epoch:
        """The lecture's inner loop: for each mini-batch, ``J, dW, dB``, then one step (on JAX
        arrays, one compiled call: :mod:`vectorlearn.core.compiled`)."""
        if type(self.X) is not np.ndarray and compiled.applies(self, optimizer, config):
            W, B, total = compiled.epoch(self, network, W, B, optimizer, config)
            return Epoch(W, B, total, should_stop is not None and should_stop(), False)  # Ctrl-C
        xp, rng, total, stationary = namespace(self.X, *W), config.rng, 0.0, False
        ahead = ahead_for(self, config.max_epochs)  # the next epoch's order, on a thread
        batches = minibatches(self.shape[1], config.batch_size, rng, config.shuffle, self.X, ahead)
        for idx in batches:
            X, Y, S = (columns(A, idx, xp) for A in (self.X, self.Y, self.S))  # (., m_b)
            masks = make_dropout_masks(network, config.dropout, X.shape[1], rng, X)
            J, dW, dB = network.cost_and_gradients(W, B, X, Y, S, config.l2, masks, self.workspace)
            gtol = config.gtol if idx is None else None  # a full batch may be stationary
            W, B, stationary = descend(optimizer, W, B, dW, dB, gtol)
            total = total + J * X.shape[1]  # stays on the device: no sync per batch
            if should_stop is not None and should_stop():
                return Epoch(W, B, total, True, stationary)
        return Epoch(W, B, total, False, stationary)

    def cost_and_gradients(self, network, W, B, l2=0.0):
        """Full-batch ``J``, ``dW``, ``dB``."""
        return network.cost_and_gradients(W, B, self.X, self.Y, self.S, l2, ws=self.workspace)

    def gram_times(self, v, v_b):
        """``X1 diag(S) X1^T [v; v_b]`` (see :func:`lipschitz_learning_rate`)."""
        return gram_times(self.X, self.S, v, v_b)


def data_cost(network: Network, W, B, X, Y, S=None):
    """``J`` without the penalty, as a Python float (validation loss; compiled on JAX)."""
    return float(validation_pass(network, W, B, X, Y, S)[0])


def validation_pass(network: Network, W, B, X, Y, S=None):
    """``J`` without the penalty (0-D) and the logits ``K`` (n_L, m) of ``X``: one forward pass
    for the validation loss and the score (one compiled call on JAX)."""
    if is_jax(X):
        return compiled.jitted(_cost_and_logits, network)(W, B, X, Y, S)
    return _cost_and_logits(network, W, B, X, Y, S)


def _cost_and_logits(network, W, B, X, Y, S):
    K = network.logits(W, B, X)  # (n_L, m)
    J, _ = cost_and_dK(HEADS[network.head], K, Y, S, namespace(X, *W))
    return J, K  # 0-D, (n_L, m)


def record_validation(history, network, W, B, validation, scorer):
    """Append the validation loss of ``W``, ``B`` (and, with a ``scorer``, ``scorer(K)`` of
    the validation logits ``K``)."""
    J, K = validation_pass(network, W, B, *validation)  # 0-D, (n_L, m_val)
    history.validation_loss.append(float(J))
    if scorer is not None:
        history.validation_score.append(float(scorer(K)))


def epoch_info(epoch, history, optimizer):
    """What a callback is given after an epoch (1-based ``epoch``)."""
    return {
        "epoch": epoch + 1,
        "loss": history.loss[-1],
        "validation_loss": history.validation_loss[-1] if history.validation_loss else None,
        "validation_score": history.validation_score[-1] if history.validation_score else None,
        "learning_rate": getattr(optimizer, "learning_rate", None),
    }


__all__ = [
    "Batches",
    "Epoch",
    "History",
    "Hooks",
    "InMemory",
    "LoopState",
    "TrainConfig",
    "TrainingDiverged",
    "columns",
    "data_cost",
    "descend",
    "epoch_info",
    "lipschitz_learning_rate",
    "minibatches",
    "penalty_overflow",
    "record_validation",
    "train",
    "validation_pass",
]
