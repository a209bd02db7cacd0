"""Logistic regression: the network with no hidden layer.

Binary: ``K = W^T X + B``, ``H = sigmoid(K)``; multi-class: softmax over one logit per class.
The cost is the weighted mean cross-entropy plus ``1 / (2 C sum(sample_weight)) ||W||^2``, which
is scikit-learn's objective divided by ``C sum(sample_weight)``, so both find the same weights.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .. import _params as p
from ..core.backend import device, is_sparse, move, namespace, to_numpy
from ..core.network import Network
from ..core.optimizers import BarzilaiBorwein, GradientDescent
from ..core.stability import lipschitz_learning_rate
from ..core.training import TrainConfig, TrainingDiverged
from ._base import ClassifierTargets, NetworkEstimator
from ._fitting import FitRequest, fit_network

try:  # scikit-learn >= 1.9: set_callbacks, one task per L-BFGS iteration
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # older scikit-learn: no callback API, fit(callbacks=...) only

    class CallbackSupportMixin:  # stands in for scikit-learn's mixin
        pass

    def with_callbacks(method):
        return method


_CALLER = 4 if hasattr(CallbackSupportMixin, "set_callbacks") else 3  # with_callbacks: a frame


PENALTY_DEPRECATED = (
    "'penalty' was deprecated in version 1.8 and will be removed in 1.10. To avoid this "
    "warning, leave 'penalty' set to its default value and use 'C' instead: C=np.inf instead "
    "of penalty=None (vectorlearn offers only the L2 penalty, scikit-learn's l1_ratio=0)."
)


class LogisticRegression(
    ClassifierTargets, ClassifierMixin, CallbackSupportMixin, NetworkEstimator
):
    """Logistic regression (binary and multinomial) on vectorlearn's vectorized core.

    ``solver="lbfgs"`` with a numeric ``learning_rate`` (a step size only ``"gd"`` takes) is
    refused with a ValueError naming it.

    Parameters
    ----------
    penalty : {"l2", None}, default="deprecated"
        Deprecated, as in scikit-learn 1.8 (a FutureWarning when set): the penalty is always L2
        on the weights (never on the intercept); ``C=np.inf`` is no penalty. ``None`` still
        means no penalty (and warns that it ignores a ``C`` other than 1).
    C : float, default=1.0
        Inverse penalty strength, as in scikit-learn; ``np.inf``: no penalty.
    solver : {"lbfgs", "gd"}, default="lbfgs"
        ``"gd"`` is the lecture's batch gradient descent ``W = W - learning_rate * dJ/dW``;
        ``"lbfgs"`` is SciPy's L-BFGS-B on the same vectorized cost and gradient.
    learning_rate : float or "auto", default="auto"
        Step size of ``"gd"``: a number is the lecture's fixed step. ``"auto"`` starts with
        ``1 / Lipschitz constant`` of the gradient (a step that always decreases the cost) and then
        adapts it to the curvature each epoch (Barzilai-Borwein), which needs no tuning.
    max_iter : int, default=1000
        Epochs of ``"gd"`` or iterations of ``"lbfgs"``; 0 keeps the starting weights (zeros),
        with a ConvergenceWarning.
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
        SciPy sparse input (CSR, CSC) trains on the CPU, its products on the non-zeros only.
    fit_intercept : bool, default=True
        False: no intercept; ``B`` stays 0 (not a parameter of the solver), ``intercept_`` is 0.
    random_state : None, int or generator, default=None
        Accepted for scikit-learn's API; both solvers are deterministic and ignore it.
    n_jobs : None or int, default=None
        No effect, as in scikit-learn 1.8 (a FutureWarning when set).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,), int32, as in scikit-learn
    loss_curve_ : list of float, the cost after each epoch or iteration
    validation_loss_curve_, validation_scores_ : list of float, or None without validation_data
    n_features_in_, feature_names_in_ : as in scikit-learn
    """

    _warm_start_checks_features = False  # warm_start with other features starts afresh
    _parameter_constraints = p.LOGISTIC_REGRESSION

    def __init__(
        self,
        penalty="deprecated",
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
        fit_intercept=True,
        random_state=None,
        n_jobs=None,
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
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.n_jobs = n_jobs

    @with_callbacks
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

        With scikit-learn >= 1.9, callbacks given to ``set_callbacks`` see one task for the fit
        and, with ``solver="lbfgs"``, one per L-BFGS iteration, as scikit-learn's own.
        """
        p.validate(self)  # before the warnings about valid values
        self._warn_deprecated()
        context = None
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        if hasattr(self, "_init_callback_context"):  # scikit-learn >= 1.9
            context = self._init_callback_context(max_subtasks=max(self.max_iter, 1) + 1)
            context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        lbfgs = context is not None and self.solver == "lbfgs"
        self._iteration_tasks = IterationTasks(self, context, X, y, metadata) if lbfgs else None
        request = FitRequest(
            sample_weight, self.class_weight, validation_data, callbacks, checkpoint,
            checkpoint_every, resume, on_iteration=self._iteration_tasks,
        )  # fmt: skip
        try:
            fit_network(self, X, y, request)
        finally:
            tasks = self.__dict__.pop("_iteration_tasks", None)
        if tasks is not None:
            tasks.close()
        if context is not None:
            context.call_on_fit_task_end(
                estimator=self, X=X, y=y, metadata=metadata, reconstruction_attributes={}
            )
        return self

    def set_callbacks(self, *callbacks):
        """scikit-learn's callbacks (>= 1.9); ignored, with a warning, unless solver='lbfgs'."""
        if not hasattr(CallbackSupportMixin, "set_callbacks"):
            raise AttributeError(
                "set_callbacks needs scikit-learn >= 1.9; with an older one, pass "
                "fit(X, y, callbacks=[...]) (called after every epoch or iteration)"
            )
        if self.solver != "lbfgs":
            warnings.warn(
                f"Callbacks are only supported in {type(self).__name__} for solver='lbfgs'. "
                f"This estimator has solver='{self.solver}', callbacks will be ignored during "
                "the solving of the regression.",
                stacklevel=2,
            )
        return super().set_callbacks(*callbacks)

    def _warn_deprecated(self) -> None:
        """scikit-learn 1.8's warnings: ``penalty`` and ``n_jobs`` are deprecated."""
        if self.penalty != "deprecated":
            warnings.warn(PENALTY_DEPRECATED, FutureWarning, stacklevel=_CALLER)
        if self.penalty is None and self.C != 1.0:
            warnings.warn(
                f"Setting penalty=None will ignore the C parameter (C={self.C!r}): no penalty",
                stacklevel=_CALLER,
            )
        if self.n_jobs is not None:
            warnings.warn(
                "'n_jobs' has no effect since 1.8 and will be removed in 1.10. You provided "
                f"'n_jobs={self.n_jobs}', please leave it unspecified.",
                FutureWarning,
                stacklevel=_CALLER,
            )

    def _l2(self, total_weight: float) -> float:
        """The penalty's factor ``1 / (C sum(sample_weight))``; 0 without a penalty."""
        if self.penalty is None or self.C == np.inf:
            return 0.0
        return 1.0 / (self.C * total_weight)

    # ---- scikit-learn's SparseCoefMixin --------------------------------------------------------
    def sparsify(self):
        """Store ``coef_`` as a SciPy CSR matrix (``densify`` undoes it); returns self."""
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before sparsifying.")
        self.coef_ = scipy.sparse.csr_matrix(to_numpy(self.coef_))
        return self

    def densify(self):
        """Store ``coef_`` as a dense NumPy array again (after ``sparsify``); returns self."""
        check_is_fitted(self, msg="Estimator, %(name)s, must be fitted before densifying.")
        if is_sparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self

    # ---- what fit_network asks ------------------------------------------------------------
    def _begin(self, data, rng, warm: bool, partial: bool):
        """The network (no hidden layer) and its starting ``W``, ``B``: the last fit's when
        ``warm_start`` and the shapes agree, else zeros (the model is convex)."""
        xp, dev, dtype = namespace(data.like), device(data.like), data.like.dtype
        sizes = (data.batches.shape[0], data.targets.n_outputs)
        network = Network(sizes, head=data.targets.head, fit_intercept=self.fit_intercept)
        W, B = network.init_params(None, xp, dtype, dev)  # zeros
        if warm:
            _, W_last, B_last = self._fitted_network()
            if tuple(W_last[0].shape) == network.sizes:
                W = [move(W_last[0], xp, dev, dtype)]
                B = [move(B_last[0], xp, dev, dtype)] if self.fit_intercept else B
        if getattr(self, "_iteration_tasks", None) is not None:
            self._iteration_tasks.start(W, B)
        return network, W, B

    def _solver(self, network, data, rng, partial: bool):
        """The optimizer (None for L-BFGS), the loop's settings and no schedule."""
        l2 = self._l2(data.total_weight)
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
        return error.blaming(
            setting=f"C={self.C:g} is so small (the penalty is 1 / C)", fix="a larger C"
        )

    def _store(self, network, W, B):
        self.coef_ = W[0].T  # (n_out, n_features), on the training data's device
        self.intercept_ = B[0][:, 0]  # (n_out,)

    def _n_iter(self, n: int):
        """``n_iter_`` as scikit-learn's LogisticRegression has it: int32, shape (1,)."""
        return np.asarray([n], dtype=np.int32)

    def _fitted_network(self):
        """The network and its ``W``, ``B`` lists, in the fitted arrays' namespace and device
        (a sparse ``coef_``, after ``sparsify``, comes back dense)."""
        coef = self.coef_.toarray() if is_sparse(self.coef_) else self.coef_
        n_out = coef.shape[0]
        network = Network((coef.shape[1], n_out), head="sigmoid" if n_out == 1 else "softmax")
        xp = namespace(self.intercept_)
        return network, [coef.T], [xp.reshape(self.intercept_, (-1, 1))]


