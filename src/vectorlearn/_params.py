"""Declarative checks of estimator hyper-parameters, run at the start of ``fit``.

Each estimator lists ``_parameter_constraints = {name: constraint}``; a constraint is a callable
``value -> bool`` with a ``description`` that completes the sentence "must be ...".
"""

from __future__ import annotations

import math
import numbers


class Constraint:
    """``options``: the fixed values this constraint lists (``one_of``'s, and those of both sides
    of ``a | b``), so that the command line can offer them as choices."""

    def __init__(self, test, description: str, options: tuple = ()):
        self.test, self.description, self.options = test, description, tuple(options)

    def __call__(self, value) -> bool:
        return self.test(value)

    def __or__(self, other: Constraint) -> Constraint:
        return Constraint(
            lambda v: self(v) or other(v),
            f"{self.description} or {other.description}",
            self.options + other.options,
        )


def _is_real(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def real(low=None, high=None, *, low_open=False, high_open=False) -> Constraint:
    """A real number in ``[low, high]`` (an end is excluded when ``*_open`` is true)."""

    def test(v):
        if not _is_real(v) or v != v:
            return False
        if low is not None and (v < low or (low_open and v == low)):
            return False
        return not (high is not None and (v > high or (high_open and v == high)))

    lo = "(" if low_open else "["
    hi = ")" if high_open else "]"
    bounds = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
    return Constraint(test, f"a number in {bounds}")


def integer(low=None) -> Constraint:
    def test(v):
        return (
            isinstance(v, numbers.Integral)
            and not isinstance(v, bool)
            and (low is None or v >= low)
        )

    return Constraint(test, "an integer" + ("" if low is None else f" >= {low}"))


def one_of(*options) -> Constraint:
    return Constraint(
        lambda v: isinstance(v, (str, type(None), bool)) and v in options,
        "one of " + ", ".join(repr(o) for o in options),
        options,
    )


boolean = Constraint(lambda v: isinstance(v, bool), "True or False")
none = Constraint(lambda v: v is None, "None")
random_state = Constraint(
    lambda v: (
        v is None
        or (isinstance(v, numbers.Integral) and not isinstance(v, bool))
        or hasattr(v, "integers")
        or hasattr(v, "randint")
    ),
    "None, an integer seed, or a NumPy random generator",
)
class_weight = Constraint(
    lambda v: (
        v is None
        or (isinstance(v, str) and v == "balanced")
        or (
            isinstance(v, dict)
            and all(_is_real(w) and math.isfinite(w) and w >= 0 for w in v.values())
        )
    ),
    "None, 'balanced', or a dict {class: weight} of finite weights >= 0",
)


def validate(estimator) -> None:
    """Raise ``ValueError`` naming the first hyper-parameter that breaks its constraint."""
    for name, constraint in estimator._parameter_constraints.items():
        value = getattr(estimator, name)
        if not constraint(value):
            raise ValueError(
                f"{type(estimator).__name__}: the {name!r} parameter must be "
                f"{constraint.description}; got {value!r}."
            )
