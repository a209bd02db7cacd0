"""Logistic regression: the network with no hidden layer.

Binary: ``K = W^T X + B``, ``H = sigmoid(K)``; multi-class: softmax over one logit per class.
The cost is the weighted mean cross-entropy plus ``1 / (2 C sum(sample_weight)) ||W||^2``, which
is scikit-learn's objective divided by ``C sum(sample_weight)``, so both find the same weights.
"""

from __future__ import annotations

from sklearn.base import ClassifierMixin

from .. import _params as p
from ..core.backend import device, move, namespace
from ..core.network import Network
from ..core.optimizers import BarzilaiBorwein, GradientDescent
from ..core.stability import lipschitz_learning_rate
from ..core.training import TrainConfig, TrainingDiverged
from ._base import ClassifierTargets, NetworkEstimator
from ._fitting import FitRequest, fit_network


class LogisticRegression(ClassifierTargets, ClassifierMixin, NetworkEstimator):
    """Logistic regression (binary and multinomial) on vectorlearn's vectorized core.

    ``solver="lbfgs"`` with a numeric ``learning_rate`` (a step size only ``"gd"`` takes) is
    refused with a ValueError naming it.

    Parameters
    ----------
    penalty : {"l2", None}, default="l2"
        L2 penalty on the weights (never on the intercept), or none.
    C : float, default=1.0
        Inverse penalty strength, as in scikit-learn.
    solver : {"lbfgs", "gd"}, default="lbfgs"
        ``"gd"`` is the lecture's batch gradient descent ``W = W - learning_rate * dJ/dW``;
        ``"lbfgs"`` is SciPy's L-BFGS-B on the same vectorized cost and gradient.
    learning_rate : float or "auto", default="auto"
        Step size of ``"gd"``: a number is the lecture's fixed step. ``"auto"`` starts with
        ``1 / Lipschitz constant`` of the gradient (a step that always decreases the cost) and then
        adapts it to the curvature each epoch (Barzilai-Borwein), which needs no tuning.
    max_iter : int, default=1000
        Epochs of ``"gd"`` or iterations of ``"lbfgs"``.
    tol : float, default=1e-4
        Stop when no entry of the gradient exceeds ``tol`` (both solvers).
    class_weight : dict, "balanced" or None, default=None
    warm_start : bool, default=False
        Start from the previous fit's weights when the shapes agree.
    verbose : int, default=0
        Print the cost every ``verbose`` epochs (``"gd"``).
    dtype : {None, "float32", "float64"}, default=None
        Precision of training; None keeps float32 input as float32 and uses float64 otherwise.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where NumPy or pandas input trains: "cuda" moves it to a GPU (PyTorch with CUDA, else
        CuPy), "auto" does so when a GPU is there. PyTorch and CuPy input trains where it is.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
    loss_curve_ : list of float, the cost after each epoch or iteration
    validation_loss_curve_, validation_scores_ : list of float, or None without validation_data
    n_features_in_, feature_names_in_ : as in scikit-learn
    """

    _warm_start_checks_features = False  # warm_start with other features starts afresh
    _parameter_constraints = {
        "penalty": p.one_of("l2", None),
        "C": p.real(0, low_open=True),
        "solver": p.one_of("lbfgs", "gd"),
        "learning_rate": p.real(0, low_open=True) | p.one_of("auto"),
        "max_iter": p.integer(1),
        "tol": p.real(0),
        "class_weight": p.class_weight,
        "warm_start": p.boolean,
        "verbose": p.integer(0),
        "dtype": p.one_of(None, "float32", "float64"),
        "device": p.one_of("cpu", "cuda", "auto"),
    }

    def __init__(
        self,
        penalty="l2",
        C=1.0,
        solver="lbfgs",
        learning_rate="auto",
        max_iter=1000,
        tol=1e-4,
        class_weight=None,
        warm_start=False,
        verbose=0,
        dtype=None,
        device="cpu",
    ):
        self.penalty = penalty
        self.C = C
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.verbose = verbose
        self.dtype = dtype
        self.device = device

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
        """Fit on ``X`` (m, n_features) and labels ``y`` (m,).

        ``validation_data=(X_val, y_val)`` records ``validation_loss_curve_`` and
        ``validation_scores_`` (accuracy) after every epoch or iteration. ``callbacks`` are called
        after every epoch with a dict (``epoch``, ``loss``, ``validation_loss``, ...); one that
        returns True stops training. ``checkpoint=PATH`` writes the training state every
        ``checkpoint_every`` epochs (solver "gd"); ``resume=PATH`` continues from one, ending
        with the same weights as an uninterrupted run.
        """
        request = FitRequest(
            sample_weight, self.class_weight, validation_data, callbacks, checkpoint,
            checkpoint_every, resume,
        )  # fmt: skip
        return fit_network(self, X, y, request)

    # ---- what fit_network asks ------------------------------------------------------------
    def _begin(self, data, rng, warm: bool, partial: bool):
        """The network (no hidden layer) and its starting ``W``, ``B``: the last fit's when
        ``warm_start`` and the shapes agree, else zeros (the model is convex)."""
        xp, dev, dtype = namespace(data.like), device(data.like), data.like.dtype
        network = Network((data.batches.shape[0], data.targets.n_outputs), head=data.targets.head)
        if warm:
            _, W, B = self._fitted_network()
            if tuple(W[0].shape) == network.sizes:
                return network, [move(W[0], xp, dev, dtype)], [move(B[0], xp, dev, dtype)]
        return (network, *network.init_params(None, xp, dtype, dev))

    def _solver(self, network, data, rng, partial: bool):
        """The optimizer (None for L-BFGS), the loop's settings and no schedule."""
        l2 = 0.0 if self.penalty is None else 1.0 / (self.C * data.total_weight)
        optimizer = None
        if self.solver == "gd" and self.learning_rate == "auto":
            optimizer = BarzilaiBorwein(lipschitz_learning_rate(network, data.batches, l2=l2))
        elif self.solver == "gd":
            optimizer = GradientDescent(self.learning_rate)
        gtol = self.tol if self.solver == "gd" else None
        config = TrainConfig(
            max_epochs=self.max_iter, batch_size=None, shuffle=False, l2=l2, tol=self.tol,
            n_iter_no_change=None, gtol=gtol, verbose=self.verbose,
        )  # fmt: skip
        return optimizer, config, None

    def _lbfgs_refuses(self) -> dict:
        return {"learning_rate": self.learning_rate != "auto"}

    def _diverged(self, error: TrainingDiverged) -> TrainingDiverged:
        """The divergence error, naming ``C`` when the penalty (1 / C) is to blame."""
        if not error.penalty:
            return error
        return TrainingDiverged(
            error.epoch,
            None,
            error.W,
            error.B,
            error.penalty,
            setting=f"C={self.C:g} is so small (the penalty is 1 / C)",
            fix="a larger C",
        )

    def _store(self, network, W, B):
        self.coef_ = W[0].T  # (n_out, n_features), on the training data's device
        self.intercept_ = B[0][:, 0]  # (n_out,)

    def _fitted_network(self):
        """The network and its ``W``, ``B`` lists, in the fitted arrays' namespace and device."""
        n_out = self.coef_.shape[0]
        network = Network((self.coef_.shape[1], n_out), head="sigmoid" if n_out == 1 else "softmax")
        xp = namespace(self.coef_)
        return network, [self.coef_.T], [xp.reshape(self.intercept_, (-1, 1))]
