"""``vectorlearn predict``: a trained model's predictions for the rows of a file.

A model that ``vectorlearn train`` saved is applied with NumPy alone (``_plain_model``), without
importing scikit-learn; any other, and data that model declines, go through the scikit-learn
Pipeline that ``persist.load`` rebuilds. Both write the same bytes (tested).
"""

from __future__ import annotations

import sys

import pandas as pd

from .._files import atomic_write, check_writable
from ..tabular import escape_formulas, feature_frame, read_table
from ._bundle import load_bundle, plain_bundle
from ._plain_model import Declined
from ._progress import note


def run_predict(args) -> None:
    if args.output is not None:
        check_writable(args.output)  # before the work, not after it
    plain = plain_bundle(args.model)
    model, roles, info = plain or load_bundle(args.model)
    frame = read_table(args.data)
    known = {roles.target, *roles.features, *roles.dropped}
    extra = [c for c in frame.columns if c not in known]
    if extra:
        note(f"ignored column(s) the model was not trained with: {', '.join(extra)}", args.quiet)
    X = feature_frame(frame, roles)
    out = pd.DataFrame(index=frame.index)
    if roles.id_column and roles.id_column in frame.columns:
        out[roles.id_column] = frame[roles.id_column]
    proba = args.proba and info["task"] == "classification"
    model, out[roles.target], probabilities = _predictions(model, plain, args.model, X, proba)
    if args.proba:
        if not proba:
            raise ValueError("--proba is for classification models")
        for k, label in enumerate(model.classes_):
            out[f"proba_{label}"] = probabilities[:, k]
    if not args.no_escape_formulas:
        out = escape_formulas(out)  # a spreadsheet must not run "=HYPERLINK(...)" from the data
    if args.output is None:
        out.to_csv(sys.stdout, index=False, float_format="%.17g")
        return
    try:
        with atomic_write(args.output, "w") as f:
            out.to_csv(f, index=False, float_format="%.17g")
    except OSError as error:
        raise OSError(f"cannot write {args.output}: {error.strerror or error}") from None


def _predictions(model, plain, path, X, proba: bool):
    """The model that predicted, its predictions for the feature frame ``X`` (m,) and, with
    ``proba``, its class probabilities (m, c): the plain model's, unless it declines ``X``,
    then the Pipeline's (read from ``path``)."""
    if plain is not None:
        try:
            return model, *model.predict(X, proba)
        except Declined:
            model = load_bundle(path)[0]
    return model, model.predict(X), model.predict_proba(X) if proba else None
