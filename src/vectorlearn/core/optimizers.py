"""Optimizers, in order of increasing complexity.

The shared contract: an optimizer is built with its hyper-parameters, keeps its own state (the
velocities, the moments, the step count), and ``step(params, grads)`` takes two equal-length lists
of arrays and returns a **new** list of parameters. It never updates an array in place
(``param -= ...``), so a caller's references stay valid, the previous parameters survive a
diverging step, and the same code runs on backends whose arrays are immutable. ``learning_rate``
is a plain attribute that a schedule may change between epochs.

Each optimizer also states its step as a pure function of explicit state (cs231n's
``update(w, dw, config) -> (next_w, config)``): ``update(params, grads, state, alpha, *hyper)``
returns ``(params, state)``, with ``state`` from ``explicit_state(params)``, the step sizes of the
next steps from ``step_sizes(n)`` and the state kept with ``keep(state, n)``. A compiled loop
(:mod:`vectorlearn.core.compiled`) traces that function once and runs the whole epoch; gradient
descent and momentum run it eagerly too, Adam's eager ``step`` is a faster in-place form of it
(tested to agree).

>>> import numpy as np
>>> opt = GradientDescent(learning_rate=0.1)
>>> opt.step([np.array([1.0])], [np.array([2.0])])  # W = W - alpha * dJ/dW
[array([0.8])]
"""

from __future__ import annotations

import math

import numpy as np

from .backend import namespace, reshape


class Optimizer:
    """What every optimizer shares: its state as a dict (numbers, and lists of arrays or None)
    for checkpoints, and back."""

    STATE: tuple[str, ...] = ("learning_rate",)
    compilable = False  # True where the step is a pure update() that core/compiled.py may trace

    def state_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.STATE}

    def load_state_dict(self, state: dict) -> None:
        for name in self.STATE:
            setattr(self, name, state[name])


class GradientDescent(Optimizer):
    """The lecture's update ``W = W - alpha * dJ/dW``."""

    compilable = True

    def __init__(self, learning_rate: float):
        self.learning_rate = float(learning_rate)

    def step(self, params, grads):
        return self.update(params, grads, (), self.learning_rate)[0]

    @staticmethod
    def update(params, grads, state, alpha):
        """``W = W - alpha dW`` for every parameter; no state."""
        return [p - alpha * g for p, g in zip(params, grads)], state

    def hyper(self) -> tuple:
        """The constants that ``update`` takes after ``alpha`` (a compiled loop's cache key)."""
        return ()

    def explicit_state(self, params):
        return ()

    def step_sizes(self, n_steps: int) -> np.ndarray:
        """``alpha`` of each of the next ``n_steps`` steps, (n_steps,) float64."""
        return np.full(n_steps, self.learning_rate)

    def keep(self, state, n_steps: int) -> None:
        """Take ``state`` as this optimizer's own, after ``n_steps`` steps of ``update``."""


class BarzilaiBorwein(GradientDescent):
    """Gradient descent whose step adapts to the curvature along the last step (full batch only).

    With ``s = W_t - W_{t-1}`` and ``y = dW_t - dW_{t-1}`` over all parameters, the step is
    ``alpha_t = (s . y) / (y . y)`` (Barzilai and Borwein's second rule), which for a convex cost
    lies between ``1 / Lipschitz`` and ``1 / strong convexity``. The first step uses the given
    ``learning_rate`` (a safe ``1 / Lipschitz``). Stochastic gradients break the rule: use it on
    full batches.
    """

    STATE = ("learning_rate", "previous_params", "previous_grads")
    compilable = False  # its step size is a host-side dot product of the last two steps

    def __init__(self, learning_rate: float):
        super().__init__(learning_rate)
        self.previous_params = self.previous_grads = None  # of the last step

    def step(self, params, grads):
        if self.previous_params is not None:
            xp = namespace(*params)
            s_dot_y = y_dot_y = 0.0
            for p, g, p0, g0 in zip(params, grads, self.previous_params, self.previous_grads):
                s, y = p - p0, g - g0
                s_dot_y += float(xp.sum(s * y))
                y_dot_y += float(xp.sum(y * y))
            if y_dot_y > 0 and s_dot_y > 0:
                self.learning_rate = s_dot_y / y_dot_y
        self.previous_params, self.previous_grads = params, grads
        return super().step(params, grads)


