"""The command line's own models applied with NumPy alone: no scikit-learn, no SciPy.

``vectorlearn predict`` spent most of its time importing scikit-learn and SciPy (about 1.5 s of
2.2 s on 1,000 rows, this 2-core machine) to apply a few numbers. A model that ``vectorlearn
train`` saved holds exactly the preprocessing that ``_preprocessor.make_preprocessor`` builds:
each numeric column's median fills its gaps, then its mean and scale standardize it; each
categorical column's most frequent value fills its gaps, then it is one-hot encoded on its
categories; then one of vectorlearn's networks. :func:`read` recognizes that layout in the
file (``_plain_steps``), with the archive's checks (``_archive``) and the loader's own checks of
the metadata and the fitted attributes (``_fitted_checks``), and :class:`PlainModel` computes
what the loaded Pipeline computes, with the same operations in the same order: the same bits
(tested against it).

Anything else is declined (``read`` gives None, :meth:`PlainModel.predict` raises
:class:`Declined`), and the caller loads the model with ``persist.load``, whose checks and
messages then apply: another layout (text columns, a Pipeline built by hand), a stored value
out of the ordinary, and data on which the Pipeline would warn or fail, or take another path (a
value that is not finite, features beyond the square root of the largest float, no rows). So it
reads no file that ``persist.load`` refuses (tested with crafted files): the hyper-parameters
are checked against the estimators' own tables (``_params``), ``hidden_layer_sizes`` against
the weights. Nothing warns that the file's preprocessing was fitted by another scikit-learn:
no scikit-learn runs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .. import _fitted_checks, _params
from .._archive import read_archive, regular_entries
from .._fitted_checks import FORMAT, FORMAT_VERSION
from ..core.activations import ALIASES
from ..core.backend import namespace
from ..core.heads import HEADS, class_index, class_probabilities
from ..core.network import Network
from ._plain_steps import Declined, check_steps, preprocessing, target_scaling

__all__ = ["Declined", "PlainModel", "read"]


@dataclass
class PlainModel:
    """A command-line model: its preprocessing parts, then the network."""

    names: list[str]  # the feature columns, in the order the preprocessing was fitted on
    parts: list  # Numeric and Categorical, in the ColumnTransformer's order
    network: Network
    W: list  # W_l (n_{l-1}, n_l), float64
    B: list  # B_l (n_l, 1), float64
    classes_: np.ndarray | None  # (c,) labels of a classifier, else None
    scalings: list  # a regressor's (mean, scale) pairs, each applied as H * scale + mean

    def predict(self, features: pd.DataFrame, proba: bool = False):
        """Labels or targets (m,), and with ``proba`` the class probabilities (m, c) or None."""
        if list(features.columns) != self.names or len(features) == 0:
            raise Declined("columns")
        with np.errstate(all="ignore"):  # the Pipeline's warnings are its own: declined below
            X = np.hstack([part.transform(features) for part in self.parts])  # (m, n_0)
            if not np.isfinite(X).all():
                raise Declined("features that are not finite")  # the estimator refuses them
            if np.abs(X).max() > math.sqrt(np.finfo(np.float64).max):
                raise Declined("huge values")  # the estimator's scaled logits
            K = self.network.logits(self.W, self.B, X.T)  # (n_L, m)
        if not np.isfinite(K).all():
            raise Declined("logits that are not finite")  # the estimator's error
        if self.classes_ is None:
            return self._targets(K), None
        labels = self.classes_[class_index(K[0] if K.shape[0] == 1 else K.T)]  # (m,)
        if not proba:
            return labels, None
        H = HEADS[self.network.head].output(K, namespace(K)).T  # (m, n_L)
        return labels, class_probabilities(H, namespace(H))  # (m, c)

    def _targets(self, K) -> np.ndarray:
        H = HEADS[self.network.head].output(K, namespace(K)).T  # (m, 1)
        with np.errstate(over="ignore", invalid="ignore"):
            for mean, scale in self.scalings:  # the estimator's, then the target transform's
                H = H * scale + mean
        if not np.isfinite(H).all():
            raise Declined("predictions beyond the float range")  # the estimator's error
        return H[:, 0]


def read(path) -> tuple[PlainModel, dict] | None:
    """The model in the file ``path`` and the ``info`` saved with it, or None for a file that
    ``persist.load`` must read (see the module's docstring)."""
    try:
        layout = {}  # the checked parameters, from the check before any array is read
        check = partial(_check_layout, path=path, layout=layout)  # check(meta, specs)
        meta, arrays = read_archive(path, FORMAT, FORMAT_VERSION, "model", check=check)
        return _model(meta, arrays, path, layout["params"]), meta["info"]
    except (Declined, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
        return None


def _check_layout(meta, specs, path, layout: dict) -> None:
    """Before any array is read: the metadata's layout is the loader's (``_fitted_checks``)
    and the command line's (``_plain_steps``), the fitted attributes agree with each other and
    with the parameters that give the network's shape, no entry is left over."""
    name, _, attributes = _fitted_checks.check_metadata(meta, path)
    params = layout["params"] = _params_of(meta["estimator"])
    if "pipeline" not in meta:
        raise Declined("a model without its preprocessing")
    check_steps(meta["pipeline"]["preprocessing"])  # a text column's vectorizer: declined here
    if "target_transform" in meta:
        check_steps(meta["target_transform"])
    shapes = _fitted_checks.attribute_values(name, attributes, specs, path)
    _fitted_checks.check_consistent(_fitted(params, shapes), shapes, path, name)
    regular_entries(specs, _fitted_checks.entries(meta), path)


def _params_of(estimator: dict) -> dict:
    """The estimator's stored hyper-parameters, each within its constraint (``_params``, the
    estimator's own table), as ``persist.save`` writes them: all of them, but those newer than
    format 2 where they keep their old behaviour; or Declined."""
    params = {k: _fitted_checks.untagged(v) for k, v in estimator.get("params", {}).items()}
    constraints = _params.CONSTRAINTS[estimator["class"]]
    if constraints.keys() - params.keys() - _fitted_checks.NEWER_PARAMETERS.keys():
        raise Declined("a parameter left out")  # persist.load gives it its default
    if not _params.valid(constraints, params):
        raise Declined("parameters")
    return {**_fitted_checks.NEWER_PARAMETERS, **params}


def _fitted(params: dict, values: dict) -> SimpleNamespace:
    """What ``_fitted_checks`` reads of an estimator: the stored fields ``values``, the hidden
    sizes that ``hidden_layer_sizes`` gives (of an MLP), the loss and whether the target is
    standardized."""
    hidden = params.get("hidden_layer_sizes", ())
    hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in hidden):
        raise Declined("hidden_layer_sizes")
    return SimpleNamespace(
        **values,
        _hidden_sizes=lambda: hidden,
        loss=params.get("loss"),
        standardize_target=params["standardize_target"],
    )


def _model(meta, arrays, path, params: dict) -> PlainModel:
    estimator = meta["estimator"]
    name = estimator["class"]
    values = _fitted_checks.attribute_values(name, estimator["attributes"], arrays, path)
    if name == "LogisticRegression":
        coef, intercept = values["coef_"], values["intercept_"]
        head = "sigmoid" if coef.shape[0] == 1 else "softmax"
        network = Network((coef.shape[1], coef.shape[0]), head=head)
        W, B = [coef.T], [intercept.reshape(-1, 1)]
    else:
        if values.get("_is_multilabel_target", False) or values.get("_y_ndim", 1) != 1:
            raise Declined("several outputs per example")
        activation = ALIASES.get(params.get("activation"), params.get("activation"))
        sizes = (values["coefs_"][0].shape[0], *(w.shape[1] for w in values["coefs_"]))
        network = Network(sizes, activation, values["out_activation_"])
        W, B = values["coefs_"], [b.reshape(-1, 1) for b in values["intercepts_"]]
    if "feature_names_in_" in values:
        raise Declined("an estimator fitted on named columns")  # the Pipeline passes none: it warns
    fitted = _fitted(params, values)
    fitted._fitted_network = lambda: (network, W, B)
    _fitted_checks.check_values(fitted, path)
    classes = values.get("classes_")
    if classes is not None and len(classes) < 2:
        raise Declined("one class")
    for node in (meta["pipeline"]["preprocessing"], meta.get("target_transform")):
        if node is not None:
            check_steps(node, arrays, path)
    names, parts = preprocessing(meta["pipeline"]["preprocessing"], arrays)
    if sum(part.width for part in parts) != network.sizes[0]:
        raise Declined("as many features as the network's inputs")
    scalings = [] if classes is not None else _scalings(meta, values, arrays)
    W = [w.astype(np.float64) for w in W]  # float64 features predict in float64
    B = [b.astype(np.float64) for b in B]
    return PlainModel(names, parts, network, W, B, classes, scalings)


def _scalings(meta, values, arrays) -> list:
    """A regressor's ``(mean, scale)`` pairs: its own standardization of the target, then the
    target transform's (the command line standardizes a regression target with a
    ``StandardScaler`` around the model)."""
    scalings = []
    if "target_mean_" in values:
        scalings.append((values["target_mean_"], values["target_scale_"]))
    if "target_transform" in meta:
        scalings.append(target_scaling(meta["target_transform"], arrays))
    return scalings
