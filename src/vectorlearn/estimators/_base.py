"""What every vectorlearn estimator shows scikit-learn: parameters, prediction, scores.

The public API follows scikit-learn (examples are rows, ``X`` is ``(m, n_features)``); the core
takes examples as columns, so the estimators check the data once and pass ``X.T``, a view, not a
copy. Fitting is one path, in ``_fitting``; the data's checks are in ``_data``.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import _params
from ..core import compiled
from ..core.backend import (
    device,
    is_dask,
    is_jax,
    is_numpy_like,
    move,
    namespace,
    numpy_dtype,
    to_numpy,
)
from ..core.heads import HEADS, class_index, class_probabilities, scaled_output
from ..core.network import Network
from ._data import check_inputs
from ._fitting import (  # noqa: F401  (the command line imports these from here)
    TrainingInterrupted,
    interruptible,
    make_rng,
    raise_if_interrupted,
)
from ._scale import largest


class NetworkEstimator(BaseEstimator):
    """Base class: subclasses define ``_parameter_constraints`` and ``_fitted_network()``."""

    def _keep_arguments(self, arguments: dict) -> None:
        """Store each constructor argument, unchanged, as the attribute of its name: all that
        scikit-learn lets ``__init__`` do. ``arguments`` is the constructor's ``locals()``."""
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    _parameter_constraints: dict = {}
    _warm_start_checks_features = True  # warm_start keeps n_features_in_ (and checks it)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # SciPy CSR/CSC, on the CPU: the first layer's products
        return tags

    # ---- prediction ----------------------------------------------------------------------------
    def _network_outputs(self, X, *, logits: bool, scaled: bool = False):
        """Logits or outputs (m, n_L), computed where the weights live, in ``X``'s precision,
        returned in the caller's array type (NumPy for NumPy, lists and pandas).

        ``scaled=True`` (with ``logits``) divides each example's logits by a positive number:
        their signs and order, all a label needs, without their overflow. Inputs beyond the
        square root of the largest float, where no training data could be (see
        :func:`check_scale`), go through :meth:`~vectorlearn.core.network.Network.scaled_logits`,
        in which no product overflows: their outputs are what the logits determine even where
        the logits are beyond the float range (a probability of 1, say). What no float can give
        (a NaN logit, a regression prediction beyond the float range) raises a ValueError.
        """
        check_is_fitted(self)
        if is_dask(X):  # block by block where the data live; a Dask array comes back
            X = X.rechunk({1: -1})
            n_out = self._fitted_network()[0].sizes[-1]
            return X.map_blocks(
                lambda block: self._network_outputs(block, logits=logits, scaled=scaled),
                chunks=(X.chunks[0], (n_out,)),
                dtype=np.float32 if X.dtype == np.float32 else np.float64,
            )
        given = X
        X = check_inputs(self, X, reset=False)
        network, W, B = self._fitted_network()
        xp, dev = namespace(*W), device(W[0])
        dtype = xp.float32 if numpy_dtype(X.dtype) == np.float32 else xp.float64
        W = [move(w, xp, dev, dtype) for w in W]
        B = [move(b, xp, dev, dtype) for b in B]
        X = move(X, xp, dev, dtype)
        head = network.head
        with np.errstate(over="ignore", invalid="ignore"):  # overflows are reported below
            if largest(X) <= math.sqrt(float(np.finfo(numpy_dtype(X.dtype)).max)):
                s, K = None, network.logits(W, B, X.T)  # (n_L, m)
            else:
                s, K = network.scaled_logits(W, B, X.T)  # the logits are s (1, m) * K (n_L, m)
            if not bool(xp.all(xp.isfinite(K))):
                raise overflow_error(X, "some logits are NaN or infinite")
            if s is None:
                A = K if logits else HEADS[head].output(K, xp)
            elif logits:
                A = K if scaled else s * K  # s * K may be +-inf: the logit is beyond the range
            else:
                A = scaled_output(head, s, K, xp)
        if head == "identity" and not bool(xp.all(xp.isfinite(A))):
            raise overflow_error(X, "some predictions are beyond the largest float")
        return to_caller(A.T, given)  # (m, n_L)

    def summary(self, m="m") -> str:
        """Layer shapes and parameter counts for ``m`` examples (needs a fitted model)."""
        check_is_fitted(self)
        return self._fitted_network()[0].summary(m)


def overflow_error(X, problem: str) -> ValueError:
    """The error for a prediction on ``X`` that overflows the float range."""
    return ValueError(
        f"X (values up to {largest(X):.3g}) makes the network's outputs overflow ({problem}); "
        "scale the features as the training data were, e.g. with the StandardScaler fitted on "
        "them, in a Pipeline"
    )


def host(a):
    """``a`` as NumPy if it is an array of another namespace (a GPU tensor, say), else as is."""
    return a if a is None or is_numpy_like(a) else to_numpy(a)


def _on_device(a, ndim: int) -> bool:
    """True for an ``ndim``-D array of a namespace other than NumPy's (on any device)."""
    return not (is_numpy_like(a) or is_dask(a)) and getattr(a, "ndim", None) == ndim


