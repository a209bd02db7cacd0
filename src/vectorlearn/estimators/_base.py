"""What every vectorlearn estimator shares: input checks, targets, example weights, prediction.

The public API follows scikit-learn (examples are rows, ``X`` is ``(m, n_features)``); the core
takes examples as columns, so the estimators validate once and pass ``X.T``, a view, not a copy.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .. import _params
from ..core.network import Network
from ..core.training import train, train_lbfgs

FLOAT_DTYPES = (np.float64, np.float32)
NO_Y = "no_validation"  # scikit-learn's marker for "validate X alone"


class NetworkEstimator(BaseEstimator):
    """Base class: subclasses define ``_parameter_constraints`` and ``_fitted_params()``."""

    _parameter_constraints: dict = {}

    # ---- input -------------------------------------------------------------------------------
    def _validate_input(self, X, y=NO_Y, *, reset: bool, multi_output: bool = False):
        """Return ``X`` as a finite float array (m, n) (and ``y``), with a clear error otherwise."""
        dtype = self._dtype() or list(FLOAT_DTYPES)
        try:
            if isinstance(y, str) and y == NO_Y:  # prediction: float64 input predicts in float64
                return validate_data(self, X, reset=reset, dtype=list(FLOAT_DTYPES))
            return validate_data(
                self, X, y, reset=reset, dtype=dtype, multi_output=multi_output, y_numeric=False
            )
        except ValueError as error:
            if "could not convert" in str(error) or "dtype='numeric'" in str(error):
                raise ValueError(
                    f"X must be numeric: {error}. Encode text or category columns first, for "
                    "example with sklearn.preprocessing.OneHotEncoder in a Pipeline."
                ) from error
            raise

    def _dtype(self):
        dtype = getattr(self, "dtype", None)
        return None if dtype is None else np.dtype(dtype).type

    def _example_weights(self, X, y, sample_weight, class_weight=None):
        """Return ``(S, total)``: weights (1, m) scaled to mean 1 (None if all equal) and their sum.

        ``S`` multiplies the per-example loss, ``total`` sets the penalty's scale.
        """
        m = X.shape[0]
        if sample_weight is None and class_weight is None:
            return None, float(m)
        weights = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        if class_weight is not None:
            weights = weights * compute_sample_weight(class_weight, y).astype(X.dtype)
        total = float(np.sum(weights))
        if not total > 0:
            raise ValueError(
                "sample_weight sums to zero: give at least one example a positive weight."
            )
        if np.all(weights == weights[0]):
            return None, total
        return (weights * (m / total))[np.newaxis, :], total  # (1, m)

    # ---- training ------------------------------------------------------------------------------
    def _run_solver(self, network, W, B, X, Y, S, l2, *, optimizer, rng, callbacks, **options):
        """L-BFGS or the epoch loop; sets ``n_iter_``, ``loss_curve_``; return W, B, history."""
        if self.solver == "lbfgs":
            W, B, history = train_lbfgs(
                network,
                W,
                B,
                X,
                Y,
                S=S,
                l2=l2,
                max_iter=self.max_iter,
                tol=self.tol,
                validation=options.get("validation"),
                scorer=options.get("scorer"),
                callbacks=callbacks,
            )
        else:
            W, B, history = train(
                network,
                W,
                B,
                X,
                Y,
                S=S,
                l2=l2,
                optimizer=optimizer,
                rng=rng,
                max_epochs=self.max_iter,
                tol=self.tol,
                callbacks=callbacks,
                verbose=self.verbose,
                **options,
            )
        self.n_iter_ = history.n_epochs
        self.loss_curve_ = history.loss
        if not history.converged and history.n_epochs >= self.max_iter:
            warnings.warn(
                f"{type(self).__name__} did not converge in max_iter={self.max_iter} "
                f"{'iterations' if self.solver == 'lbfgs' else 'epochs'}; increase max_iter, "
                "or standardize the features.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return W, B, history

    def _validation_columns(self, validation_data, dtype):
        """``(X_val, y_val)`` -> ``(X_val.T, Y_val)``, encoded like the training set."""
        if validation_data is None:
            return None
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)") from None
        X_val = self._validate_input(X_val, reset=False).astype(dtype, copy=False)
        y_val = np.asarray(y_val)
        if X_val.shape[0] != y_val.shape[0]:
            raise ValueError(
                f"validation_data holds {X_val.shape[0]} examples but {y_val.shape[0]} targets"
            )
        classes = getattr(self, "classes_", None)
        Y_val, _ = self._encode_targets(y_val, dtype, classes=classes)
        return X_val.T, Y_val

    def _scorer(self, network, validation):
        """``scorer(W, B)``: the validation score of the current weights, or None."""
        if validation is None:
            return None
        return lambda W, B: self._score_columns(network, W, B, validation[0], validation[1])

    # ---- prediction ----------------------------------------------------------------------------
    def _network_outputs(self, X, *, logits: bool):
        """Validate ``X`` and return the logits or outputs, examples as rows: (m, n_L)."""
        check_is_fitted(self)
        X = self._validate_input(X, reset=False)
        network, W, B = self._fitted_network(X.dtype)
        A = network.logits(W, B, X.T) if logits else network.predict(W, B, X.T)  # (n_L, m)
        return A.T  # (m, n_L)

    def summary(self, m="m") -> str:
        """Layer shapes and parameter counts for ``m`` examples (needs a fitted model)."""
        check_is_fitted(self)
        return self._fitted_network(np.float64)[0].summary(m)


class ClassifierTargets:
    """Label encoding for classifiers: ``classes_``, targets ``Y`` (n_L, m), probabilities."""

    _multilabel_allowed = False

    def _encode_targets(self, y, dtype, classes=None):
        """Set ``classes_``; return ``Y`` (n_L, m) and the output head's name.

        Two classes give one sigmoid output, more give softmax over one output per class, and a
        multilabel indicator matrix (m, k) gives k independent sigmoid outputs. ``classes``, if
        given, fixes the labels (``partial_fit``); ``y`` may then hold only some of them.
        """
        check_classification_targets(y)
        if type_of_target(y) == "multilabel-indicator":
            if not self._multilabel_allowed:
                raise ValueError(
                    f"{type(self).__name__} does not take multilabel targets; use MLPClassifier."
                )
            self.classes_ = np.arange(y.shape[1])
            return np.asarray(y, dtype=dtype).T, "sigmoid"  # (k, m), a view of the rows
        if y.ndim == 2:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; using y.ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
            y = y.ravel()
        if classes is None:
            self.classes_, y_index = np.unique(y, return_inverse=True)
        else:
            self.classes_ = np.unique(classes)
            y_index = np.searchsorted(self.classes_, y)
            unknown = (y_index >= self.classes_.shape[0]) | (
                self.classes_[np.minimum(y_index, self.classes_.shape[0] - 1)] != y
            )
            if np.any(unknown):
                raise ValueError(
                    f"y holds labels {np.unique(np.asarray(y)[unknown]).tolist()} that are not "
                    f"in classes={self.classes_.tolist()}; give every label on the first call."
                )
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError(
                f"y has only one class ({self.classes_[0]!r}); a classifier needs examples of at "
                "least two classes. Check the labels, or stratify the split."
            )
        if n_classes == 2:
            return (y_index == 1).astype(dtype)[np.newaxis, :], "sigmoid"  # (1, m)
        one_hot = (y_index[:, np.newaxis] == np.arange(n_classes)).astype(dtype)  # (m, k)
        return one_hot.T, "softmax"  # (k, m), a view: each example's row stays contiguous

    def _score_columns(self, network, W, B, X_cols, Y):
        """Accuracy on ``X_cols`` (n, m), ``Y`` (n_L, m); all labels must match if multilabel."""
        K = network.logits(W, B, X_cols)  # (n_L, m)
        if K.shape[0] == 1 or getattr(self, "_is_multilabel_target", False):
            return float(np.mean(np.all((K > 0) == (Y > 0.5), axis=0)))
        return float(np.mean(np.argmax(K, axis=0) == np.argmax(Y, axis=0)))

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
        if H.shape[1] == 1:
            return np.hstack([1 - H, H])
        return H

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each example, (m,); a 0/1 matrix (m, k) for multilabel."""
        scores = self.decision_function(X)
        if self._is_multilabel():
            return (scores > 0).astype(int)
        index = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[index]


def validate_params(estimator) -> None:
    _params.validate(estimator)


def make_rng(random_state) -> np.random.Generator:
    """The one NumPy generator that drives initialization, shuffling and dropout."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**32 - 1))
    return np.random.default_rng(random_state)


__all__ = ["ClassifierTargets", "Network", "NetworkEstimator", "make_rng", "validate_params"]
