"""Train's two fits: the held-out fit, then the refit on all rows.

The held-out fit trains on the training split and watches the validation split: it gives the
validation figures and chooses the number of epochs (early stopping's best epoch, else the
epochs it ran; for L-BFGS the iterations it took). The refit then trains a fresh model with the
same options and seed on every row, for exactly that many epochs, without early stopping; its
preprocessing and target scaling are fitted on every row too. ``--no-refit`` keeps the held-out
model. Checkpoints and ``--resume`` belong to the held-out fit: the refit is short, keeps no
checkpoint, and runs again after a resumed held-out fit ends, so a resumed run ends with the
same model as an uninterrupted one.

A regression target is standardized (mean and standard deviation of the rows fitted on) and the
model is saved inside a ``TransformedTargetRegressor``, so predictions come back in the
target's units.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .._preprocessor import fit_preprocessor
from ..estimators._base import TrainingInterrupted
from ._progress import Progress, note


def target_scaler(y, task: str) -> StandardScaler | None:
    """A ``StandardScaler`` fitted on a regression target ``y`` (m,); None for classification."""
    if task != "regression":
        return None
    return StandardScaler().fit(np.asarray(y, dtype=float).reshape(-1, 1))


def scaled(scaler, y):
    """``y`` as the network is trained on it: standardized for a regression."""
    if scaler is None:
        return y
    return scaler.transform(np.asarray(y, dtype=float).reshape(-1, 1))[:, 0]


def assemble(preprocessor, model, scaler) -> Pipeline:
    """The saved Pipeline: preprocessing, then the model (inside the target's scaling)."""
    final = model
    if scaler is not None:
        final = TransformedTargetRegressor(regressor=clone(model), transformer=StandardScaler())
        final.regressor_, final.transformer_, final._training_dim = model, scaler, 1
    return Pipeline([("preprocess", preprocessor), ("model", final)])


def iterations(model) -> int:
    """Epochs (or L-BFGS iterations) the fit ran: ``n_iter_`` is an int for the MLPs and, as in
    scikit-learn, an array of shape (1,) for LogisticRegression."""
    return int(np.max(model.n_iter_))


def chosen_epochs(model) -> int:
    """The epochs the held-out fit chose: early stopping's best epoch, else the epochs run."""
    best = getattr(model, "best_epoch_", None) if getattr(model, "early_stopping", False) else None
    return max(1, int(best or iterations(model)))


def fit(model, X, y, args, ctrl_c, *, validation=None, options=None, label="epoch"):
    """Fit ``model``; return the Ctrl-C message (None when it ran to its end) and the warnings
    it gave, each said in the command line's words."""
    progress = Progress(model.max_iter, args.quiet, label=label)
    interrupted = None
    with warnings.catch_warnings(record=True) as caught, ctrl_c.active(model.solver == "lbfgs"):
        warnings.simplefilter("always")
        try:
            model.fit(
                X, y, validation_data=validation, callbacks=[progress, ctrl_c], **(options or {})
            )
        except TrainingInterrupted as stop:
            interrupted = str(stop)
        finally:
            progress.close()
    if ctrl_c.requested and interrupted is None:
        name, n = type(model).__name__, iterations(model)
        interrupted = (
            f"{name}: L-BFGS stopped by Ctrl-C after iteration {n}; "
            "the model holds the weights of that iteration"
        )
    said = []
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            said.append(_not_converged(model))
        elif issubclass(warning.category, (UserWarning, RuntimeWarning)):
            said.append(f"warning: {warning.message}")
    return interrupted, [line for line in said if line]


def _not_converged(model) -> str:
    """The estimator's ConvergenceWarning, in the command line's words (its option is
    ``--epochs``, and it standardizes the features itself)."""
    n = iterations(model)
    if model.solver == "lbfgs":
        return f"note: L-BFGS had not converged after {n} iterations; more --epochs may help"
    if getattr(model, "early_stopping", False):
        return (
            f"note: the validation loss was still improving at the last of the {n} epochs; "
            "more --epochs may help"
        )
    curve = getattr(model, "validation_loss_curve_", None) or []
    best = int(np.argmin(curve)) + 1 if curve else n
    if best < 0.8 * n:  # the validation loss turned up long ago: more epochs would overfit
        return (
            f"note: the training cost was still falling after {n} epochs, but the validation "
            f"loss was lowest at epoch {best} and has risen since; more --epochs would overfit"
            + (
                ", --early-stopping keeps the best epoch"
                if "early_stopping" in model.get_params()
                else ""
            )
        )
    advice = " (--early-stopping lets the validation split decide when to stop)"
    return f"note: the training cost was still falling after {n} epochs; more --epochs may help" + (
        advice if "early_stopping" in model.get_params() else ""
    )


def refit(prepared, args, ctrl_c):
    """The refit on all rows (see the module's docstring): ``(pipeline, interrupted, info)``."""
    X_train, X_val, y_train, y_val = prepared.split
    held_out = prepared.model
    epochs = chosen_epochs(held_out)
    best = getattr(held_out, "early_stopping", False) and getattr(held_out, "best_epoch_", None)
    X_all = pd.concat([X_train, X_val])
    y_all = np.concatenate([np.asarray(y_train), np.asarray(y_val)])
    model = clone(held_out).set_params(max_iter=epochs)
    if "early_stopping" in model.get_params():
        model.set_params(early_stopping=False)
    unit = "iterations" if model.solver == "lbfgs" else "epochs"
    why = "the best epoch on the validation split" if best else "as many as the held-out fit ran"
    note(
        f"refitting on all {len(y_all)} rows for {epochs} {unit} ({why}; --no-refit keeps the "
        "model fitted on the training split)",
        args.quiet,
    )
    preprocessor = fit_preprocessor(prepared.roles, X_all)
    scaler = target_scaler(y_all, prepared.task)
    interrupted, _ = fit(
        model, preprocessor.transform(X_all), scaled(scaler, y_all), args, ctrl_c, label="refit"
    )  # its convergence warnings are no news: it runs the chosen epochs on purpose
    pipeline = assemble(preprocessor, model, scaler)
    info = {"n_rows": len(y_all), "n_iter": iterations(model), "epochs_chosen": epochs}
    return pipeline, interrupted, (X_all, y_all, info)