def _matches(y_pred, y):
    """``y_pred == y`` (bool) on the device, for labels that are integers, booleans or whole
    floats (one reduction checks them); None for others (``0.5``, NaN), or dtypes the namespace
    will not compare (array-api-strict: integers with floats), left to scikit-learn."""
    xp = namespace(y)
    if not xp.isdtype(y.dtype, ("integral", "bool")) and not (
        xp.isdtype(y.dtype, "real floating") and bool(xp.all(xp.isfinite(y) & (y == xp.round(y))))
    ):
        return None
    try:
        return y_pred == y
    except TypeError:
        return None


def _count(right) -> int:
    """How many of the booleans ``right`` are true, in the namespace's default integer (int64
    would warn on JAX without x64); ``count_nonzero`` is from the 2024.12 array API."""
    xp = namespace(right)
    if hasattr(xp, "count_nonzero"):
        return int(xp.count_nonzero(right))
    return int(xp.sum(xp.astype(right, xp.int64)))


def _all_outputs_right(K, Y):
    """Share of the columns of the logits ``K`` (n_L, m) whose outputs all fall on ``Y``'s side
    of 0.5 (sigmoid outputs: binary or multilabel), 0-D."""
    xp = namespace(K)
    return xp.mean(xp.astype(xp.all((K > 0) == (Y > 0.5), axis=0), K.dtype))


def _class_right(K, Y):
    """Share of the columns of the logits ``K`` (n_L, m) whose largest one is ``Y``'s class,
    0-D."""
    xp = namespace(K)
    return xp.mean(xp.astype(xp.argmax(K, axis=0) == xp.argmax(Y, axis=0), K.dtype))


def to_caller(A, given):
    """``A`` in the namespace and device of the caller's input ``given`` (NumPy if NumPy-like)."""
    if is_numpy_like(given):
        return to_numpy(A)
    return move(A, namespace(given), device(given))


class ClassifierTargets:
    """What classifiers add: accuracy, decision function, probabilities, labels."""

    _multilabel_allowed = False

    def _score_logits(self, network, K, Y):
        """Accuracy of the logits ``K`` (n_L, m) on ``Y`` (n_L, m); all labels must match if
        multilabel (compiled on JAX arrays, where each eager call costs more than the
        arithmetic)."""
        one_column = network.sizes[-1] == 1 or getattr(self, "_is_multilabel_target", False)
        accuracy = _all_outputs_right if one_column else _class_right
        if is_jax(K):
            return float(compiled.jitted(accuracy)(K, Y))
        return float(accuracy(K, Y))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X``, ``y`` (arrays of any namespace or device).

        Labels on a device (a GPU tensor, say) are compared where they are, without weights:
        copying a million of them to the host and checking them there took longer than an
        epoch of training on a GPU. They must be integers, booleans or whole floats there;
        everything else goes to scikit-learn's ``accuracy_score`` (which refuses continuous
        targets), as do labels whose dtype the namespace will not compare with the predictions'.
        """
        from sklearn.metrics import accuracy_score

        y_pred = self.predict(X)
        if sample_weight is None and _on_device(y, 1) and _on_device(y_pred, 1):
            if y.shape != y_pred.shape:
                raise ValueError(
                    f"y has {y.shape[0]} labels for the {y_pred.shape[0]} rows of X; give one "
                    "label per row"
                )
            right = _matches(y_pred, y)  # (m,) True where the label is right, or None
            if right is not None:
                return _count(right) / max(y.shape[0], 1)
        return float(accuracy_score(host(y), host(y_pred), sample_weight=host(sample_weight)))

    def decision_function(self, X):
        """Logits: (m,) for two classes (positive favours ``classes_[1]``), else (m, n_classes)."""
        K = self._network_outputs(X, logits=True)
        return K[:, 0] if K.shape[1] == 1 else K

    def _is_multilabel(self) -> bool:
        return getattr(self, "out_activation_", None) == "sigmoid" and self.n_outputs_ > 1

    def predict_proba(self, X):
        """Class probabilities, (m, n_classes), in the order of ``classes_``.

        For multilabel targets, each column is the probability of its label on its own.
        """
        H = self._network_outputs(X, logits=False)  # (m, n_L)
        return class_probabilities(H, namespace(H))  # (m, c)

    def predict_log_proba(self, X):
        P = self.predict_proba(X)
        with np.errstate(divide="ignore"):  # log 0 = -inf, for a class that cannot be
            return namespace(P).log(P)

    def predict(self, X):
        """The most probable class of each example, (m,); a 0/1 matrix (m, k) for multilabel.

        Labels come back as NumPy, or in the caller's array type when they are numbers.
        """
        if is_dask(X):
            X = X.rechunk({1: -1})
            multilabel = self._is_multilabel()
            return X.map_blocks(
                self.predict,
                chunks=(X.chunks[0], (self.n_outputs_,)) if multilabel else (X.chunks[0],),
                drop_axis=None if multilabel else 1,
                dtype=int if multilabel else self.classes_.dtype,
            )
        K = self._network_outputs(X, logits=True, scaled=True)  # signs and order of the logits
        scores = to_numpy(K[:, 0] if K.shape[1] == 1 else K)
        if self._is_multilabel():
            labels = (scores > 0).astype(int)
        else:
            labels = self.classes_[class_index(scores)]
        if is_numpy_like(X) or not np.issubdtype(labels.dtype, np.number):
            return labels
        return move(np.ascontiguousarray(labels), namespace(X), device(X))


def validate_params(estimator) -> None:
    _params.validate(estimator)


__all__ = ["ClassifierTargets", "Network", "NetworkEstimator", "make_rng", "validate_params"]
