"""Train's data: read, sorted into column roles, the target checked, split for validation."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .. import data as builtin
from .._preprocessor import fit_preprocessor, text_terms
from ..tabular import feature_frame, infer_roles, infer_task, read_table
from ._fit import target_scaler
from ._options import detect_text, make_model
from ._progress import note


def prepare(args):
    """Read the data, decide the column roles and the task, split, fit the preprocessing and
    make the model: everything that can fail on bad input, before the run folder is touched."""
    if args.data is None:
        frame, target, source = _builtin_frame(args.dataset)
        if args.target is not None:
            raise ValueError("--target goes with a DATA file; built-in data sets know theirs")
    else:
        if args.target is None:
            raise ValueError("give the column to predict with --target")
        frame, target, source = read_table(args.data), args.target, args.data
    roles = infer_roles(
        frame,
        target,
        drop=args.drop,
        categorical=args.categorical,
        numeric=args.numeric,
        text=args.text,
        id=args.id,
        detect_text=detect_text(args),
    )
    frame = rows_with_target(frame, target, args.quiet)
    task = args.task or infer_task(frame[target])
    y = target_values(frame[target], task)
    for line in roles.notes:
        note(line, args.quiet)
    split = _split(feature_frame(frame, roles), y, task, target, args)
    preprocessor = fit_preprocessor(roles, split[0])
    dates = f"; dates: {_short(roles.dates)}" if roles.dates else ""
    terms = [
        f"{name} ({n} terms in the training rows)"
        for name, n in text_terms(roles, preprocessor).items()
    ]
    text = f"; text: {_short(terms)}" if terms else ""
    note(
        f"{task} of {target!r}; numeric: {_short(roles.numeric)}; "
        f"categorical: {_short(roles.categorical)}{dates}{text}",
        args.quiet,
    )
    model = make_model(args, task)
    return SimpleNamespace(
        target_scaler=target_scaler(split[2], task),
        roles=roles,
        task=task,
        target=target,
        source=source,
        split=split,
        preprocessor=preprocessor,
        model=model,
    )


def _short(names, most=6) -> str:
    if not names:
        return "none"
    if len(names) <= most:
        return ", ".join(names)
    return f"{len(names)} columns ({', '.join(names[:most])}, ...)"


def _builtin_frame(name: str):
    bunch = builtin.load(name, as_frame=True)
    return bunch.frame, "target", name


def rows_with_target(frame, target, quiet):
    missing = frame[target].isna()
    if missing.all():
        raise ValueError(f"the target column {target!r} has no values")
    if missing.any():
        note(f"dropped {int(missing.sum())} row(s) without a target value", quiet)
        frame = frame.loc[~missing]
    return frame


def target_values(column: pd.Series, task: str, *, training: bool = True) -> np.ndarray:
    """The target as numbers (regression) or labels (text labels as ``str``); training
    needs two classes, scoring a labelled file does not."""
    if task == "regression":
        try:
            return pd.to_numeric(column, errors="raise").to_numpy(dtype=float)
        except (ValueError, TypeError):
            raise ValueError(
                f"the target {column.name!r} holds text; regression needs numbers "
                "(or use --task classification)"
            ) from None
    values = column.to_numpy()
    if training and column.nunique() < 2:
        raise ValueError(
            f"the target {column.name!r} has only one class ({column.iloc[0]!r}); a classifier "
            "needs at least two"
        )
    if values.dtype == object:
        values = np.array([str(v) for v in values], dtype=object)
    return values


def _split(X, y, task, target, args):
    if not args.validation_fraction:
        raise ValueError("--validation-fraction must be above 0: the results need a validation set")
    stratify = None
    if task == "classification":
        counts = pd.Series(y).value_counts()
        single = [_plain(label) for label, n in counts.items() if n < 2]
        if single:
            which = "class" if len(single) == 1 else "classes"
            raise ValueError(
                f"the target {target!r} has a single row of {which} {_listed(single)}; each "
                "class needs at least 2 rows, one to train on and one to validate on: add rows "
                f"of the {which} or remove {'it' if len(single) == 1 else 'them'}"
            )
        n_validation = math.ceil(args.validation_fraction * len(y))
        if min(n_validation, len(y) - n_validation) >= counts.shape[0]:
            stratify = y  # every class in both parts
    try:
        parts = train_test_split(
            X, y, test_size=args.validation_fraction, random_state=args.seed, stratify=stratify
        )
    except ValueError as error:
        raise ValueError(f"cannot hold out a validation split: {error}") from None
    if task == "classification":
        missing = [_plain(label) for label in pd.unique(parts[3]) if label not in set(parts[2])]
        if missing:
            raise ValueError(
                "too few rows to split: the validation split took every row of "
                f"{'class' if len(missing) == 1 else 'classes'} {_listed(missing)} of the target "
                f"{target!r}, leaving none to train on; add rows or lower --validation-fraction"
            )
    return parts


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _listed(labels, most=5) -> str:
    shown = ", ".join(repr(label) for label in labels[:most])
    return shown + (f" (and {len(labels) - most} more)" if len(labels) > most else "")
