"""The training loop shared by every model: epochs x mini-batches, and L-BFGS for small problems.

``train`` is the lecture's loop with the inner two loops replaced by matrix products::

    for epoch in range(max_epochs):          # the only Python loop over data that remains
        for batch in minibatches:            # one batch = every example when batch_size is None
            J, dW, dB = cost_and_gradients(...)   # all examples and features at once
            W, B = W - alpha * dW, B - alpha * dB  # (or momentum / Adam)

It also keeps the history (``loss``, ``validation_loss``, ``validation_score``), stops on a
plateau of the training cost or, with early stopping, of the validation loss (restoring the best
weights), calls callbacks after each epoch, and refuses to return NaN weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from .backend import device, namespace, numpy_dtype, to_numpy
from .heads import HEADS, cost_and_dK
from .network import Network, make_dropout_masks
from .optimizers import stable_curvature


class TrainingDiverged(ValueError):
    """The cost became NaN or infinite; ``W``, ``B`` hold the last parameters with a finite cost.

    ``penalty``: None, or why the L2 penalty blew up (:func:`penalty_overflow`), which it blames.
    """

    def __init__(self, epoch, learning_rate, W=None, B=None, penalty=None, **blame):
        hint = _divergence_hint(learning_rate, penalty, **blame)
        super().__init__(f"training diverged at epoch {epoch}: the cost is not finite{hint}")
        self.epoch, self.W, self.B, self.penalty = epoch, W, B, penalty


@dataclass
class History:
    """What happened during training, one entry per epoch (per iteration for L-BFGS)."""

    loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    validation_score: list[float] = field(default_factory=list)
    best_epoch: int | None = None  # 1-based; the epoch whose weights were kept
    converged: bool = False
    interrupted: bool = False  # stopped between two mini-batches by should_stop()

    @property
    def n_epochs(self) -> int:
        return len(self.loss)


@dataclass
class LoopState:
    """All that the epoch loop carries from one epoch to the next: a checkpoint saves this (with
    the optimizer's, the schedule's and the random generator's own state), and ``train(...,
    resume=state)`` continues from it exactly where it stopped."""

    W: list
    B: list
    epoch: int = 0  # epochs completed
    history: History = field(default_factory=History)
    best: float = math.inf  # best monitored value so far (signed so that lower is better)
    stale: int = 0  # epochs since it last improved by tol
    best_W: list | None = None
    best_B: list | None = None
    cost: float | None = None  # the last epoch's training cost (schedules read it)


def minibatches(m: int, batch_size: int | None, rng: np.random.Generator, shuffle: bool):
    """Split ``range(m)`` into index arrays of at most ``batch_size`` (None: one full batch).

    A full batch is returned as None (use every column as is: its gradient is a sum, so the
    order does not matter and no copy is needed).
    """
    if batch_size is None or batch_size >= m:
        return [None]
    order = rng.permutation(m) if shuffle else np.arange(m)
    return [order[i : i + batch_size] for i in range(0, m, batch_size)]


def columns(A, idx, xp):
    """``A[:, idx]`` for an (n, m) array, or ``A`` itself when ``idx`` is None.

    The estimators hand the core ``X.T`` of a row-major ``X``: examples are columns, but each
    example's features are contiguous in memory. So the batch is gathered as rows of ``A.T``
    (a cheap gather of contiguous rows) and transposed back, a view.
    """
    if A is None or idx is None:
        return A
    return xp.take(A.T, xp.asarray(idx, device=device(A)), axis=0).T  # (n, len(idx))


def is_remote(X) -> bool:
    """True for data held elsewhere (row blocks on a Dask cluster, see vectorlearn.distributed).

    Such data computes full-batch costs and gradients where it lives, through
    ``X.cost_and_gradients(network, W, B, l2)``, and trains mini-batches block by block through
    ``X.train_epoch(...)``; ``X.shape`` is ``(n_0, m)`` as for an array.
    """
    return hasattr(X, "cost_and_gradients") and hasattr(X, "train_epoch")


def batch_cost_and_gradients(network, W, B, X, Y, S, l2, masks=None):
    """``network.cost_and_gradients`` on in-memory columns, or computed where remote data lives."""
    if is_remote(X):
        return X.cost_and_gradients(network, W, B, l2)
    return network.cost_and_gradients(W, B, X, Y, S, l2, masks)


def data_cost(network: Network, W, B, X, Y, S=None):
    """``J`` without the penalty, as a Python float (validation loss)."""
    xp = namespace(X, *W)
    J, _ = cost_and_dK(HEADS[network.head], network.logits(W, B, X), Y, S, xp)
    return float(J)


def train(
    network: Network,
    W,
    B,
    X,
    Y,
    *,
    optimizer,
    rng: np.random.Generator,
    S=None,
    l2: float = 0.0,
    batch_size: int | None = None,
    max_epochs: int = 200,
    shuffle: bool = True,
    tol: float = 1e-4,
    n_iter_no_change: int | None = 10,
    gtol: float | None = None,
    schedule=None,
    dropout: float = 0.0,
    validation=None,
    early_stopping: bool = False,
    monitor: str = "loss",
    scorer=None,
    callbacks=(),
    verbose: int = 0,
    resume: LoopState | None = None,
    on_epoch_end=None,
    should_stop=None,
):
    """Train ``W``, ``B`` on ``X`` (n_0, m), ``Y`` (n_L, m); return ``(W, B, history)``.

    The objective is ``J = sum(S * L) / m + (l2 / 2) sum ||W_l||^2`` on every mini-batch, so
    its minimizer does not depend on ``batch_size``. ``validation`` is ``(X_val, Y_val)`` or
    ``(X_val, Y_val, S_val)``; ``scorer(W, B)`` returns a validation score (higher is better).
    Training stops after ``max_epochs``, or when the monitored quantity (the training cost, or
    with ``early_stopping`` the validation loss or score) has not improved by ``tol`` for
    ``n_iter_no_change`` epochs (None: never), or, with ``gtol`` and full batches, when no
    gradient entry exceeds ``gtol``; with early stopping the best epoch's weights are returned.
    A callback returning True stops training after that epoch.

    ``resume`` continues from a saved :class:`LoopState` (``W``, ``B`` are then ignored);
    ``on_epoch_end(state)`` sees the state after every epoch (to write checkpoints);
    ``should_stop()``, asked after every mini-batch, ends training there when true (Ctrl-C),
    with ``history.interrupted`` set. A cost that is not finite raises
    :class:`TrainingDiverged` holding the last epoch's finite weights.
    """
    xp = namespace(*W) if is_remote(X) else namespace(X, *W)
    m, L = X.shape[1], network.n_layers
    state = resume if resume is not None else LoopState(W=W, B=B, best_W=W, best_B=B)
    W, B, history = state.W, state.B, state.history
    sign = -1.0 if (early_stopping and monitor == "score") else 1.0  # minimize sign * value
    small_gradient, first_epoch = False, state.epoch
    for epoch in range(state.epoch, max_epochs):
        if schedule is not None:
            optimizer.learning_rate = float(schedule.rate(epoch, state.cost))
        total = 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            if is_remote(X) and batch_size is not None and batch_size < m:
                W, B, total = X.train_epoch(
                    network,
                    W,
                    B,
                    optimizer,
                    rng,
                    batch_size=batch_size,
                    l2=l2,
                    dropout=dropout,
                    shuffle=shuffle,
                )  # block by block, where the data lives
            else:
                for idx in minibatches(m, batch_size, rng, shuffle):
                    Xb, Yb, Sb = columns(X, idx, xp), columns(Y, idx, xp), columns(S, idx, xp)
                    m_b = Xb.shape[1]
                    masks = make_dropout_masks(network, dropout, m_b, rng, Xb)
                    J, dW, dB = batch_cost_and_gradients(network, W, B, Xb, Yb, Sb, l2, masks)
                    if gtol is not None and idx is None:
                        small_gradient = max(float(xp.max(xp.abs(g))) for g in dW + dB) <= gtol
                    if not small_gradient:  # a stationary point: keep W, B where dW, dB were
                        params = optimizer.step(W + B, dW + dB)
                        W, B = params[:L], params[L:]
                    total = total + J * m_b  # stays on the device: no sync per batch
                    if should_stop is not None and should_stop():
                        history.interrupted = True
                        return W, B, history
        cost = float(total) / m
        if not math.isfinite(cost):
            raise TrainingDiverged(
                epoch + 1,
                getattr(optimizer, "learning_rate", None),
                state.W,
                state.B,
                penalty_overflow(state.W, l2, optimizer, start=epoch == first_epoch),
            )
        history.loss.append(cost)
        watched = cost
        if validation is not None:
            _record_validation(history, network, W, B, validation, scorer)
            if early_stopping:
                watched = (
                    history.validation_score[-1]
                    if monitor == "score"
                    else (history.validation_loss[-1])
                )
        if sign * watched < state.best - tol:
            state.best, state.stale = sign * watched, 0
        else:
            state.stale += 1
        if sign * watched <= state.best:
            state.best_W, state.best_B, history.best_epoch = W, B, epoch + 1
        state.W, state.B, state.epoch, state.cost = W, B, epoch + 1, cost
        if on_epoch_end is not None:
            on_epoch_end(state)
        if verbose and (epoch + 1) % verbose == 0:
            print(f"epoch {epoch + 1}: cost {cost:.6f}", flush=True)
        stop = any([cb(_epoch_info(epoch, history, optimizer)) for cb in callbacks])
        if (n_iter_no_change is not None and state.stale >= n_iter_no_change) or (
            gtol is not None and small_gradient
        ):
            history.converged = True
            break
        if stop:
            break
    if early_stopping:
        W, B = state.best_W, state.best_B
    else:
        history.best_epoch = history.n_epochs
    return W, B, history


def _record_validation(history, network, W, B, validation, scorer):
    history.validation_loss.append(data_cost(network, W, B, *validation))
    if scorer is not None:
        history.validation_score.append(float(scorer(W, B)))


def _epoch_info(epoch, history, optimizer):
    return {
        "epoch": epoch + 1,
        "loss": history.loss[-1],
        "validation_loss": history.validation_loss[-1] if history.validation_loss else None,
        "validation_score": history.validation_score[-1] if history.validation_score else None,
        "learning_rate": getattr(optimizer, "learning_rate", None),
    }


def train_lbfgs(
    network,
    W,
    B,
    X,
    Y,
    *,
    S=None,
    l2=0.0,
    max_iter=100,
    tol=1e-4,
    validation=None,
    scorer=None,
    callbacks=(),
):
    """Minimize the full-batch cost with SciPy's L-BFGS-B; return ``(W, B, history)``.

    SciPy works on one float64 vector, so each evaluation unpacks it into ``W``, ``B`` in ``X``'s
    namespace, dtype and device, runs one vectorized ``cost_and_gradients``, and packs the
    gradients back. ``validation`` and ``scorer`` are as in :func:`train`, once per iteration.
    """
    xp = namespace(*W) if is_remote(X) else namespace(X, *W)
    place = W[0]  # where the parameters live, and their dtype
    shapes = [tuple(p.shape) for p in W + B]
    sizes = [math.prod(s) for s in shapes]
    L = network.n_layers

    def unpack(theta):
        parts = np.split(theta, np.cumsum(sizes)[:-1])
        return [
            xp.asarray(np.reshape(part, s), dtype=place.dtype, device=device(place))
            for part, s in zip(parts, shapes)
        ]

    def fun(theta):
        params = unpack(theta)
        J, dW, dB = batch_cost_and_gradients(network, params[:L], params[L:], X, Y, S, l2)
        grad = np.concatenate([to_numpy(g).astype(np.float64).ravel() for g in dW + dB])
        return float(J), grad

    history = History()

    def record(intermediate_result):
        history.loss.append(float(intermediate_result.fun))
        if validation is not None:
            params = unpack(intermediate_result.x)
            _record_validation(history, network, params[:L], params[L:], validation, scorer)
        info = _epoch_info(len(history.loss) - 1, history, None)
        if any([cb(info) for cb in callbacks]):
            raise StopIteration

    theta0 = np.concatenate([to_numpy(p).astype(np.float64).ravel() for p in W + B])
    with np.errstate(over="ignore", invalid="ignore"):
        result = scipy.optimize.minimize(
            fun,
            theta0,
            jac=True,
            method="L-BFGS-B",
            callback=record,
            options={
                "maxiter": max_iter,
                "maxls": 50,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
    if not np.isfinite(result.fun):
        with np.errstate(over="ignore", invalid="ignore"):
            start_cost = fun(theta0)[0] if l2 else None
        raise TrainingDiverged(
            len(history.loss), None, W, B, penalty_overflow(W, l2, cost=start_cost)
        )
    params = unpack(result.x)
    history.converged = bool(result.status == 0)
    history.best_epoch = len(history.loss)
    return params[:L], params[L:], history


def lipschitz_learning_rate(network: Network, X, S=None, l2=0.0, n_power_iterations=50):
    """A safe fixed step ``1 / Lip`` for a network without hidden layers (a convex model).

    The cost's gradient is Lipschitz with constant ``Lip = c * sigma_max(X1 diag(S) X1^T) / m +
    l2``, where ``X1`` is ``X`` with a row of ones for the intercept, ``sigma_max`` the largest
    eigenvalue (estimated by power iteration, then inflated by 5%), and ``c`` bounds the head's
    curvature: 1/4 for sigmoid, 1/2 for softmax, 1 for identity.
    """
    if network.n_layers != 1:
        raise ValueError("the automatic learning rate needs a network without hidden layers")
    m = X.shape[1]
    v = np.ones((X.shape[0], 1))  # (n_0, 1), float64 on the host: the iterate is tiny
    v_b = 1.0  # the entry of v for the row of ones
    eigenvalue = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
        for _ in range(n_power_iterations):
            v_new, v_b_new = gram_times(X, S, v, v_b)  # X1 diag(S) X1^T [v; v_b]
            norm = _norm(v_new, v_b_new)
            if norm == 0.0 or not math.isfinite(norm):
                eigenvalue = norm if norm else eigenvalue
                break
            previous, eigenvalue = eigenvalue, norm / _norm(v, v_b)
            v, v_b = v_new / norm, v_b_new / norm
            if abs(eigenvalue - previous) <= 1e-3 * eigenvalue:
                break  # converged to 0.1%, well inside the 5% margin below
    curvature = {"sigmoid": 0.25, "softmax": 0.5, "identity": 1.0}[network.head]
    lip = curvature * 1.05 * eigenvalue / m + float(l2)
    if not math.isfinite(lip):
        raise ValueError(
            "X holds values so large that the curvature of the cost, X X^T / m, overflows and "
            "no step size can be found; standardize the features, e.g. with "
            "sklearn.preprocessing.StandardScaler in a Pipeline"
        )
    return 1.0 / lip if lip > 0 else 1.0


def _norm(v, v_b) -> float:
    """``sqrt(||v||^2 + v_b^2)`` for host ``v`` (n, 1), scaled so that no square overflows."""
    scale = max(float(np.max(np.abs(v))), abs(float(v_b)))
    if scale == 0.0 or not math.isfinite(scale):
        return scale
    return scale * math.sqrt(float(np.sum((v / scale) ** 2)) + (v_b / scale) ** 2)


def penalty_overflow(W, l2, optimizer=None, cost=None, start=True) -> str | None:
    """Why the L2 penalty ``(l2 / 2) sum_l ||W_l||^2``, rather than the data or the step size,
    blew up the cost, or None when it did not. ``W`` are the weights training kept: its
    starting weights when ``start``, else those of the last finite epoch.

    The penalty is to blame when ``l2`` is beyond the largest number of the weights' dtype; when
    its curvature ``l2`` is more than the optimizer's step can follow
    (:func:`~.optimizers.stable_curvature`: on the penalty alone, gradient descent multiplies the
    weights by ``1 - learning_rate * l2`` each step, so they grow once ``learning_rate * l2 >
    2``, and a smaller learning rate would have to be below ``2 / l2``); or, at the starting
    weights only (later ones may have grown by a step too long for the data), when the penalty
    there is beyond the dtype's largest number or, given the total ``cost`` there (for L-BFGS,
    whose line search has no step size to blame), most of that cost.

    >>> import numpy as np
    >>> from vectorlearn.core.optimizers import GradientDescent
    >>> penalty_overflow([np.ones((2, 1))], 1e4, GradientDescent(0.001))
    'its curvature l2 = 1e+04 is more than the 2e+03 that the step 0.001 can follow'
    >>> penalty_overflow([np.ones((2, 1))], 1e-4, GradientDescent(0.001)) is None
    True
    """
    if not l2:
        return None
    l2 = float(l2)
    dtype = numpy_dtype(W[0].dtype)
    largest = float(np.finfo(dtype).max)
    if not l2 < largest:
        return f"l2 = {l2:.3g} is beyond the largest {dtype.__name__}, {largest:.3g}"
    limit = stable_curvature(optimizer) if optimizer is not None else None
    if limit is not None and l2 > limit:
        return (
            f"its curvature l2 = {l2:.3g} is more than the {limit:.3g} that the step "
            f"{optimizer.learning_rate:g} can follow"
        )
    if not start:
        return None
    xp = namespace(*W)
    with np.errstate(over="ignore", invalid="ignore"):
        penalty = l2 / 2 * sum(float(xp.sum(W_l * W_l)) for W_l in W)
    if not penalty < largest:
        return f"(l2 / 2) ||W||^2 = {penalty:.3g} is beyond the largest {dtype.__name__}"
    if cost is not None and math.isfinite(cost) and penalty > cost / 2:
        return f"(l2 / 2) ||W||^2 = {penalty:.3g} is most of the starting cost, {cost:.3g}"
    return None


def gram_times(X, S, v, v_b):
    """``X1 diag(S) X1^T [v; v_b]`` for ``X1 = [X; 1]``, as host NumPy ``(v_new (n_0, 1), b)``."""
    if is_remote(X):
        return X.gram_times(S, v, v_b)
    xp = namespace(X)
    v_x = xp.asarray(v, dtype=X.dtype, device=device(X))
    u = xp.matmul(v_x.T, X) + v_b  # (1, m): X1^T v
    if S is not None:
        u = S * u
    return to_numpy(xp.matmul(X, u.T)).astype(np.float64), float(xp.sum(u))  # (n_0, 1), scalar


def _divergence_hint(learning_rate, penalty=None, setting="l2 is so large", fix="a smaller l2"):
    """The end of a :class:`TrainingDiverged` message: the cause, and what to change.

    An estimator names its own parameter: ``setting="alpha=1e+300 is so large"``,
    ``fix="a smaller alpha"``.
    """
    if penalty:
        return f"; {setting} that the L2 penalty overflows ({penalty}); use {fix}"
    if learning_rate:
        return f"; try a smaller learning rate, e.g. {learning_rate / 10:g}"
    return "; try a smaller learning rate or standardize the features"
