"""What both multi-layer perceptrons share: parameters, the network they build, fitted state.

"The deeper it goes, the more features it can extract": each hidden layer ``A_l = g(W_l^T A_{l-1}
+ B_l)`` builds new features from the last, and the output layer is logistic regression (or
linear regression) on the deepest ones. ``hidden_layer_sizes=()`` is exactly
``LogisticRegression``. Fitting itself is ``_fitting.fit_network``; this class answers its
questions (which network, which weights to start from, which solver settings).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.model_selection import train_test_split

from .. import _params as p
from ..core.activations import ALIASES
from ..core.backend import device, move, namespace, numpy_dtype
from ..core.network import Network
from ..core.optimizers import Adam, GradientDescent, Momentum
from ..core.schedules import make_schedule, make_sgd_schedule
from ..core.training import TrainConfig, TrainingDiverged
from ._base import NetworkEstimator

MAX_PARAMETERS = 2**31  # the most weights and intercepts a network may have (see _check_size)
STATE_COPIES = {"adam": 4, "momentum": 3, "sgd": 3}  # arrays: W, dW and the state; else 2
ITERATION = "Iteration {epoch}, loss = {cost:.8f}"  # scikit-learn's verbose line


class BaseMLP(NetworkEstimator):
    """Shared by both MLPs: parameters, the network, fitted attributes.

    Each MLP spells out its constructor (scikit-learn reads the parameters from the class's own
    signature), whose body stores the arguments with :meth:`_keep_arguments`.
    """

    _parameter_constraints = p.MLP

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
        if self.solver in ("momentum", "sgd"):  # scikit-learn's sgd: momentum 0 is plain SGD
            return Momentum(rate, self.momentum, self.nesterovs_momentum)
        return GradientDescent(rate)

    def _schedule(self, partial: bool):
        """The learning-rate schedule: scikit-learn's for ``solver="sgd"`` (by examples seen,
        ``t_``, and kept across ``partial_fit`` calls), vectorlearn's per-epoch ones for the
        others (None for L-BFGS and their ``partial_fit``)."""
        if self.solver == "sgd":
            current = self._optimizer.learning_rate if partial else None
            return make_sgd_schedule(
                self.learning_rate, self.learning_rate_init, self._t0, current, self.power_t
            )
        if partial or self.solver == "lbfgs":
            return None
        options = {"power_t": self.power_t} if self.learning_rate == "invscaling" else {}
        if self.learning_rate == "adaptive":
            options = {"tol": self.tol}
        return make_schedule(self.learning_rate, self.learning_rate_init, **options)

    # ---- what fit_network asks ------------------------------------------------------------
    def _begin(self, data, rng, warm: bool, partial: bool):
        """The network for ``data``, and its starting ``W``, ``B`` on the data's device."""
        hidden = self._hidden_sizes()
        sizes = (data.batches.shape[0], *hidden, data.targets.n_outputs)
        network = Network(sizes, self._activation(), self._head(data))
        self._check_size(network, data.like.dtype)
        self._t0 = getattr(self, "t_", 0) if warm else 0  # examples seen before this call
        if partial and warm and [tuple(w.shape) for w in self.coefs_] != _weight_shapes(network):
            raise ValueError(
                "partial_fit got data whose shape does not match the network "
                f"{network.sizes}; pass the same features and targets on every call."
            )
        return (network, *self._starting_weights(network, rng, data.like, warm))

    def _solver(self, network, data, rng, partial: bool):
        """The optimizer (kept across ``partial_fit`` calls), the loop's settings, the
        learning-rate schedule (see :meth:`_schedule`)."""
        if not partial or getattr(self, "_optimizer", None) is None:
            self._optimizer = self._make_optimizer()
        config = TrainConfig(
            max_epochs=1 if partial else self.max_iter,
            batch_size=self._batch_size(data.batches.shape[1]),
            shuffle=self.shuffle,
            l2=self.alpha / data.total_weight,  # J = mean loss + alpha / (2 m) sum ||W||^2
            tol=self.tol,
            n_iter_no_change=None if partial else self.n_iter_no_change,
            dropout=self.dropout,
            early_stopping=self.early_stopping and not partial,
            monitor=self.monitor,
            verbose=1 if self.verbose else 0,  # scikit-learn: every epoch
            rng=rng,
            log_format=ITERATION,
            max_fun=self.max_fun,
        )
        return self._optimizer, config, self._schedule(partial)

    def _lbfgs_refuses(self) -> dict:
        """The parameters L-BFGS cannot honour, and whether they are set."""
        return {
            "batch_size": self.batch_size not in ("auto", None),
            "dropout": self.dropout != 0,
            "learning_rate": self.learning_rate != "constant",
            "early_stopping": bool(self.early_stopping),
        }

    def _diverged(self, error: TrainingDiverged) -> TrainingDiverged:
        """The divergence error, naming ``alpha`` when the penalty is to blame."""
        return error.blaming(setting=f"alpha={self.alpha:g} is so large", fix="a smaller alpha")

    def _starting_weights(self, network, rng, X, warm: bool):
        """The fitted weights to continue from (when ``warm`` and the shapes agree), else a
        fresh draw from ``rng``; on ``X``'s namespace, dtype and device."""
        xp, dev = namespace(X), device(X)
        if warm and [tuple(w.shape) for w in self.coefs_] == _weight_shapes(network):
            _, W, B = self._fitted_network()
            return [move(w, xp, dev, X.dtype) for w in W], [move(b, xp, dev, X.dtype) for b in B]
        return network.init_params(rng, xp, X.dtype, dev)

    def _activation(self) -> str:
        return ALIASES.get(self.activation, self.activation)

    def _validation_split(self, y, rng):
        m = y.shape[0]
        stratify = self._stratify_labels(y)
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
        if len(val_idx) < 2 or len(train_idx) < 1:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                f"of your dataset: validation_fraction={self.validation_fraction} of {m} "
                f"examples leaves {len(val_idx)} for validation and {len(train_idx)} for "
                "training (early stopping needs 2 and 1), or set early_stopping=False."
            )
        return train_idx, val_idx

    def _stratify_labels(self, y):
        """What the validation split is stratified on (None: not stratified)."""
        return None

    def _head(self, data) -> str:
        return data.targets.head

    # ---- scikit-learn's checks and attributes -------------------------------------------------
    def _mini_batch_solver(self) -> bool:
        """``partial_fit`` exists only for the mini-batch solvers (scikit-learn's rule)."""
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit needs a mini-batch solver ('sgd', 'adam', 'momentum' or 'gd'); "
                "solver='lbfgs' minimizes the full-batch cost"
            )
        return True

    def _check_partial(self) -> None:
        if self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call trains one epoch "
                "on its chunk, with no validation split; set early_stopping=False."
            )

    def _check_warm_targets(self, targets) -> None:
        """warm_start continues the weights of the same classes only (scikit-learn's error)."""
        old = getattr(self, "classes_", None)
        if old is None or targets.classes is None or np.array_equal(old, targets.classes):
            return
        raise ValueError(
            "warm_start can only be used where `y` has the same classes as in the previous "
            f"call to fit. Previously got {old}, `y` has {targets.classes}. Set "
            "warm_start=False to start a new model on these classes."
        )

    def _store_progress(self, history, m: int, continuing: bool) -> None:
        """``t_`` (examples seen), ``best_loss_``, ``best_validation_score_`` and the count
        of epochs without improvement, as scikit-learn keeps them."""
        before = getattr(self, "t_", 0) if continuing else 0
        self.t_ = before if self.solver == "lbfgs" else before + history.n_epochs * m
        self._no_improvement_count = history.no_improvement
        previous = getattr(self, "best_loss_", None) if continuing else None
        losses = [*history.loss, *([] if previous is None else [previous])]
        self.best_loss_ = None if self.early_stopping or not losses else min(losses)
        scores = [s for s in (getattr(self, "validation_scores_", None) or []) if s == s]
        self.best_validation_score_ = max(scores) if self.early_stopping and scores else None

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
        head = "exp" if getattr(self, "loss", None) == "poisson" else head
        return Network(sizes, self._activation(), head).summary(m)


def _weight_shapes(network):
    return [(a, b) for a, b in zip(network.sizes[:-1], network.sizes[1:])]