class IterationTasks:
    """scikit-learn's callback tasks for L-BFGS, as its own LogisticRegression opens them: the
    first iteration's task begins at the starting weights (:meth:`start`), each iteration's end
    (``__call__``, L-BFGS's ``on_epoch_end``) ends its task and begins the next, and
    :meth:`close` ends the last one, which never ran, as an empty task."""

    def __init__(self, estimator, context, X, y, metadata):
        self.estimator, self.context, self.X, self.y = estimator, context, X, y
        self.metadata, self.task, self.start_weights, self.ran = metadata, None, None, False

    def _hook(self, hook, W, B):
        attributes = {"coef_": W[0].T, "intercept_": B[0][:, 0]}
        hook(
            estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
            reconstruction_attributes=attributes,
        )  # fmt: skip

    def start(self, W, B) -> None:
        self.start_weights = (W, B)
        self.task = self.context.subcontext(task_name="lbfgs-iter")
        self._hook(self.task.call_on_fit_task_begin, W, B)

    def __call__(self, state) -> None:
        self.ran = True
        self._hook(self.task.call_on_fit_task_end, state.W, state.B)
        self.task = self.context.subcontext(task_name="lbfgs-iter")
        self._hook(self.task.call_on_fit_task_begin, state.W, state.B)

    def close(self) -> None:
        if self.task is None:
            return
        if not self.ran:  # max_iter=0: one task at the starting weights, as scikit-learn's
            W, B = self.start_weights
            self._hook(self.task.call_on_fit_task_end, W, B)
            self.task = self.context.subcontext(task_name="lbfgs-iter")
            self._hook(self.task.call_on_fit_task_begin, W, B)
        self.task.call_on_fit_task_end(estimator=self.estimator)
