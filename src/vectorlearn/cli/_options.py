"""Train's options and the estimator parameters they set.

The estimators are the one source of each such option's choices (their
``_parameter_constraints``), default (their ``__init__``, read through ``get_params()``) and
checks: a solver added to an estimator is a ``--solver`` choice at once. What is the command
line's own (the data set, the split, the seed, logreg's lecture solver) is defined here.
"""

from __future__ import annotations

from ..data import DEFAULT_DATASET
from ..estimators import LogisticRegression, MLPClassifier, MLPRegressor

ESTIMATORS = {"logreg": LogisticRegression, "mlp": MLPClassifier}  # MLPRegressor: the same options
# Each model's options (argparse dest) -> the estimator parameter each one sets.
PARAMETERS = {
    "logreg": {
        "solver": "solver",
        "epochs": "max_iter",
        "learning_rate": "learning_rate",
        "C": "C",
        "dtype": "dtype",
    },
    "mlp": {
        "hidden": "hidden_layer_sizes",
        "activation": "activation",
        "solver": "solver",
        "epochs": "max_iter",
        "batch_size": "batch_size",
        "learning_rate": "learning_rate_init",
        "alpha": "alpha",
        "dropout": "dropout",
        "early_stopping": "early_stopping",
        "seed": "random_state",
        "dtype": "dtype",
    },
}
# Defaults of the command line's own, where it differs from the estimator's.
OWN_DEFAULTS = {
    "logreg": {
        "solver": "gd",  # the lecture's gradient descent (the estimator's is lbfgs)
        "dtype": "float64",  # the estimator's None: the data's, which is float64 here
    },
    "mlp": {},
}
# Options of train that fall back to a fixed default whatever the model.
TRAIN_DEFAULTS = {"dataset": DEFAULT_DATASET, "validation_fraction": 0.25, "seed": 0}
# The options that define a run: run.json stores them, --resume compares them.
RUN_OPTIONS = {
    "dataset": "--dataset",
    "target": "--target",
    "task": "--task",
    "model": "--model",
    "hidden": "--hidden",
    "activation": "--activation",
    "solver": "--solver",
    "epochs": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate": "--learning-rate",
    "alpha": "--alpha",
    "C": "--C",
    "dropout": "--dropout",
    "early_stopping": "--early-stopping",
    "validation_fraction": "--validation-fraction",
    "seed": "--seed",
    "dtype": "--dtype",
    "drop": "--drop",
    "categorical": "--categorical",
    "numeric": "--numeric",
    "text": "--text",
    "id": "--id",
    "no_refit": "--no-refit",
}


def fill_defaults(args) -> None:
    """Give the options of ``TRAIN_DEFAULTS`` left out their default."""
    for name, value in TRAIN_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def default(kind: str, option: str):
    """The default of ``option`` for the model ``kind``: the command line's, else the
    estimator's."""
    if option in OWN_DEFAULTS[kind]:
        return OWN_DEFAULTS[kind][option]
    return ESTIMATORS[kind]().get_params()[PARAMETERS[kind][option]]


def choices(option: str) -> list[str]:
    """The words ``option`` takes: those the parameter it sets allows, in any model."""
    words = {}
    for kind, parameters in PARAMETERS.items():
        if option in parameters:
            constraint = ESTIMATORS[kind]._parameter_constraints[parameters[option]]
            words.update(dict.fromkeys(w for w in _allowed(constraint) if isinstance(w, str)))
    return list(words)


def _allowed(constraint) -> list:
    """The fixed values a parameter constraint lists: scikit-learn's (a list of constraints,
    ``StrOptions`` with its set of ``options``) or vectorlearn's own (``Constraint.options``)."""
    if isinstance(constraint, (list, tuple)):
        return [value for part in constraint for value in _allowed(part)]
    options = getattr(constraint, "options", None) or ()
    return sorted(options) if isinstance(options, set) else [*options]


def run_options(args, task: str) -> dict:
    """The options that define a run, each as given or as its default resolves for ``task``
    (an option of the other model stays as given)."""
    kind = args.model or ("logreg" if task == "classification" else "mlp")
    options = {name: getattr(args, name) for name in RUN_OPTIONS}
    options.update(task=task, model=kind, dataset=args.dataset if args.data is None else None)
    for option in PARAMETERS[kind]:
        if options[option] is None:
            options[option] = default(kind, option)
    for name in ("hidden", "drop", "categorical", "numeric", "text"):
        options[name] = None if options[name] is None else list(options[name])
    if not detect_text(args):  # a run made before text columns: its run.json stays so
        del options["text"]
    return options


def detect_text(args) -> bool:
    """Whether prose columns become text: not when resuming a run made before they did (its
    run.json options have no ``text``: see ``take_stored_options``; or it has no run.json),
    whose network has no inputs for them (they were dropped as free text)."""
    resumed = getattr(args, "resume", None) is not None
    return getattr(args, "detect_text", not resumed)


def make_model(args, task: str):
    """The estimator the options ask for. Each option is checked by the constraint of the
    parameter it sets, before the run folder is touched; an option of the other model, when
    given, by that model's."""
    options = run_options(args, task)
    kind = options["model"]
    if kind == "logreg" and task == "regression":
        raise ValueError("logreg is for classification; use --model mlp for regression")
    cls = ESTIMATORS[kind] if task == "classification" else MLPRegressor
    for other in PARAMETERS.keys() - {kind}:
        for option in PARAMETERS[other].keys() - PARAMETERS[kind].keys():
            if options[option] is not None:
                _check(ESTIMATORS[other], PARAMETERS[other][option], option, options[option])
    parameters = {}
    for option, parameter in PARAMETERS[kind].items():
        parameters[parameter] = _check(cls, parameter, option, options[option])
    return cls(**parameters)


def _check(cls, parameter: str, option: str, value):
    """``value`` of ``option``, as ``parameter`` of ``cls`` takes it; a ValueError if its
    constraint refuses it."""
    if option == "hidden":
        value = tuple(value)
    elif option == "batch_size" and value == "full":
        value = None
    constraint = cls._parameter_constraints[parameter]
    if callable(constraint) and not constraint(value):  # vectorlearn's own; others: at fit
        shown = ",".join(map(str, value)) if option == "hidden" else value
        raise ValueError(
            f"{RUN_OPTIONS[option]} {shown}: {cls.__name__}'s {parameter} must be "
            f"{constraint.description}"
        )
    return value
