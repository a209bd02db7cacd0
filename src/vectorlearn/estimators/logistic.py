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
from ..core.training import TrainingDiverged, lipschitz_learning_rate
from ._base import ClassifierTargets, NetworkEstimator, raise_if_interrupted, validate_params


class LogisticRegression(ClassifierTargets, ClassifierMixin, NetworkEstimator):
    """Logistic regression (binary and multinomial) on vectorlearn's vectorized core.

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
        validate_params(self)
        warm = self.warm_start and hasattr(self, "coef_")
        if warm:
            _, W_prev, B_prev = self._fitted_network()
        X_cols, Y, S, head, total_weight, template, _ = self._training_data(
            X, y, sample_weight, self.class_weight
        )  # X_cols: (n, m), on its device (or row blocks on a Dask cluster)
        xp, dev, dtype = namespace(template), device(template), template.dtype
        n_out = Y.shape[0] if Y is not None else X_cols.n_outputs
        network = Network((X_cols.shape[0], n_out), head=head)
        if warm and tuple(W_prev[0].shape) == network.sizes:
            W, B = [move(W_prev[0], xp, dev, dtype)], [move(B_prev[0], xp, dev, dtype)]
        else:
            W, B = network.init_params(None, xp, dtype, dev)  # zeros: the model is convex
        l2 = 0.0 if self.penalty is None else 1.0 / (self.C * total_weight)
        optimizer = None
        if self.solver == "gd":
            if self.learning_rate == "auto":
                optimizer = BarzilaiBorwein(lipschitz_learning_rate(network, X_cols, S, l2))
            else:
                optimizer = GradientDescent(self.learning_rate)
        validation = self._validation_columns(validation_data, template)
        try:
            W, B, history = self._run_solver(
                network,
                W,
                B,
                X_cols,
                Y,
                S,
                l2,
                optimizer=optimizer,
                rng=None,
                callbacks=callbacks,
                like=template,
                persistence=(checkpoint, checkpoint_every, resume),
                shuffle=False,
                n_iter_no_change=None,
                gtol=self.tol,
                validation=validation,
                scorer=self._scorer(network, validation),
            )
        except TrainingDiverged as error:
            if not error.penalty:
                raise
            raise TrainingDiverged(  # name the parameter that sets the penalty, 1 / C
                error.epoch,
                None,
                error.W,
                error.B,
                error.penalty,
                setting=f"C={self.C:g} is so small (the penalty is 1 / C)",
                fix="a larger C",
            ) from None
        self.coef_ = W[0].T  # (n_out, n_features), on the training data's device
        self.intercept_ = B[0][:, 0]  # (n_out,)
        self.validation_loss_curve_ = history.validation_loss if validation else None
        self.validation_scores_ = history.validation_score if validation else None
        raise_if_interrupted(self, history)
        return self

    def _fitted_network(self):
        """The network and its ``W``, ``B`` lists, in the fitted arrays' namespace and device."""
        n_out = self.coef_.shape[0]
        network = Network((self.coef_.shape[1], n_out), head="sigmoid" if n_out == 1 else "softmax")
        xp = namespace(self.coef_)
        return network, [self.coef_.T], [xp.reshape(self.intercept_, (-1, 1))]
