"""Multi-layer perceptrons: ``MLPClassifier`` and ``MLPRegressor`` on the same vectorized core.

Both share :class:`~._mlp_base.BaseMLP` (parameters, network, fitted state) and fit through
:func:`~._fitting.fit_network`, the one fit path.
"""

from __future__ import annotations

from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score

from .. import _params as p
from ..core.backend import to_numpy
from ._base import ClassifierTargets, host
from ._fitting import FitRequest, fit_network
from ._mlp_base import BaseMLP


class MLPClassifier(ClassifierTargets, ClassifierMixin, BaseMLP):
    """A multi-layer perceptron classifier: binary, multi-class and multilabel.

    Parameters follow scikit-learn's ``MLPClassifier`` where they exist, with these additions
    and differences:

    - ``solver``: ``"gd"`` (plain gradient descent), ``"momentum"`` (``momentum``,
      ``nesterovs_momentum``), ``"adam"`` or ``"lbfgs"``.
    - ``activation`` adds ``"leaky_relu"``; ``"sigmoid"`` and ``"logistic"`` are the same.
    - ``learning_rate`` adds the schedules ``"step"`` and ``"exponential"``.
    - ``alpha``: the cost is ``mean loss + alpha / (2 m) sum ||W||^2`` with ``m`` the number of
      training examples on every mini-batch, so the minimum does not depend on ``batch_size``.
    - ``batch_size=None`` trains on the full batch.
    - ``early_stopping`` holds out a stratified ``validation_fraction``, watches the validation
      ``monitor`` (``"loss"``, the default, or ``"score"``, accuracy) and restores the weights of
      the best epoch.
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
    classes_, coefs_, intercepts_, n_layers_, n_outputs_, out_activation_, n_iter_,
    loss_curve_, validation_loss_curve_, validation_scores_, best_epoch_,
    n_features_in_, feature_names_in_
    """

    _multilabel_allowed = True
    _parameter_constraints = {**BaseMLP._parameter_constraints, "class_weight": p.class_weight}

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
        dropout=0.0,
        dtype="float32",
        device="cpu",
    ):
        # scikit-learn reads the parameters from this signature, so it is spelled out in full.
        super().__init__(
            hidden_layer_sizes,
            activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            monitor=monitor,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            dropout=dropout,
            dtype=dtype,
            device=device,
        )
        self.class_weight = class_weight

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

    def partial_fit(self, X, y, classes=None, sample_weight=None, *, callbacks=()):
        """Train one epoch on a chunk ``X`` (m, n_features), ``y`` (m,) of a stream.

        ``classes``, every label the stream will hold, is required on the first call.
        """
        if classes is None and not hasattr(self, "classes_"):
            raise ValueError(
                "classes must be given on the first call to partial_fit: every label the "
                "stream will hold, e.g. classes=np.unique(y_all)."
            )
        request = FitRequest(
            sample_weight, self.class_weight, callbacks=callbacks, partial=True, classes=classes
        )
        return fit_network(self, X, y, request)

    def _stratify(self) -> bool:
        return getattr(self, "classes_", None) is not None and not self._is_multilabel_target


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multi-layer perceptron regressor (one or several targets), identity output, squared
    error ``L = ||K - Y||^2 / 2``. Parameters as in :class:`MLPClassifier` (``monitor="score"``
    watches R^2)."""

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

    def partial_fit(self, X, y, sample_weight=None, *, callbacks=()):
        """Train one epoch on a chunk ``X`` (m, n_features), ``y`` of a stream."""
        request = FitRequest(sample_weight, callbacks=callbacks, partial=True)
        return fit_network(self, X, y, request)

    def _score_columns(self, network, W, B, X_cols, Y):
        return float(r2_score(to_numpy(Y).T, to_numpy(network.logits(W, B, X_cols)).T))

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions on ``X``, ``y`` (arrays of any namespace or device)."""
        return float(r2_score(host(y), host(self.predict(X)), sample_weight=host(sample_weight)))

    def predict(self, X):
        """Predicted targets, (m,) or (m, n_targets) like the ``y`` given to ``fit``."""
        H = self._network_outputs(X, logits=False)  # (m, n_targets)
        return H[:, 0] if self._y_ndim == 1 else H