class Momentum(Optimizer):
    """Heavy-ball momentum: ``V = mu V - alpha dW``, ``W = W + V``.

    With ``nesterov=True`` the step looks ahead along the velocity: ``W = W + mu V - alpha dW``
    (the form scikit-learn uses).
    """

    STATE = ("learning_rate", "velocities")
    compilable = True

    def __init__(self, learning_rate: float, momentum: float = 0.9, nesterov: bool = False):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocities = None

    def step(self, params, grads):
        V = self.explicit_state(params)
        params, self.velocities = self.update(params, grads, V, self.learning_rate, *self.hyper())
        return params

    @staticmethod
    def update(params, grads, velocities, alpha, mu, nesterov):
        velocities = [mu * v - alpha * g for v, g in zip(velocities, grads)]  # V = mu V - alpha dW
        if nesterov:
            return [
                p + mu * v - alpha * g for p, v, g in zip(params, velocities, grads)
            ], velocities
        return [p + v for p, v in zip(params, velocities)], velocities

    def hyper(self) -> tuple:
        return (self.momentum, self.nesterov)

    def explicit_state(self, params):
        return [0 * p for p in params] if self.velocities is None else list(self.velocities)

    step_sizes = GradientDescent.step_sizes  # a constant learning rate

    def keep(self, state, n_steps: int) -> None:
        self.velocities = list(state)


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with the bias correction folded into the step size.

    ``M = b1 M + (1 - b1) dW``; ``V = b2 V + (1 - b2) dW^2``;
    ``W = W - alpha_t M / (sqrt(V) + eps)`` with ``alpha_t = alpha sqrt(1 - b2^t) / (1 - b1^t)``.

    All parameters are updated as one flat vector, and the moments, which the optimizer owns,
    in place: a step is about a dozen array operations however many layers the network has (on
    a GPU, a dozen kernel launches instead of a dozen per array). The parameters it returns are
    views of a new vector; the caller's arrays are never written.
    """

    STATE = ("learning_rate", "t", "first_moments", "second_moments")
    compilable = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = float(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.t = 0
        self._M = self._V = None  # (n_params,) moments
        self._flat_p, self._views = None, None  # the last vector returned, and its views
        self._lists = None  # or the moments as two lists of arrays, kept by a compiled epoch

    def step(self, params, grads):
        xp = namespace(*params)
        b1, b2 = self.beta_1, self.beta_2
        g = _flatten(grads, xp)  # (n_params,)
        self._flat_moments(xp)
        p = self._flat_p if _same(params, self._views) else _flatten(params, xp)  # (n_params,)
        if self._M is None:
            self._M, self._V = xp.zeros_like(g), xp.zeros_like(g)
        self.t += 1
        alpha_t = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        M, V = self._M, self._V
        M *= b1  # in place on NumPy, CuPy and torch; a new array where arrays are immutable (JAX)
        M += (1 - b1) * g  # M = b1 M + (1 - b1) g
        V *= b2
        V += (1 - b2) * g * g  # V = b2 V + (1 - b2) g^2
        self._M, self._V = M, V  # the same arrays, or the new ones
        denominator = xp.sqrt(V)
        denominator += self.epsilon
        step = alpha_t * M
        step /= denominator
        self._flat_p = p - step  # a new vector: the caller's parameters stay as they were
        self._views = _split(self._flat_p, params, xp)
        return self._views

    @staticmethod
    def update(params, grads, moments, alpha_t, beta_1, beta_2, epsilon):
        """The step above, array by array, with ``alpha_t`` from :meth:`step_sizes`."""
        xp = namespace(*params)
        M = [beta_1 * m + (1 - beta_1) * g for m, g in zip(moments[0], grads)]
        V = [beta_2 * v + (1 - beta_2) * g * g for v, g in zip(moments[1], grads)]
        params = [p - alpha_t * m / (xp.sqrt(v) + epsilon) for p, m, v in zip(params, M, V)]
        return params, (M, V)

    def hyper(self) -> tuple:
        return (self.beta_1, self.beta_2, self.epsilon)

    def explicit_state(self, params):
        if self._lists is not None:
            return self._lists
        if self._M is None:
            return [0 * p for p in params], [0 * p for p in params]
        return self.first_moments, self.second_moments

    def step_sizes(self, n_steps: int) -> np.ndarray:
        """``alpha_t = alpha sqrt(1 - b2^t) / (1 - b1^t)`` for the next ``n_steps`` values of
        ``t``, in float64 on the host (as ``step`` computes it)."""
        t = self.t + np.arange(1, n_steps + 1)  # (n_steps,)
        return self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)

    def keep(self, state, n_steps: int) -> None:
        """Keep the moments as the lists ``update`` returned (the next compiled epoch takes them
        as they are; an eager ``step`` flattens them first)."""
        self.t += n_steps
        self._lists = (list(state[0]), list(state[1]))
        self._M = self._V = self._views = self._flat_p = None

    def _flat_moments(self, xp):
        """``_M``, ``_V`` as vectors, from the lists a compiled epoch kept, if any."""
        if self._lists is not None:
            self._M, self._V = (_flatten(m, xp) for m in self._lists)
            self._views, self._lists = [xp.reshape(m, m.shape) for m in self._lists[0]], None

    @property
    def first_moments(self):
        if self._lists is not None:
            return self._lists[0]
        return None if self._M is None else _split(self._M, self._views, namespace(self._M))

    @property
    def second_moments(self):
        if self._lists is not None:
            return self._lists[1]
        return None if self._V is None else _split(self._V, self._views, namespace(self._V))

    def load_state_dict(self, state: dict) -> None:
        self.learning_rate, self.t = state["learning_rate"], state["t"]
        moments = state["first_moments"], state["second_moments"]
        self._lists = None
        if moments[0] is None:
            self._M = self._V = self._views = None
        else:
            xp = namespace(*moments[0])
            self._M, self._V = (_flatten(m, xp) for m in moments)
            self._views = [xp.reshape(m, m.shape) for m in moments[0]]  # shapes for splitting
        self._flat_p = None


def _flatten(arrays, xp):
    """The arrays' entries as one vector, (n_params,)."""
    return xp.concat([reshape(a, (-1,), xp) for a in arrays])


