"""The command line's grammar: ``build_parser()``.

Where an option of ``train`` sets an estimator parameter, its choices and its default in the
help come from the estimator (:mod:`vectorlearn.cli._options`); its value is checked by the
estimator's constraints when the model is made, not here. Every option's help states its default
(``tests/test_readme_help.py``): written out where it depends on the model or the data, added by
:class:`DefaultsFormatter` where it is the option's fixed ``default``.
"""

from __future__ import annotations

import argparse

from .._version import __version__
from ..data import BUILTIN, DEFAULT_DATASET
from ..playground import add_arguments as add_playground_arguments
from . import _arguments as to


class DefaultsFormatter(argparse.HelpFormatter):
    """Adds ``(default: ...)`` to an option's help unless the help already states it; a flag
    (its default: off) and an option without a fixed default (``None``) get nothing added."""

    def _get_help_string(self, action):
        text = action.help or ""
        fixed = not any(action.default is no for no in (None, False, argparse.SUPPRESS))
        optional = action.option_strings or action.nargs == argparse.OPTIONAL
        if fixed and optional and "default" not in text:
            text += " (default: %(default)s)" if text else "default: %(default)s"
        return text


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with :class:`DefaultsFormatter`, for each subcommand too
    (``add_subparsers`` makes its parsers of the parser's own class)."""

    def __init__(self, *args, formatter_class=DefaultsFormatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)


ALL = "all"  # build_parser's default: every command in full


def build_parser(command: str | None = ALL) -> argparse.ArgumentParser:
    """The parser of ``vectorlearn``. ``command`` is the one subcommand to build in full (its
    options need the estimators or the core, which take a second or two to import); the others
    are listed with their one line only. None: no command was given (``vectorlearn --help``);
    the default, ``ALL``, builds every command in full."""
    parser = Parser(
        prog="vectorlearn",
        description="Train logistic regression and neural networks in vectorized matrix form.",
    )
    parser.add_argument("--version", action="version", version=f"vectorlearn {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    for names, add in _COMMANDS:
        if command == ALL or command in names:
            add(commands, common)
        else:
            for name in names:
                commands.add_parser(name, parents=[common], help=to.COMMANDS[name])
    return parser


def _add_gradcheck(commands, common) -> None:
    from ..core import ACTIVATIONS

    gradcheck = commands.add_parser(
        "gradcheck",
        parents=[common],
        help=to.COMMANDS["gradcheck"],
        description="Check backpropagation: build a small random network (6 inputs, the "
        "--hidden layers) with each head (sigmoid, softmax, identity) and an L2 penalty, and "
        "compare every gradient dW, dB with central differences in float64. Prints each "
        "parameter's largest relative error; exits with 1 if one is above 1e-7.",
    )
    gradcheck.add_argument(
        "--hidden",
        type=to.layer_sizes,
        default="5,4",  # a string default goes through type=, as if typed
        metavar="N,N,...",
        help="hidden layer sizes",
    )
    gradcheck.add_argument(
        "--activation", choices=list(ACTIVATIONS), default="tanh", help="hidden activation"
    )
    gradcheck.add_argument(
        "--seed", type=int, default=0, help="random seed of the weights and the data"
    )


def _add_explain(commands, common) -> None:
    from ..explain import add_explain_parser  # here: explain imports this package's _arguments

    add_explain_parser(commands, common)


def _add_check_lab(commands, common) -> None:
    from ..labs import add_check_lab_parser

    add_check_lab_parser(commands, common)


def _add_playground(commands, common) -> None:
    playground = commands.add_parser(
        "playground",
        parents=[common],
        help=to.COMMANDS["playground"],
        description="Start a local web page that trains a network on vectorlearn's core and "
        "shows each layer's matrices as it learns (pip install 'vectorlearn[playground]').",
    )
    add_playground_arguments(playground)


def _per_model(option: str) -> str:
    """``auto for logreg, 0.001 for mlp``: the default of ``option`` for each model."""
    from ._options import default

    return ", ".join(f"{default(kind, option)} for {kind}" for kind in ("logreg", "mlp"))


def _add_train(commands, common) -> None:
    from .._columns import PROSE_MIN_VOCABULARY, PROSE_MIN_WORDS
    from ._options import TRAIN_DEFAULTS, choices, default  # imports the estimators

    train = commands.add_parser(
        "train",
        parents=[common],
        help=to.COMMANDS["train"],
        description=(
            "Train on DATA (a .csv or .parquet file; --target names the column to predict) or, "
            "without DATA, on a built-in data set (default: scikit-learn's breast cancer data). "
            "Columns are sorted into numeric (median-imputed, standardized), categorical "
            "(most-frequent-imputed, one-hot), dates (ISO dates: year, month, day of week, days), "
            "text (prose or --text: TF-IDF of its words, a sparse matrix) and dropped (ids, "
            "group ids, other free text, empty); a regression target is "
            "standardized for training and predicted in its own units. A validation split is "
            "held out to report on and to choose the epochs; then the model is refitted on all "
            "rows (--no-refit keeps the held-out one). Writes a run folder with the model, "
            "metrics.json and learning_curve.png; prints the results table (or --json)."
        ),
    )
    train.add_argument(
        "data",
        nargs="?",
        metavar="DATA",
        help="a .csv or .parquet file (default: none, a built-in data set: see --dataset)",
    )
    train.add_argument("--target", help="the column to predict (needed with DATA; no default)")
    train.add_argument(
        "--dataset",
        choices=sorted(BUILTIN),
        help=f"built-in data set used when no DATA is given (default: {DEFAULT_DATASET})",
    )
    train.add_argument(
        "--task",
        choices=["classification", "regression"],
        help="force the task (default: inferred from the target column)",
    )
    train.add_argument(
        "--model",
        choices=["logreg", "mlp"],
        help="logistic regression or a neural network (default: logreg for classification, "
        "mlp for regression)",
    )
    hidden = ",".join(map(str, default("mlp", "hidden")))
    train.add_argument(
        "--hidden",
        type=to.layer_sizes,
        metavar="N,N,...",
        help=f"hidden layer sizes of the mlp, e.g. 64,32 (default: {hidden})",
    )
    train.add_argument(
        "--activation",
        choices=choices("activation"),
        help=f"hidden activation of the mlp (default: {default('mlp', 'activation')})",
    )
    train.add_argument(
        "--solver",
        choices=choices("solver"),
        help="gd: the lecture's gradient descent; lbfgs: SciPy's L-BFGS-B; the others: mlp "
        f"only (default: {_per_model('solver')})",
    )
    train.add_argument(
        "--epochs",
        type=to.positive_int,  # the estimators accept max_iter=0 (scikit-learn's); a run does not
        metavar="N",
        help=f"most epochs (default: {_per_model('epochs')})",
    )
    train.add_argument(
        "--batch-size",
        type=to.batch_size,
        metavar="N",
        help="examples per mini-batch of the mlp, 'full', or 'auto': min(200, m) "
        f"(default: {default('mlp', 'batch_size')})",
    )
    train.add_argument(
        "--learning-rate",
        type=to.learning_rate,
        metavar="RATE",
        help="step size: a positive number, or 'auto' for logreg's gd "
        f"(default: {_per_model('learning_rate')})",
    )
    for flag, option, kind, what in (
        ("--alpha", "alpha", "mlp", "L2 penalty of the mlp"),
        ("--C", "C", "logreg", "inverse L2 penalty of logreg, as in scikit-learn"),
        ("--dropout", "dropout", "mlp", "dropout rate of the mlp's hidden layers"),
    ):
        default_value = default(kind, option)
        train.add_argument(
            flag, dest=option, type=to.number, help=f"{what} (default: {default_value})"
        )
    train.add_argument(
        "--early-stopping",
        action="store_true",
        help="stop the mlp when the validation loss stops improving; keep the best epoch "
        "(default: off, train for all --epochs)",
    )
    train.add_argument(
        "--validation-fraction",
        type=to.fraction,
        metavar="F",
        help="share of rows held out for validation "
        f"(default: {TRAIN_DEFAULTS['validation_fraction']})",
    )
    train.add_argument("--seed", type=int, help=f"random seed (default: {TRAIN_DEFAULTS['seed']})")
    train.add_argument(
        "--dtype",
        choices=choices("dtype"),
        help=f"precision of training (default: {_per_model('dtype')})",
    )
    for role in ("drop", "categorical", "numeric"):
        train.add_argument(
            f"--{role}",
            type=to.names,
            action="extend",
            default=[],
            metavar="COL[,COL...]",
            help=f"treat these columns as {role if role != 'drop' else 'to be dropped'} "
            "(default: each column's role inferred from its name and values)",
        )
    train.add_argument(
        "--text",
        type=to.names,
        action="extend",
        default=[],
        metavar="COL[,COL...]",
        help="treat these columns as free text: TF-IDF features of their words (default: text "
        f"columns whose values hold {PROSE_MIN_WORDS} or more words on average, from "
        f"{PROSE_MIN_VOCABULARY} distinct words or more)",
    )
    train.add_argument(
        "--id",
        metavar="COL",
        help="the id column: not a feature; predict writes it beside each prediction "
        "(default: the column that looks like an id, if any)",
    )
    train.add_argument(
        "--no-refit",
        action="store_true",
        help="save the model fitted on the training split (by default train refits on all "
        "rows, for the epochs the validation split chose, and saves that model; the "
        "validation figures are the held-out fit's either way)",
    )
    train.add_argument(
        "--out",
        metavar="FOLDER",
        help="run folder to write (default: a new runs/<timestamp>); refused if it holds an "
        "earlier run, unless --overwrite",
    )
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="train into an --out folder that holds an earlier run: its model, checkpoint, "
        "metrics and pictures are deleted first",
    )
    train.add_argument(
        "--checkpoint-every",
        type=to.non_negative_int,
        default=10,
        metavar="N",
        help="write RUN/checkpoint.npz every N epochs, to resume after a crash or Ctrl-C; 0: "
        "never (default: %(default)s; not for lbfgs)",
    )
    train.add_argument(
        "--resume",
        metavar="RUN",
        help="continue the run in folder RUN from its checkpoint; ends with the same model as "
        "an uninterrupted run. DATA and options left out are the run's; any given must equal "
        "the run's (refused otherwise). The checkpoint belongs to the fit on the training "
        "split; the refit on all rows runs again after it (default: none, a new run)",
    )
    train.add_argument("--json", action="store_true", help="print one JSON object as the result")
    train.add_argument("--quiet", action="store_true", help="no progress or notes on stderr")


def _add_model_commands(commands, common) -> None:
    """``predict``, ``evaluate`` and ``summary``: the commands that read a trained model."""
    predict = commands.add_parser(
        "predict",
        parents=[common],
        help=to.COMMANDS["predict"],
        description="Predict each row of DATA with MODEL (a run folder or its model.npz). "
        "Keeps the id column when the training data had one.",
    )
    predict.add_argument("model", metavar="MODEL", help="a run folder or its model.npz")
    predict.add_argument("data", metavar="DATA", help="a .csv or .parquet file")
    predict.add_argument("-o", "--output", help="CSV file to write (default: standard output)")
    predict.add_argument("--proba", action="store_true", help="add each class's probability")
    predict.add_argument(
        "--no-escape-formulas",
        action="store_true",
        help="write text cells that start with = + - @, a tab or a carriage return as they are "
        "(by default they get a leading single quote, so spreadsheets do not run them as "
        "formulas)",
    )
    predict.add_argument("--quiet", action="store_true", help="no notes on stderr")

    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        help=to.COMMANDS["evaluate"],
        description="Score MODEL on DATA, which must hold the target column.",
    )
    evaluate.add_argument("model", metavar="MODEL", help="a run folder or its model.npz")
    evaluate.add_argument("data", metavar="DATA", help="a .csv or .parquet file with the target")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    summary = commands.add_parser(
        "summary",
        parents=[common],
        help=to.COMMANDS["summary"],
        description="Show what MODEL was trained for (the task and the target), how it reads "
        "the columns of a file (numeric, categorical, dates, dropped, the id) and each layer's "
        "W, B, K and A shapes with its parameter count (m: the number of examples).",
    )
    summary.add_argument("model", metavar="MODEL", help="a run folder or its model.npz")


# (commands, the function that adds them in full), in the order --help lists them.
_COMMANDS = [
    (("train",), _add_train),
    (("predict", "evaluate", "summary"), _add_model_commands),
    (("gradcheck",), _add_gradcheck),
    (("explain",), _add_explain),
    (("check-lab",), _add_check_lab),
    (("playground",), _add_playground),
]
