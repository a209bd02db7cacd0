"""Multi-layer perceptrons: ``MLPClassifier`` and ``MLPRegressor`` on the same vectorized core.

Both share :class:`~._mlp_base.BaseMLP` (parameters, network, fitted state) and fit through
:func:`~._fitting.fit_network`, the one fit path.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from .. import _params as p
from ..core.backend import namespace, to_numpy
from ..core.heads import HEADS
from ._base import ClassifierTargets, host
from ._fitting import FitRequest, fit_network, fitted_scaling
from ._mlp_base import BaseMLP
from ._targets import destandardize


class MLPClassifier(ClassifierTargets, ClassifierMixin, BaseMLP):
    """A multi-layer perceptron classifier: binary, multi-class and multilabel.

    Parameters follow scikit-learn's ``MLPClassifier`` where they exist, with these additions
    and differences:

    - ``solver``: ``"sgd"`` (scikit-learn's: ``momentum``, ``nesterovs_momentum`` and its
      ``learning_rate`` schedules by examples seen), ``"adam"``, ``"lbfgs"`` (``max_fun``), and
      the lecture's ``"gd"`` (plain gradient descent) and ``"momentum"``.
    - ``activation`` adds ``"leaky_relu"``; ``"sigmoid"`` and ``"logistic"`` are the same.
    - ``learning_rate`` adds the schedules ``"step"`` and ``"exponential"``. With ``"sgd"``,
      ``"invscaling"`` is ``learning_rate_init / (t_ + 1) ** power_t`` after each epoch and
      ``"adaptive"`` divides the rate by 5 where training would stop, as in scikit-learn; with
      ``"gd"``, ``"momentum"`` and ``"adam"`` they count epochs (``invscaling``:
      ``learning_rate_init / (epoch + 1) ** power_t``; ``adaptive``: divide by 5 after two
      epochs without improvement).
    - ``n_iter_no_change``: training stops after more than this many epochs without an
      improvement by ``tol`` (``np.inf``: never); with early stopping, a validation score that
      does not improve (a flat one too) also stops it.
    - ``alpha``: the cost is ``mean loss + alpha / (2 m) sum ||W||^2`` with ``m`` the number of
      training examples on every mini-batch, so the minimum does not depend on ``batch_size``.
    - ``batch_size=None`` trains on the full batch.
    - ``early_stopping`` holds out a stratified ``validation_fraction``, watches the validation
      ``monitor`` (``"loss"``, the default, or ``"score"``, accuracy) and restores the weights of
      the best epoch (``best_epoch_``); ``best_validation_score_`` is the best score.
    - ``dropout``: inverted dropout on the hidden layers while training.
    - ``dtype``: ``"float32"`` (default, fast) or ``"float64"``; None keeps the input's.
    - ``device``: ``"cpu"`` (default), ``"cuda"`` or ``"auto"``: where NumPy or pandas input
      trains. PyTorch and CuPy input trains where it is; ``coefs_`` stay on that device and
      predictions come back in the caller's array type.
    - ``class_weight``: None, ``"balanced"`` or ``{class: weight}`` (finite weights >= 0).
    - ``hidden_layer_sizes``: the network may have at most 2**31 weights and intercepts in all;
      a larger one is refused with a ``ValueError`` before anything is allocated.

    Attributes
    ----------
    classes_, coefs_, intercepts_, n_layers_, n_outputs_, out_activation_, n_iter_, t_,
    loss_curve_, best_loss_, validation_loss_curve_, validation_scores_,
    best_validation_score_, best_epoch_, n_features_in_, feature_names_in_

    One class in ``y`` is fitted as scikit-learn does: every prediction is that class.
    """

    _multilabel_allowed = True
    _one_class_allowed = True
    _parameter_constraints = p.MLP_CLASSIFIER

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        class_weight=None,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        monitor="loss",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        dtype="float32",
        device="cpu",
    ):
        # scikit-learn reads the parameters from this signature, so it is spelled out in full;
        # the body only stores them (scikit-learn's rule for __init__).
        self._keep_arguments(locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        validation_data=None,
        callbacks=(),
        checkpoint=None,
        checkpoint_every=1,
        resume=None,
    ):
        """Fit on ``X`` (m, n_features) and ``y`` (m,) labels or an (m, k) 0/1 label matrix.

        ``validation_data=(X_val, y_val)`` records ``validation_loss_curve_`` and
        ``validation_scores_`` after every epoch, and is what early stopping watches when given
        (instead of a split of ``X``). ``callbacks`` are called after every epoch with a dict
        (``epoch``, ``loss``, ``validation_loss``, ...); one returning True stops training.
        ``checkpoint=PATH`` writes the whole training state every ``checkpoint_every`` epochs;
        ``resume=PATH`` continues from such a file with the same data and parameters, ending
        with bitwise the same weights as an uninterrupted run. Ctrl-C stops training after the
        current mini-batch: the model keeps the weights so far and ``TrainingInterrupted`` (a
        ``KeyboardInterrupt``) is raised.
        """
        request = FitRequest(
            sample_weight, self.class_weight, validation_data, callbacks, checkpoint,
            checkpoint_every, resume,
        )  # fmt: skip
        return fit_network(self, X, y, request)

    @available_if(BaseMLP._mini_batch_solver)
    def partial_fit(self, X, y, classes=None, sample_weight=None, *, callbacks=()):
        """Train one epoch on a chunk ``X`` (m, n_features), ``y`` (m,) of a stream.

        ``classes``, every label the stream will hold, is required on the first call; a later
        call may repeat it, not change it.
        """
        self._check_partial()
        fitted = getattr(self, "classes_", None)
        if classes is None and fitted is None:
            raise ValueError(
                "classes must be given on the first call to partial_fit: every label the "
                "stream will hold, e.g. classes=np.unique(y_all)."
            )
        if classes is not None and fitted is not None:
            if not np.array_equal(fitted, np.unique(classes)):
                raise ValueError(
                    f"classes={classes!r} is not the same as on the first call to partial_fit "
                    f"(or fit), {fitted.tolist()}; the network has one output per class."
                )
        request = FitRequest(
            sample_weight, self.class_weight, callbacks=callbacks, partial=True, classes=classes
        )
        return fit_network(self, X, y, request)

    def _stratify_labels(self, y):
        """As scikit-learn: the 0/1 indicator of each class ((m, 1) for two), none for
        multilabel targets."""
        if getattr(self, "classes_", None) is None or self._is_multilabel_target:
            return None
        classes = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        return np.asarray(y)[:, np.newaxis] == classes[np.newaxis, :]  # (m, k) booleans

    def predict(self, X):
        labels = super().predict(X) if len(getattr(self, "classes_", ())) != 1 else None
        if labels is not None:
            return labels
        return np.full(self.decision_function(X).shape[0], self.classes_[0])  # one class


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multi-layer perceptron regressor (one or several targets).

    Parameters as in :class:`MLPClassifier` (``monitor="score"`` watches R^2), and:

    - ``loss``: ``"squared_error"`` (identity output, ``L = ||K - Y||^2 / 2``) or
      ``"poisson"`` (for counts and rates ``y >= 0``: output ``exp(K)``, half the Poisson
      deviance ``L = Y log(Y / H) - Y + H``), as in scikit-learn.
    - ``standardize_target`` (bool, default False): train on ``(y - target_mean_) /
      target_scale_``, each output's mean and (population) standard deviation over ``fit``'s
      ``y`` (a constant output: scale 1), and predict ``H * target_scale_ + target_mean_``,
      in the target's units; exactly ``TransformedTargetRegressor(MLPRegressor(...),
      transformer=StandardScaler())``, saved with the model (scikit-learn's
      ``GaussianProcessRegressor`` calls this ``normalize_y``). ``predict`` and ``score``
      (R^2) are in the target's units; ``loss_curve_``, ``best_loss_`` and
      ``validation_loss_curve_`` are on the standardized scale; ``validation_scores_`` (R^2)
      are the same on both. Example weights do not enter the statistics. ``partial_fit`` keeps
      the statistics of its first call's chunk; a later ``fit`` (``warm_start`` too) takes
      them anew from its ``y``. Not with ``loss="poisson"`` (standardized targets are
      negative).

    Attributes
    ----------
    coefs_, intercepts_, n_layers_, n_outputs_, out_activation_, n_iter_, t_, loss_curve_,
    best_loss_, validation_loss_curve_, validation_scores_, best_validation_score_,
    best_epoch_, n_features_in_, feature_names_in_ : as in :class:`MLPClassifier`.
    target_mean_ : ndarray of shape (n_outputs,), float64
        The mean of each target column (only with ``standardize_target=True``).
    target_scale_ : ndarray of shape (n_outputs,), float64
        The standard deviation of each target column, 1 where it is constant (only with
        ``standardize_target=True``).
    """

    _parameter_constraints = p.MLP_REGRESSOR

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        loss="squared_error",
        standardize_target=False,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=0,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        monitor="loss",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        dtype="float32",
        device="cpu",
    ):
        self._keep_arguments(locals())  # as MLPClassifier's

    def _head(self, data) -> str:
        if self.loss != "poisson":
            return "identity"
        if self.standardize_target:
            raise ValueError(
                "standardize_target=True cannot go with loss='poisson': standardized targets "
                "are negative, and the Poisson loss needs y >= 0; set standardize_target=False."
            )
        if data.y is not None and np.any(np.asarray(data.y) < 0):
            raise ValueError(
                "loss='poisson' needs targets y >= 0 (counts or rates); y has negative values. "
                "Use loss='squared_error' for them."
            )
        return "exp"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        validation_data=None,
        callbacks=(),
        checkpoint=None,
        checkpoint_every=1,
        resume=None,
    ):
        """Fit on ``X`` (m, n_features) and ``y`` (m,) or (m, n_targets); see MLPClassifier.fit."""
        request = FitRequest(
            sample_weight, None, validation_data, callbacks, checkpoint, checkpoint_every, resume
        )
        return fit_network(self, X, y, request)

    @available_if(BaseMLP._mini_batch_solver)
    def partial_fit(self, X, y, sample_weight=None, *, callbacks=()):
        """Train one epoch on a chunk ``X`` (m, n_features), ``y`` of a stream.

        With ``standardize_target=True``, the first call's chunk sets ``target_mean_`` and
        ``target_scale_``; later calls standardize with them."""
        self._check_partial()
        fitted = hasattr(self, "coefs_")
        if fitted and bool(self.standardize_target) != (fitted_scaling(self) is not None):
            raise ValueError(
                f"standardize_target={self.standardize_target!r} differs from the first call to "
                "partial_fit (or fit), whose targets the network learned; keep it, or call fit."
            )
        request = FitRequest(sample_weight, callbacks=callbacks, partial=True)
        return fit_network(self, X, y, request)

    def _score_logits(self, network, K, Y):
        H = HEADS[network.head].output(K, namespace(K))  # (n_L, m)
        return float(r2_score(to_numpy(Y).T, to_numpy(H).T))

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions on ``X``, ``y`` (arrays of any namespace or device)."""
        return float(r2_score(host(y), host(self.predict(X)), sample_weight=host(sample_weight)))

    def predict(self, X):
        """Predicted targets, (m,) or (m, n_targets) like the ``y`` given to ``fit``, in its
        units (``standardize_target``: ``H * target_scale_ + target_mean_``)."""
        H = self._network_outputs(X, logits=False)  # (m, n_targets)
        H = destandardize(H, fitted_scaling(self))  # (m, n_targets)
        return H[:, 0] if self._y_ndim == 1 else H