def _split(flat, like, xp):
    """Views of vector ``flat`` shaped like the arrays of ``like``."""
    views, start = [], 0
    for a in like:
        size = math.prod(a.shape)
        views.append(reshape(flat[start : start + size], tuple(a.shape), xp))
        start += size
    return views


def _same(arrays, views) -> bool:
    return (
        views is not None
        and len(arrays) == len(views)
        and all(a is v for a, v in zip(arrays, views))
    )


OPTIMIZERS = {"gd": GradientDescent, "momentum": Momentum, "adam": Adam}


def stable_curvature(optimizer) -> float | None:
    """The largest curvature ``c`` that the optimizer's step can follow without growing.

    On ``J = c w^2 / 2`` gradient descent maps ``w`` to ``(1 - alpha c) w``, which shrinks for
    ``alpha c < 2``; heavy-ball momentum needs ``alpha c < 2 (1 + mu)`` and Nesterov's
    ``alpha c < 2 (1 + mu) / (1 + 2 mu)``. None for Adam (and anything else), whose steps are
    about ``alpha`` in size whatever the curvature.

    >>> stable_curvature(GradientDescent(0.5)), stable_curvature(Momentum(1.0, 0.5, nesterov=True))
    (4.0, 1.5)
    """
    if isinstance(optimizer, Momentum):
        mu = optimizer.momentum
        factor = (1 + mu) / (1 + 2 * mu) if optimizer.nesterov else 1 + mu
    elif isinstance(optimizer, GradientDescent):
        factor = 1.0
    else:
        return None
    alpha = optimizer.learning_rate
    return 2 * factor / alpha if alpha > 0 else math.inf
