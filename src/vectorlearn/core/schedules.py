"""Learning-rate schedules: ``rate(epoch, cost) -> learning rate`` for the epoch about to start.

``epoch`` counts from 0; ``cost`` is the previous epoch's training cost (None before the first).
scikit-learn's ``solver="sgd"`` schedules (:func:`make_sgd_schedule`) also hear of the end of
each epoch (``epoch_end(m)``, the ``m`` examples it saw) and of a plateau (``on_plateau()``:
True to go on at a smaller rate, False to stop).

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


class SamplesSeen(Constant):
    """scikit-learn's ``"constant"`` for ``solver="sgd"``: the rate stays; ``t`` counts the
    examples seen (scikit-learn's ``t_``), and a plateau stops training."""

    def __init__(self, learning_rate, t=0, current=None):
        super().__init__(learning_rate)
        self.t = t
        self.current = learning_rate if current is None else current

    def rate(self, epoch, cost):
        return self.current

    def epoch_end(self, m: int) -> float:
        self.t += m
        return self.current

    def on_plateau(self) -> bool:
        return False


class InverseScalingBySamples(SamplesSeen):
    """scikit-learn's ``"invscaling"``: after each epoch, ``alpha_0 / (t + 1) ** power_t`` with
    ``t`` the examples seen so far (not the epochs)."""

    def __init__(self, learning_rate, t=0, current=None, power_t=0.5):
        super().__init__(learning_rate, t, current)
        self.power_t = power_t

    def epoch_end(self, m: int) -> float:
        self.t += m
        self.current = float(self.learning_rate) / (self.t + 1) ** self.power_t
        return self.current


class DivideOnPlateau(SamplesSeen):
    """scikit-learn's ``"adaptive"``: where training would stop on a plateau (``n_iter_no_change``
    epochs without improvement by ``tol``), divide the rate by 5 and go on, until it is at most
    1e-6."""

    def on_plateau(self) -> bool:
        if self.current <= 1e-6:
            return False
        self.current /= 5.0
        return True


SGD_SCHEDULES = {
    "constant": SamplesSeen,
    "invscaling": InverseScalingBySamples,
    "adaptive": DivideOnPlateau,
}


def make_sgd_schedule(name: str, learning_rate: float, t=0, current=None, power_t=0.5):
    """scikit-learn's ``solver="sgd"`` schedule ``name``, having seen ``t`` examples, at rate
    ``current`` (None: ``learning_rate``); ``"step"`` and ``"exponential"`` are vectorlearn's.

    >>> s = make_sgd_schedule("invscaling", 0.1, t=4, power_t=0.25)
    >>> s.rate(0, None), s.epoch_end(4) == 0.1 / 9**0.25, s.t
    (0.1, True, 8)
    """
    if name in ("step", "exponential"):
        return make_schedule(name, learning_rate)
    if name == "invscaling":
        return InverseScalingBySamples(learning_rate, t, current, power_t)
    return SGD_SCHEDULES[name](learning_rate, t, current)


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
