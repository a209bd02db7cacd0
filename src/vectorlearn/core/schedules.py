"""Learning-rate schedules: ``rate(epoch, cost) -> learning rate`` for the epoch about to start.

``epoch`` counts from 0; ``cost`` is the previous epoch's training cost (None before the first).

>>> [round(make_schedule("invscaling", 0.1).rate(e, None), 4) for e in range(3)]
[0.1, 0.0707, 0.0577]
"""

from __future__ import annotations

import math


class Constant:
    def __init__(self, learning_rate: float):
        self.learning_rate = learning_rate

    def rate(self, epoch, cost):
        return self.learning_rate


class InverseScaling(Constant):
    """``alpha_0 / (epoch + 1) ** power_t``."""

    def __init__(self, learning_rate, power_t=0.5):
        super().__init__(learning_rate)
        self.power_t = power_t

    def rate(self, epoch, cost):
        return self.learning_rate / (epoch + 1) ** self.power_t


class StepDecay(Constant):
    """``alpha_0 * drop ** floor(epoch / step_size)``."""

    def __init__(self, learning_rate, drop=0.5, step_size=10):
        super().__init__(learning_rate)
        self.drop, self.step_size = drop, step_size

    def rate(self, epoch, cost):
        return self.learning_rate * self.drop ** (epoch // self.step_size)


class ExponentialDecay(Constant):
    """``alpha_0 * gamma ** epoch``."""

    def __init__(self, learning_rate, gamma=0.95):
        super().__init__(learning_rate)
        self.gamma = gamma

    def rate(self, epoch, cost):
        return self.learning_rate * self.gamma**epoch


class ReduceOnPlateau(Constant):
    """Divide the rate by ``factor`` after ``patience`` epochs whose cost fell by less than ``tol``.

    scikit-learn calls this schedule ``"adaptive"`` (factor 5, patience 2).
    """

    def __init__(self, learning_rate, factor=5.0, patience=2, tol=1e-4):
        super().__init__(learning_rate)
        self.factor, self.patience, self.tol = factor, patience, tol
        self.current, self.best, self.bad_epochs = learning_rate, math.inf, 0

    def rate(self, epoch, cost):
        if cost is not None:
            if cost < self.best - self.tol:
                self.best, self.bad_epochs = cost, 0
            else:
                self.bad_epochs += 1
            if self.bad_epochs >= self.patience:
                self.current, self.bad_epochs = self.current / self.factor, 0
        return self.current


SCHEDULES = {
    "constant": Constant,
    "invscaling": InverseScaling,
    "step": StepDecay,
    "exponential": ExponentialDecay,
    "adaptive": ReduceOnPlateau,
}


def make_schedule(name: str, learning_rate: float, **options):
    if name not in SCHEDULES:
        raise ValueError(
            f"unknown learning-rate schedule {name!r}; choose one of {sorted(SCHEDULES)}"
        )
    return SCHEDULES[name](learning_rate, **options)
