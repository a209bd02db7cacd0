"""Multi-layer perceptrons: ``MLPClassifier`` and ``MLPRegressor`` on the same vectorized core.

"The deeper it goes, the more features it can extract": each hidden layer ``A_l = g(W_l^T A_{l-1}
+ B_l)`` builds new features from the last, and the output layer is logistic regression (or
linear regression) on the deepest ones. ``hidden_layer_sizes=()`` is exactly
``LogisticRegression``.
"""

from __future__ import annotations

import numbers
import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split

from .. import _params as p
from ..core.backend import device, is_dask, move, namespace, numpy_dtype, to_numpy
from ..core.network import Network
from ..core.optimizers import Adam, GradientDescent, Momentum
from ..core.schedules import make_schedule
from ..core.training import TrainingDiverged, columns, train
from ._base import (
    NO_Y,
    ClassifierTargets,
    NetworkEstimator,
    check_scale,
    host,
    make_rng,
    raise_if_interrupted,
    validate_params,
)

ACTIVATION_ALIASES = {"logistic": "sigmoid"}  # scikit-learn's name for the sigmoid
MAX_PARAMETERS = 2**31  # the most weights and intercepts a network may have (see _check_size)
STATE_COPIES = {"adam": 4, "momentum": 3}  # parameter-sized arrays: W, dW and the state; else 2


