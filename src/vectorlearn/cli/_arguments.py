"""Argument types of the command line: each turns one word into a value, or says why not.

They parse; they do not check ranges that an estimator parameter has (the estimators'
``_parameter_constraints`` do, see :mod:`vectorlearn.cli._options`). ``explain`` uses them too.
"""

from __future__ import annotations

import argparse
import math


def number(text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


def fraction(text: str) -> float:
    """A number in [0, 1)."""
    value = number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


def learning_rate(text: str) -> float | str:
    return "auto" if text == "auto" else number(text)


def batch_size(text: str) -> int | str:
    return text if text in ("full", "auto") else whole_number(text)


def layer_sizes(text: str) -> tuple[int, ...]:
    """``64,32`` -> ``(64, 32)``; ``none`` or nothing -> ``()``."""
    if text.strip() in ("", "none"):
        return ()
    parts = [p.strip() for p in text.split(",")]
    if any(p == "" for p in parts):
        raise argparse.ArgumentTypeError(f"empty layer size in {text!r}; write e.g. 64,32")
    return tuple(positive_int(p) for p in parts)


def names(text: str) -> list[str]:
    """``a, b,`` -> ``["a", "b"]``."""
    return [name.strip() for name in text.split(",") if name.strip()]


class Interrupted(Exception):
    """Ctrl-C stopped training; the model so far is saved (exit status 130)."""


# Each command's one line in ``vectorlearn --help``, in the order it lists them. The commands'
# own modules use these too, so that ``vectorlearn --help`` can list every command without
# importing what the commands need (scikit-learn, the estimators, the core).
COMMANDS = {
    "train": "train a model on a CSV/Parquet file or a built-in data set",
    "predict": "predict each row of a file with a trained model",
    "evaluate": "score a model on a labelled file",
    "summary": "show a model's column roles and layer shapes",
    "gradcheck": "check backpropagation against finite differences on a small random network",
    "explain": "print one forward and one backward step, equation by equation",
    "check-lab": "check a Titanic lab's functions and name the first one that is wrong",
    "playground": "train a network in the browser and watch its matrices learn",
}
