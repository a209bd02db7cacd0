"""Export: the page's network as a vectorlearn model file, and the Python code to recreate it.

The model file holds an ``MLPClassifier`` whose ``coefs_`` and ``intercepts_`` are the page's
``W_l`` (n_{l-1}, n_l) and ``B_l`` (n_l, 1) as (n_l,): the estimator's layout is the core's. Its
inputs are the page's input features as columns of a row matrix (m, n_0); the feature names are
stored in the file's ``info`` and the code shows how to compute them.
"""

from __future__ import annotations

import os
import tempfile
import warnings

import numpy as np

from .. import persist
from ..estimators import MLPClassifier
from . import datasets as ds

MODEL_FILE = "playground-model.npz"


def estimator_params(session) -> dict:
    """MLPClassifier parameters for the session's settings (the core's ``l2`` is ``alpha / m``)."""
    s = session.settings
    epochs = max(session.epoch, 1)
    return {
        "hidden_layer_sizes": tuple(s.hidden),
        "activation": s.activation,
        "solver": s.optimizer,
        "alpha": s.l2 * session.X_train.shape[1],
        "batch_size": s.batch_size,
        "learning_rate_init": s.learning_rate,
        "max_iter": epochs,
        "n_iter_no_change": epochs,
        "dropout": s.dropout,
        "random_state": s.seed,
        "dtype": "float64",
    }


def to_estimator(session) -> MLPClassifier:
    """A fitted MLPClassifier holding the session's ``W``, ``B``.

    The estimator is fitted for one epoch to set its classes and shapes, then given the
    page's weights: the core has no public constructor from trained weights (yet).
    """
    params = estimator_params(session)
    model = MLPClassifier(**{**params, "max_iter": 1})
    labels = np.array(session.points.classes, dtype=object)[session.y_train]
    labels = labels.astype(type(session.points.classes[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(session.X_train.T, labels)  # rows are examples: (m, n_0)
    model.set_params(max_iter=params["max_iter"])
    model.coefs_ = [np.array(W_l) for W_l in session.W]  # W_l: (n_{l-1}, n_l)
    model.intercepts_ = [np.array(B_l[:, 0]) for B_l in session.B]  # B_l (n_l, 1) as (n_l,)
    return model


def model_bytes(session) -> bytes:
    """The model file's bytes (``vectorlearn.load`` reads them back)."""
    model = to_estimator(session)
    info = {"playground": {"features": list(session.settings.features), "epoch": session.epoch}}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, MODEL_FILE)
        persist.save(model, path, info=info)
        with open(path, "rb") as f:
            return f.read()


def python_code(session) -> str:
    """Python that loads the exported model, and that trains the same network afresh."""
    s = session.settings
    columns = ",\n        ".join(ds.FEATURE_SOURCE[name] for name in s.features)
    params = estimator_params(session)
    arguments = ",\n    ".join(f"{k}={v!r}" for k, v in params.items())
    return f'''import numpy as np
import vectorlearn
from vectorlearn import MLPClassifier


def features(X):
    """The playground's input features {list(s.features)} of points X (m, 2)."""
    return np.column_stack([
        {columns},
    ])


# The network trained on the page ({session.epoch} epochs):
model = vectorlearn.load("{MODEL_FILE}")
# model.predict(features(X)), model.predict_proba(features(X))

# The same network, trained afresh on your own points X (m, 2) and labels y (m,):
fresh = MLPClassifier(
    {arguments},
)
# fresh.fit(features(X), y)
'''
