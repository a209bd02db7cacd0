"""Declarative checks of estimator hyper-parameters, run at the start of ``fit`` and when a
model file is read.

Each estimator's ``_parameter_constraints`` is its table here, ``{name: constraint}`` (by class
name in ``CONSTRAINTS``, which ``vectorlearn predict`` reads without importing the estimators);
a constraint is a callable ``value -> bool`` with a ``description`` that completes the sentence
"must be ...".
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


# ---- each estimator's hyper-parameters: name -> constraint -------------------------------------
LOGISTIC_REGRESSION = {
    "penalty": one_of("l2", None, "deprecated"),
    "C": real(0, low_open=True),
    "solver": one_of("lbfgs", "gd"),
    "learning_rate": real(0, low_open=True) | one_of("auto"),
    "max_iter": integer(0),
    "tol": real(0),
    "class_weight": class_weight,
    "warm_start": boolean,
    "verbose": integer(0),
    "dtype": one_of(None, "float32", "float64"),
    "device": one_of("cpu", "cuda", "auto"),
    "fit_intercept": boolean,
    "random_state": random_state,
    "n_jobs": none | integer(),
}
MLP = {
    "hidden_layer_sizes": Constraint(
        lambda v: isinstance(v, (tuple, list, numbers.Integral)) and not isinstance(v, bool),
        "a tuple of positive integers (one per hidden layer; () for none)",
    ),
    "activation": one_of("relu", "leaky_relu", "tanh", "sigmoid", "logistic", "identity"),
    "solver": one_of("adam", "sgd", "momentum", "gd", "lbfgs"),
    "alpha": real(0),
    "batch_size": integer(1) | one_of("auto", None),
    "learning_rate": one_of("constant", "invscaling", "step", "exponential", "adaptive"),
    "learning_rate_init": real(0, low_open=True),
    "power_t": real(0),
    "max_iter": integer(1),
    "shuffle": boolean,
    "random_state": random_state,
    "tol": real(0),
    "verbose": integer(0) | boolean,
    "warm_start": boolean,
    "momentum": real(0, 1),
    "nesterovs_momentum": boolean,
    "early_stopping": boolean,
    "validation_fraction": real(0, 1, low_open=True, high_open=True),
    "monitor": one_of("loss", "score"),
    "beta_1": real(0, 1, high_open=True),
    "beta_2": real(0, 1, high_open=True),
    "epsilon": real(0, low_open=True),
    "n_iter_no_change": integer(1)
    | Constraint(lambda v: isinstance(v, float) and v == math.inf, "inf (never stop)"),
    "max_fun": integer(1),
    "dropout": real(0, 1, high_open=True),
    "dtype": one_of("float32", "float64", None),
    "device": one_of("cpu", "cuda", "auto"),
}
MLP_CLASSIFIER = {**MLP, "class_weight": class_weight}
MLP_REGRESSOR = {
    **MLP,
    "loss": one_of("squared_error", "poisson"),
    "standardize_target": boolean,
}
CONSTRAINTS = {
    "LogisticRegression": LOGISTIC_REGRESSION,
    "MLPClassifier": MLP_CLASSIFIER,
    "MLPRegressor": MLP_REGRESSOR,
}


def valid(constraints: dict, values: dict) -> bool:
    """Whether ``values`` name only parameters that ``constraints`` lists, each within its
    constraint (one left out keeps its default)."""
    return values.keys() <= constraints.keys() and all(constraints[k](v) for k, v in values.items())


def validate(estimator) -> None:
    """Raise ``ValueError`` naming the first hyper-parameter that breaks its constraint."""
    for name, constraint in estimator._parameter_constraints.items():
        value = getattr(estimator, name)
        if not constraint(value):
            raise ValueError(
                f"{type(estimator).__name__}: the {name!r} parameter must be "
                f"{constraint.description}; got {value!r}."
            )