class BaseMLP(NetworkEstimator):
    """Shared by both MLPs: parameters, the fit procedure, fitted attributes."""

    _parameter_constraints = {
        "hidden_layer_sizes": p.Constraint(
            lambda v: isinstance(v, (tuple, list, numbers.Integral)) and not isinstance(v, bool),
            "a tuple of positive integers (one per hidden layer; () for none)",
        ),
        "activation": p.one_of("relu", "leaky_relu", "tanh", "sigmoid", "logistic", "identity"),
        "solver": p.one_of("adam", "momentum", "gd", "lbfgs"),
        "alpha": p.real(0),
        "batch_size": p.integer(1) | p.one_of("auto", None),
        "learning_rate": p.one_of("constant", "invscaling", "step", "exponential", "adaptive"),
        "learning_rate_init": p.real(0, low_open=True),
        "power_t": p.real(0),
        "max_iter": p.integer(1),
        "shuffle": p.boolean,
        "random_state": p.random_state,
        "tol": p.real(0),
        "verbose": p.integer(0) | p.boolean,
        "warm_start": p.boolean,
        "momentum": p.real(0, 1),
        "nesterovs_momentum": p.boolean,
        "early_stopping": p.boolean,
        "validation_fraction": p.real(0, 1, low_open=True, high_open=True),
        "monitor": p.one_of("loss", "score"),
        "beta_1": p.real(0, 1, high_open=True),
        "beta_2": p.real(0, 1, high_open=True),
        "epsilon": p.real(0, low_open=True),
        "n_iter_no_change": p.integer(1),
        "dropout": p.real(0, 1, high_open=True),
        "dtype": p.one_of("float32", "float64", None),
        "device": p.one_of("cpu", "cuda", "auto"),
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.monitor = monitor
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.dtype = dtype
        self.device = device

    # ---- checks ------------------------------------------------------------------------------
    def _hidden_sizes(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
        for size in sizes:
            if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 1:
                raise ValueError(
                    f"hidden_layer_sizes must hold positive integers, one per hidden layer; got "
                    f"{self.hidden_layer_sizes!r}. Use () for no hidden layer."
                )
        return tuple(int(s) for s in sizes)

    def _check_size(self, network, dtype) -> None:
        """Refuse, before allocating anything, a network of more than ``MAX_PARAMETERS`` (2**31)
        weights and intercepts: with its gradients and the optimizer's state (Adam keeps two
        moments, momentum a velocity) that is at least 17 GB in float32."""
        n = network.n_parameters
        if n <= MAX_PARAMETERS:
            return
        itemsize = np.dtype(numpy_dtype(dtype)).itemsize
        gigabytes = n * itemsize * STATE_COPIES.get(self.solver, 2) / 1e9
        raise ValueError(
            f"hidden_layer_sizes={self.hidden_layer_sizes!r} makes a network of {n:,} weights "
            f"and intercepts (layer sizes {network.sizes}), more than the {MAX_PARAMETERS:,} "
            f"that {type(self).__name__} trains: with their gradients and the {self.solver} "
            f"solver's state they need at least {gigabytes:,.1f} GB in "
            f"{numpy_dtype(dtype).__name__}. Use fewer or smaller hidden layers."
        )

    def _batch_size(self, m: int) -> int | None:
        if self.solver == "lbfgs" or self.batch_size is None:
            return None
        if self.batch_size == "auto":
            return min(200, m)
        if self.batch_size > m:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {m} training examples; "
                f"using {m} (full batch).",
                UserWarning,
                stacklevel=3,
            )
            return m
        return self.batch_size

    def _make_optimizer(self):
        rate = self.learning_rate_init
        if self.solver == "adam":
            return Adam(rate, self.beta_1, self.beta_2, self.epsilon)
        if self.solver == "momentum":
            return Momentum(rate, self.momentum, self.nesterovs_momentum)
        return GradientDescent(rate)

    def _schedule(self):
        options = {"power_t": self.power_t} if self.learning_rate == "invscaling" else {}
        if self.learning_rate == "adaptive":
            options = {"tol": self.tol}
        return make_schedule(self.learning_rate, self.learning_rate_init, **options)

    # ---- fit ---------------------------------------------------------------------------------
    def _fit(self, X, y, sample_weight, class_weight, validation_data, callbacks, persistence):
        validate_params(self)
        hidden = self._hidden_sizes()
        warm = self.warm_start and hasattr(self, "coefs_")
        X_cols, Y, S, head, total_weight, template, y = self._training_data(
            X, y, sample_weight, class_weight, reset=not warm, multi_output=True
        )  # X_cols: (n, m), on its device (or row blocks on a Dask cluster)
        xp = namespace(template)
        n_out = Y.shape[0] if Y is not None else X_cols.n_outputs
        self._rng = rng = make_rng(self.random_state)
        network = Network((X_cols.shape[0], *hidden, n_out), self._activation(), head)
        self._check_size(network, template.dtype)
        W, B = self._starting_weights(network, rng, template, warm)

        validation = self._validation_columns(validation_data, template)
        if validation is None and self.early_stopping:
            if y is None:
                raise ValueError(
                    "early stopping on Dask data needs validation_data=(X_val, y_val): the "
                    "validation rows are not split off a distributed array."
                )
            m = X_cols.shape[1]
            train_idx, val_idx = self._validation_split(y, rng)
            validation = tuple(columns(A, val_idx, xp) for A in (X_cols, Y, S))
            X_cols, Y, S = (columns(A, train_idx, xp) for A in (X_cols, Y, S))
            if S is not None:
                kept = float(xp.sum(S))
                total_weight *= kept / m
                S = S * (S.shape[1] / kept)  # mean 1 again
            else:
                total_weight *= len(train_idx) / m
        l2 = self.alpha / total_weight  # J = mean loss + alpha / (2 m) sum ||W||^2

        self._optimizer = self._make_optimizer()
        with self._keeping_finite_weights(network):
            W, B, history = self._run_solver(
                network,
                W,
                B,
                X_cols,
                Y,
                S,
                l2,
                optimizer=self._optimizer,
                rng=rng,
                callbacks=callbacks,
                like=template,
                persistence=persistence,
                batch_size=self._batch_size(X_cols.shape[1]),
                shuffle=self.shuffle,
                n_iter_no_change=self.n_iter_no_change,
                schedule=self._schedule(),
                dropout=self.dropout,
                validation=validation,
                early_stopping=self.early_stopping,
                monitor=self.monitor,
                scorer=self._scorer(network, validation),
            )
        self._store(network, W, B)
        self.validation_loss_curve_ = history.validation_loss if validation else None
        self.validation_scores_ = history.validation_score if validation else None
        self.best_epoch_ = history.best_epoch
        if self.early_stopping and history.best_epoch:
            self.best_validation_score_ = history.validation_score[history.best_epoch - 1]
        raise_if_interrupted(self, history)
        return self

    def _partial_fit(self, X, y, sample_weight, class_weight, classes, callbacks):
        """One epoch over ``X``, ``y`` (a chunk of a stream), continuing from the last call."""
        first = not hasattr(self, "coefs_")
        if first:
            validate_params(self)
        if self.solver == "lbfgs":
            raise ValueError(
                "partial_fit needs a mini-batch solver: set solver to 'adam', 'momentum' or 'gd'."
            )
        hidden = self._hidden_sizes()
        if is_dask(X):
            raise TypeError("partial_fit takes in-memory chunks; fit trains on Dask arrays")
        X, y = self._validate_input(X, y, reset=first, multi_output=True)  # X: (m, n)
        check_scale(X, self)
        Y, head = self._encode_targets(y, numpy_dtype(X.dtype), classes=classes, first_call=first)
        Y = self._targets_on(X, Y)
        S, total_weight = self._example_weights(X, y, sample_weight, class_weight)
        network = Network((X.shape[1], *hidden, Y.shape[0]), self._activation(), head)
        self._check_size(network, X.dtype)
        if getattr(self, "_rng", None) is None:
            self._rng = make_rng(self.random_state)
        if not first and [tuple(w.shape) for w in self.coefs_] != _weight_shapes(network):
            raise ValueError(
                "partial_fit got data whose shape does not match the network "
                f"{network.sizes}; pass the same features and targets on every call."
            )
        W, B = self._starting_weights(network, self._rng, X, warm=not first)
        if getattr(self, "_optimizer", None) is None:
            self._optimizer = self._make_optimizer()
        with self._keeping_finite_weights(network):
            W, B, history = train(
                network,
                W,
                B,
                X.T,
                Y,
                S=S,
                l2=self.alpha / total_weight,
                optimizer=self._optimizer,
                rng=self._rng,
                batch_size=self._batch_size(X.shape[0]),
                max_epochs=1,
                shuffle=self.shuffle,
                n_iter_no_change=None,
                dropout=self.dropout,
                callbacks=callbacks,
            )
        self._store(network, W, B)
        self.n_iter_ = getattr(self, "n_iter_", 0) + 1
        self.loss_curve_ = [*getattr(self, "loss_curve_", []), *history.loss]
        self.best_epoch_ = self.n_iter_
        return self

    def _starting_weights(self, network, rng, X, warm: bool):
        """The fitted weights to continue from (when ``warm`` and the shapes agree), else a
        fresh draw from ``rng``; on ``X``'s namespace, dtype and device."""
        xp, dev = namespace(X), device(X)
        if warm and [tuple(w.shape) for w in self.coefs_] == _weight_shapes(network):
            _, W, B = self._fitted_network()
            return [move(w, xp, dev, X.dtype) for w in W], [move(b, xp, dev, X.dtype) for b in B]
        return network.init_params(rng, xp, X.dtype, dev)

    @contextmanager
    def _keeping_finite_weights(self, network):
        """On divergence, keep the last weights with a finite cost as the model, then re-raise."""
        try:
            yield
        except TrainingDiverged as error:
            self._store(network, error.W, error.B)
            if error.penalty:  # name the parameter that sets the penalty
                raise TrainingDiverged(
                    error.epoch,
                    None,
                    error.W,
                    error.B,
                    error.penalty,
                    setting=f"alpha={self.alpha:g} is so large",
                    fix="a smaller alpha",
                ) from None
            raise

    def _activation(self) -> str:
        return ACTIVATION_ALIASES.get(self.activation, self.activation)

    def _validation_split(self, y, rng):
        m = y.shape[0]
        stratify = y if self._stratify() else None
        try:
            train_idx, val_idx = train_test_split(
                np.arange(m),
                test_size=self.validation_fraction,
                stratify=stratify,
                random_state=int(rng.integers(2**31 - 1)),
            )
        except ValueError as error:
            raise ValueError(
                f"the validation split (validation_fraction={self.validation_fraction} of {m} "
                f"examples) is too small to hold every class ({error}); raise "
                "validation_fraction, add data, or set early_stopping=False."
            ) from None
        if min(len(train_idx), len(val_idx)) < 1:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves an empty training or "
                f"validation set with {m} examples; change it or set early_stopping=False."
            )
        return train_idx, val_idx

    def _stratify(self) -> bool:
        return False

    def _store(self, network, W, B):
        self.coefs_ = list(W)  # W_l: (n_{l-1}, n_l), scikit-learn's shape, on the data's device
        self.intercepts_ = [b[:, 0] for b in B]  # B_l as (n_l,)
        self.n_layers_ = network.n_layers + 1  # scikit-learn counts the input layer
        self.n_outputs_ = network.sizes[-1]
        self.out_activation_ = network.head

    def _fitted_network(self):
        """The network and its ``W``, ``B`` lists, in the fitted arrays' namespace and device."""
        sizes = (self.coefs_[0].shape[0], *(w.shape[1] for w in self.coefs_))
        network = Network(sizes, self._activation(), self.out_activation_)
        xp = namespace(*self.coefs_)
        return network, list(self.coefs_), [xp.reshape(b, (-1, 1)) for b in self.intercepts_]

    def summary(self, m="m", n_features=None) -> str:
        """Each layer's ``W``, ``B``, ``K``, ``A`` shapes for ``m`` examples, and parameter counts.

        On an unfitted model, give ``n_features``; the output layer is then shown with one unit
        (one per class or target once fitted).
        """
        if hasattr(self, "coefs_"):
            return super().summary(m)
        if n_features is None:
            raise ValueError("summary() of an unfitted model needs n_features=")
        sizes = (int(n_features), *self._hidden_sizes(), 1)
        head = "identity" if isinstance(self, RegressorMixin) else "sigmoid"
        return Network(sizes, self._activation(), head).summary(m)


