"""Optimizers, in order of increasing complexity.

The shared contract: an optimizer is built with its hyper-parameters, keeps its own state (the
velocities, the moments, the step count), and ``step(params, grads)`` takes two equal-length lists
of arrays and returns a **new** list of parameters. It never updates an array in place
(``param -= ...``), so a caller's references stay valid, the previous parameters survive a
diverging step, and the same code runs on backends whose arrays are immutable. ``learning_rate``
is a plain attribute that a schedule may change between epochs.

>>> import numpy as np
>>> opt = GradientDescent(learning_rate=0.1)
>>> opt.step([np.array([1.0])], [np.array([2.0])])  # W = W - alpha * dJ/dW
[array([0.8])]
"""

from __future__ import annotations

import math

import numpy as np

from .backend import namespace


class Optimizer:
    """What every optimizer shares: its state as a dict (numbers, and lists of arrays or None)
    for checkpoints, and back."""

    STATE: tuple[str, ...] = ("learning_rate",)

    def state_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.STATE}

    def load_state_dict(self, state: dict) -> None:
        for name in self.STATE:
            setattr(self, name, state[name])


class GradientDescent(Optimizer):
    """The lecture's update ``W = W - alpha * dJ/dW``."""

    def __init__(self, learning_rate: float):
        self.learning_rate = float(learning_rate)

    def step(self, params, grads):
        alpha = self.learning_rate
        return [p - alpha * g for p, g in zip(params, grads)]


class BarzilaiBorwein(GradientDescent):
    """Gradient descent whose step adapts to the curvature along the last step (full batch only).

    With ``s = W_t - W_{t-1}`` and ``y = dW_t - dW_{t-1}`` over all parameters, the step is
    ``alpha_t = (s . y) / (y . y)`` (Barzilai and Borwein's second rule), which for a convex cost
    lies between ``1 / Lipschitz`` and ``1 / strong convexity``. The first step uses the given
    ``learning_rate`` (a safe ``1 / Lipschitz``). Stochastic gradients break the rule: use it on
    full batches.
    """

    STATE = ("learning_rate", "previous_params", "previous_grads")

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

    def __init__(self, learning_rate: float, momentum: float = 0.9, nesterov: bool = False):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocities = None

    def step(self, params, grads):
        alpha, mu = self.learning_rate, self.momentum
        if self.velocities is None:
            self.velocities = [0 * p for p in params]
        self.velocities = [mu * v - alpha * g for v, g in zip(self.velocities, grads)]
        if self.nesterov:
            return [p + mu * v - alpha * g for p, v, g in zip(params, self.velocities, grads)]
        return [p + v for p, v in zip(params, self.velocities)]


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with the bias correction folded into the step size.

    ``M = b1 M + (1 - b1) dW``; ``V = b2 V + (1 - b2) dW^2``;
    ``W = W - alpha_t M / (sqrt(V) + eps)`` with ``alpha_t = alpha sqrt(1 - b2^t) / (1 - b1^t)``.
    """

    STATE = ("learning_rate", "t", "first_moments", "second_moments")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = float(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.t = 0
        self.first_moments = None
        self.second_moments = None
        self._flat_M = self._flat_V = self._flat_p = None  # the NumPy fast path's buffers

    def step(self, params, grads):
        if all(type(a) is np.ndarray for a in (*params, *grads)):
            return self._step_numpy(params, grads)
        return self._step_portable(params, grads)

    def _step_portable(self, params, grads):
        xp = namespace(*params)
        b1, b2 = self.beta_1, self.beta_2
        if self.first_moments is None:
            self.first_moments = [0 * p for p in params]
            self.second_moments = [0 * p for p in params]
        self.t += 1
        alpha_t = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self.first_moments = [b1 * M + (1 - b1) * g for M, g in zip(self.first_moments, grads)]
        self.second_moments = [
            b2 * V + (1 - b2) * g * g for V, g in zip(self.second_moments, grads)
        ]
        return [
            p - alpha_t * M / (xp.sqrt(V) + self.epsilon)
            for p, M, V in zip(params, self.first_moments, self.second_moments)
        ]

    def _step_numpy(self, params, grads):
        """The same arithmetic, in the same order (so bitwise the same), on NumPy: all the
        parameters as one flat vector, and the moments updated in place (the optimizer owns
        them), so a step is a dozen NumPy calls however many layers there are. The returned
        parameters are views of a new vector; the inputs are never touched."""
        b1, b2 = self.beta_1, self.beta_2
        g = np.concatenate([np.ravel(x) for x in grads])  # (n_params,)
        p = self._flat(params)  # (n_params,)
        if self.first_moments is None or self._flat_M is None:
            self._flat_M = (
                np.zeros_like(p)
                if self.first_moments is None
                else self._flat(self.first_moments, keep=False)
            )
            self._flat_V = (
                np.zeros_like(p)
                if self.second_moments is None
                else self._flat(self.second_moments, keep=False)
            )
            self.first_moments = _views(self._flat_M, params)
            self.second_moments = _views(self._flat_V, params)
        self.t += 1
        alpha_t = self.learning_rate * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        M, V = self._flat_M, self._flat_V
        work = np.multiply(g, 1 - b1)
        M *= b1
        M += work  # b1 M + (1 - b1) g
        np.multiply(g, 1 - b2, out=work)
        work *= g
        V *= b2
        V += work  # b2 V + (1 - b2) g g
        np.sqrt(V, out=work)
        work += self.epsilon
        step = np.multiply(M, alpha_t)
        step /= work
        new = p - step  # a new vector: the caller's parameters stay as they were
        self._flat_p = new
        return _views(new, params)

    def _flat(self, arrays, keep=True):
        """``arrays`` as one vector: the vector itself when they are the views it last returned."""
        last = getattr(self, "_flat_p", None)
        if keep and last is not None and all(a.base is last for a in arrays):
            return last
        return np.concatenate([np.ravel(a) for a in arrays])

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self._flat_M = self._flat_V = self._flat_p = None  # rebuilt from the lists next step


def _views(flat, like):
    """Split vector ``flat`` into views shaped like the arrays of ``like``."""
    views, start = [], 0
    for a in like:
        views.append(flat[start : start + a.size].reshape(a.shape))
        start += a.size
    return views


OPTIMIZERS = {"gd": GradientDescent, "momentum": Momentum, "adam": Adam}