def _weight_shapes(network):
    return [(a, b) for a, b in zip(network.sizes[:-1], network.sizes[1:])]


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
        return self._fit(
            X,
            y,
            sample_weight,
            self.class_weight,
            validation_data,
            callbacks,
            (checkpoint, checkpoint_every, resume),
        )

    def partial_fit(self, X, y, classes=None, sample_weight=None, *, callbacks=()):
        """Train one epoch on a chunk ``X`` (m, n_features), ``y`` (m,) of a stream.

        ``classes``, every label the stream will hold, is required on the first call.
        """
        if classes is None and not hasattr(self, "classes_"):
            raise ValueError(
                "classes must be given on the first call to partial_fit: every label the "
                "stream will hold, e.g. classes=np.unique(y_all)."
            )
        return self._partial_fit(X, y, sample_weight, self.class_weight, classes, callbacks)

    def _stratify(self) -> bool:
        return getattr(self, "classes_", None) is not None and not self._is_multilabel_target

    def _encode_targets(self, y, dtype, classes=None, first_call=True):
        if not first_call:
            classes = self.classes_
        Y, head = super()._encode_targets(y, dtype, classes=classes)
        self._is_multilabel_target = head == "sigmoid" and Y.shape[0] > 1
        return Y, head


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
        return self._fit(
            X,
            y,
            sample_weight,
            None,
            validation_data,
            callbacks,
            (checkpoint, checkpoint_every, resume),
        )

    def _validate_input(self, X, y=NO_Y, *, reset, multi_output=False):
        if isinstance(y, str) and y == NO_Y:
            return super()._validate_input(X, reset=reset)
        X, y = super()._validate_input(X, y, reset=reset, multi_output=True)
        try:
            y = np.asarray(y, dtype=numpy_dtype(X.dtype))
        except (TypeError, ValueError):
            raise ValueError("MLPRegressor needs numeric targets y") from None
        if not np.all(np.isfinite(y)):
            raise ValueError(
                "y holds NaN or infinity (or values too large for the training dtype, "
                f"{numpy_dtype(X.dtype).__name__}); drop or impute those rows"
            )
        fix = (
            "scale the targets, e.g. with sklearn.compose.TransformedTargetRegressor and a "
            "StandardScaler (the squared error squares them)"
        )
        check_scale(y, self, "y", fix)
        return X, y

    def partial_fit(self, X, y, sample_weight=None, *, callbacks=()):
        """Train one epoch on a chunk ``X`` (m, n_features), ``y`` of a stream."""
        return self._partial_fit(X, y, sample_weight, None, None, callbacks)

    def _encode_targets(self, y, dtype, classes=None, first_call=True):
        self._y_ndim = y.ndim
        Y = y.reshape(y.shape[0], -1).astype(dtype).T  # (n_targets, m), a view of the rows
        return Y, "identity"

    def _score_columns(self, network, W, B, X_cols, Y):
        return float(r2_score(to_numpy(Y).T, to_numpy(network.logits(W, B, X_cols)).T))

    def score(self, X, y, sample_weight=None):
        """R^2 of the predictions on ``X``, ``y`` (arrays of any namespace or device)."""
        return float(r2_score(host(y), host(self.predict(X)), sample_weight=host(sample_weight)))

    def predict(self, X):
        """Predicted targets, (m,) or (m, n_targets) like the ``y`` given to ``fit``."""
        H = self._network_outputs(X, logits=False)  # (m, n_targets)
        return H[:, 0] if self._y_ndim == 1 else H
