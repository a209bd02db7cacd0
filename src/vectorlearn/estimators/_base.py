"""What every vectorlearn estimator shares: input checks, targets, example weights, prediction.

The public API follows scikit-learn (examples are rows, ``X`` is ``(m, n_features)``); the core
takes examples as columns, so the estimators validate once and pass ``X.T``, a view, not a copy.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .. import _params
from ..core.backend import (
    device,
    gpu_namespace,
    is_dask,
    is_numpy_like,
    like,
    move,
    namespace,
    numpy_dtype,
    to_numpy,
)
from ..core.heads import HEADS, scaled_output
from ..core.network import Network
from ..core.training import train, train_lbfgs

FLOAT_DTYPES = (np.float64, np.float32)
NO_Y = "no_validation"  # scikit-learn's marker for "validate X alone"


class NetworkEstimator(BaseEstimator):
    """Base class: subclasses define ``_parameter_constraints`` and ``_fitted_params()``."""

    _parameter_constraints: dict = {}

    # ---- input -------------------------------------------------------------------------------
    def _validate_input(self, X, y=NO_Y, *, reset: bool, multi_output: bool = False):
        """Return ``X`` as a finite float array (m, n) (and ``y`` as NumPy), or raise clearly.

        NumPy, lists and pandas go through scikit-learn's ``validate_data``; arrays of another
        namespace (PyTorch, CuPy, array-api-strict) are checked in place and stay on their
        device. When fitting, ``device="cuda"`` or ``"auto"`` moves NumPy input to a GPU.
        """
        fitting = not (isinstance(y, str) and y == NO_Y)
        if not is_numpy_like(X):
            X = self._validate_device_array(X, reset=reset, fitting=fitting)
            return (X, self._check_targets(y, X.shape[0], multi_output)) if fitting else X
        dtype = (self._dtype() if fitting else None) or list(FLOAT_DTYPES)
        # scikit-learn's finiteness check first sums X: huge values of both signs give inf - inf
        # there, and a RuntimeWarning, before the exact check that follows it
        quiet = np.errstate(over="ignore", invalid="ignore")
        try:
            if not fitting:  # prediction: float64 input predicts in float64
                with quiet:
                    return aligned(validate_data(self, X, reset=reset, dtype=dtype))
            with quiet:
                X, y = validate_data(
                    self, X, y, reset=reset, dtype=dtype, multi_output=multi_output, y_numeric=False
                )
        except ValueError as error:
            if "could not convert" in str(error) or "dtype='numeric'" in str(error):
                raise ValueError(
                    f"X must be numeric: {error}. Encode text or category columns first, for "
                    "example with sklearn.preprocessing.OneHotEncoder in a Pipeline."
                ) from error
            raise
        return self._to_requested_device(aligned(X)), y

    def _validate_device_array(self, X, *, reset: bool, fitting: bool):
        """The checks scikit-learn would make, done in ``X``'s own namespace and device."""
        xp = namespace(X)
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2D array (examples, features), got a {X.ndim}D array instead. "
                "Reshape your data, e.g. X.reshape(-1, 1) for a single feature."
            )
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(
                f"X has shape {tuple(X.shape)}; it needs at least one example and feature"
            )
        if not xp.isdtype(X.dtype, "real floating"):
            if not xp.isdtype(X.dtype, ("integral", "bool")):
                raise TypeError(f"X must hold numbers, not {X.dtype}")
            X = xp.astype(X, xp.float64)
        wanted = self._dtype() if fitting else None
        if wanted is not None:
            X = xp.astype(X, getattr(xp, np.dtype(wanted).name))
        if not bool(xp.all(xp.isfinite(X))):
            raise ValueError(
                "Input X contains NaN or infinity. Impute missing values first, e.g. with "
                "sklearn.impute.SimpleImputer in a Pipeline."
            )
        if reset:
            self.n_features_in_ = int(X.shape[1])
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X

    @staticmethod
    def _check_targets(y, m: int, multi_output: bool) -> np.ndarray:
        y = to_numpy(y) if not is_numpy_like(y) else np.asarray(y)
        if y.ndim == 0 or y.ndim > 2 or (y.ndim == 2 and not multi_output):
            raise ValueError(f"y should be a 1d array (or 2d for several outputs), got {y.shape}")
        if y.shape[0] != m:
            raise ValueError(
                f"Found input variables with inconsistent numbers of samples: [{m}, {y.shape[0]}]"
            )
        return y

    def _to_requested_device(self, X):
        choice = getattr(self, "device", "cpu")
        if choice == "cpu":
            return X
        gpu = gpu_namespace()
        if gpu is None:
            if choice == "cuda":
                raise ValueError(
                    "device='cuda' needs a GPU with PyTorch (CUDA build) or CuPy installed, and "
                    "none was found; use device='cpu' or 'auto'."
                )
            return X
        xp, dev = gpu
        return move(X, xp, dev)

    def _training_data(self, X, y, sample_weight, class_weight, *, reset=True, multi_output=False):
        """What training needs, in memory or on a Dask cluster.

        Returns ``(X_cols, Y, S, head, total_weight, template, y)``: ``X_cols`` (n, m) (or the
        Dask blocks, which hold ``Y`` and ``S`` themselves), the targets ``Y`` (n_out, m), the
        example weights ``S`` (1, m) or None, the output head, the weights' sum, an empty array
        with the training data's namespace, dtype and device, and ``y`` as NumPy (None on Dask).
        """
        if is_dask(X):
            from ..distributed import DaskBlocks

            data, head, total = DaskBlocks.prepare(self, X, y, sample_weight, class_weight)
            return data, None, None, head, total, np.empty((0, data.shape[0]), data.dtype), None
        X, y = self._validate_input(X, y, reset=reset, multi_output=multi_output)  # X: (m, n)
        check_scale(X, self)
        Y, head = self._encode_targets(y, numpy_dtype(X.dtype))  # Y: (n_out, m)
        S, total = self._example_weights(X, y, sample_weight, class_weight)
        return X.T, self._targets_on(X, Y), S, head, total, X[:0, :], y

    def _targets_on(self, X, Y):
        """Targets or weights built in NumPy, moved to ``X``'s namespace, dtype and device."""
        return None if Y is None else like(Y, X)

    def _dtype(self):
        dtype = getattr(self, "dtype", None)
        return None if dtype is None else np.dtype(dtype).type

    def _example_weights(self, X, y, sample_weight, class_weight=None):
        """Return ``(S, total)``: weights (1, m) scaled to mean 1 (None if all equal) and their sum.

        ``S`` multiplies the per-example loss, ``total`` sets the penalty's scale. ``S`` is on
        ``X``'s device.
        """
        m = X.shape[0]
        if sample_weight is None and class_weight is None:
            return None, float(m)
        dtype = numpy_dtype(X.dtype)
        if sample_weight is not None and not is_numpy_like(sample_weight):
            sample_weight = to_numpy(sample_weight)
        weights = _check_sample_weight(
            sample_weight, np.empty((m, 0)), dtype=dtype, ensure_non_negative=True
        )
        with np.errstate(over="ignore", invalid="ignore"):  # a weight that overflows: below
            if class_weight is not None:
                weights = weights * compute_sample_weight(class_weight, y).astype(dtype)
                if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
                    raise ValueError(
                        f"class_weight={class_weight!r} gives example weights that are negative "
                        f"or beyond the largest {np.dtype(dtype).name}; give every class a "
                        "finite weight >= 0 (only their ratios matter: scale them down)"
                    )
            total = float(np.sum(weights))
        if not math.isfinite(total):
            raise ValueError(
                f"the example weights (sample_weight, class_weight) sum to {total}, beyond the "
                "largest float; scale them down: only their ratios matter"
            )
        if not total > 0:
            raise ValueError(
                "sample_weight sums to zero: give at least one example a positive weight."
            )
        if np.all(weights == weights[0]):
            return None, total
        return self._targets_on(X, (weights * (m / total))[np.newaxis, :]), total  # (1, m)

    # ---- training ------------------------------------------------------------------------------
    def _run_solver(
        self,
        network,
        W,
        B,
        X,
        Y,
        S,
        l2,
        *,
        optimizer,
        rng,
        callbacks,
        like,
        persistence,
        **options,
    ):
        """L-BFGS or the epoch loop; sets ``n_iter_``, ``loss_curve_``; return W, B, history.

        ``persistence`` is ``(checkpoint, checkpoint_every, resume)`` from ``fit``; ``like`` an
        array with the training data's namespace, dtype and device. Ctrl-C during the epoch loop
        stops it after the current mini-batch (``history.interrupted``).
        """
        checkpoint, every, resume = persistence
        if (checkpoint is not None or resume is not None) and self.solver == "lbfgs":
            raise ValueError(
                "checkpoints need an epoch-based solver ('gd', 'momentum', 'adam'); L-BFGS keeps "
                "its state inside SciPy"
            )
        if resume is not None:
            from ..checkpoint import read_checkpoint

            options["resume"] = read_checkpoint(
                resume, self, network, optimizer, options.get("schedule"), rng, like
            )
        if checkpoint is not None:
            from ..checkpoint import write_checkpoint

            if not (isinstance(every, int) and every >= 1):
                raise ValueError(f"checkpoint_every must be a whole number >= 1, got {every!r}")

            def on_epoch_end(state):
                if state.epoch % every == 0:
                    write_checkpoint(
                        checkpoint, self, network, state, optimizer, options.get("schedule"), rng
                    )

            options["on_epoch_end"] = on_epoch_end
        epochs = self.solver != "lbfgs"
        with blas_threads_for(X, options.get("batch_size")), interruptible(epochs) as stop:
            if self.solver != "lbfgs":
                options["should_stop"] = stop
            return self._solve(
                network,
                W,
                B,
                X,
                Y,
                S,
                l2,
                optimizer=optimizer,
                rng=rng,
                callbacks=callbacks,
                **options,
            )

    def _solve(self, network, W, B, X, Y, S, l2, *, optimizer, rng, callbacks, **options):
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

    def _validation_columns(self, validation_data, X):
        """``(X_val, y_val)`` -> ``(X_val.T, Y_val)``, encoded and placed like the training X."""
        if validation_data is None:
            return None
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("validation_data must be a pair (X_val, y_val)") from None
        X_val = self._validate_input(X_val, reset=False)
        check_scale(X_val, self, "validation_data's X", dtype=numpy_dtype(X.dtype))
        X_val = move(X_val, namespace(X), device(X), X.dtype)
        y_val = to_numpy(y_val) if not is_numpy_like(y_val) else np.asarray(y_val)
        if X_val.shape[0] != y_val.shape[0]:
            raise ValueError(
                f"validation_data holds {X_val.shape[0]} examples but {y_val.shape[0]} targets"
            )
        classes = getattr(self, "classes_", None)
        Y_val, _ = self._encode_targets(y_val, numpy_dtype(X.dtype), classes=classes)
        return X_val.T, self._targets_on(X, Y_val)

    def _scorer(self, network, validation):
        """``scorer(W, B)``: the validation score of the current weights, or None."""
        if validation is None:
            return None
        return lambda W, B: self._score_columns(network, W, B, validation[0], validation[1])

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
        X = self._validate_input(X, reset=False)
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


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training between two mini-batches; the estimator holds the weights so far."""


@contextlib.contextmanager
def interruptible(enabled: bool = True):
    """While training, a first Ctrl-C asks the loop to stop after the current mini-batch (yields
    the ``should_stop`` function); a second one interrupts at once, as usual. Only the main
    thread can catch signals; elsewhere this does nothing."""
    import signal
    import threading

    requested = []
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def handler(signum, frame):
        if requested:
            raise KeyboardInterrupt
        requested.append(True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(requested)
    finally:
        signal.signal(signal.SIGINT, previous)


def raise_if_interrupted(estimator, history) -> None:
    """After the weights so far are stored: tell the caller that Ctrl-C stopped training."""
    if history.interrupted:
        raise TrainingInterrupted(
            f"{type(estimator).__name__}: training stopped by Ctrl-C during epoch "
            f"{history.n_epochs + 1}; the model holds the weights after the last mini-batch"
        )


SMALL_BATCH = 4096  # up to this many examples per step, one BLAS thread is as fast or faster


def blas_threads_for(X, batch_size):
    """One BLAS thread for NumPy mini-batches: their small matrix products gain nothing from a
    second thread, and a two-thread OpenBLAS pool collapses (measured 0.15 s against 7 s per
    epoch at batch 256) when another process shares the cores. Full batches keep every thread."""
    if not isinstance(X, np.ndarray) or batch_size is None or batch_size > SMALL_BATCH:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def aligned(X: np.ndarray) -> np.ndarray:
    """``X``, copied if its memory is not aligned for its dtype (arrays rebuilt from a byte
    stream, as Dask's are, can start at any byte): NumPy's matrix product skips BLAS for
    unaligned arrays and runs about 20 times slower."""
    return X if X.flags.aligned else np.require(X, requirements=["A"])


def overflow_error(X, problem: str) -> ValueError:
    """The error for a prediction on ``X`` that overflows the float range."""
    return ValueError(
        f"X (values up to {largest(X):.3g}) makes the network's outputs overflow ({problem}); "
        "scale the features as the training data were, e.g. with the StandardScaler fitted on "
        "them, in a Pipeline"
    )


def largest(A) -> float:
    """``max |A|`` as a Python float, without an ``abs(A)`` copy of the data."""
    xp = namespace(A)
    return max(float(xp.max(A)), -float(xp.min(A)))


def check_scale(A, estimator, what="X", fix=None, dtype=None) -> None:
    """Refuse training data whose values are too large for the training precision (``dtype``,
    by default ``A``'s).

    Gradients grow with the features, and every solver squares them (Adam's second moment, the
    curvature estimates of L-BFGS, Barzilai-Borwein and the automatic learning rate): beyond the
    square root of the dtype's largest number, about 1.3e154 in float64 and 1.8e19 in float32,
    those squares overflow and training ends in infinities. ``fix`` replaces the advice to
    standardize the features.
    """
    dtype = numpy_dtype(A.dtype) if dtype is None else dtype
    limit = math.sqrt(float(np.finfo(dtype).max))
    big = largest(A)
    if big <= limit:
        return
    if fix is None:
        fix = (
            "standardize the features, e.g. with sklearn.preprocessing.StandardScaler in a Pipeline"
        )
    if (
        dtype is np.float32
        and hasattr(estimator, "dtype")
        and big <= math.sqrt(np.finfo(np.float64).max)
    ):
        fix += ", or train in float64 (dtype='float64')"
    raise ValueError(
        f"{what} holds values as large as {big:.3g}, too large to train on in {dtype.__name__}: "
        f"beyond {limit:.2g}, the square root of its largest number, the gradients' squares "
        f"overflow; {fix}"
    )


def host(a):
    """``a`` as NumPy if it is an array of another namespace (a GPU tensor, say), else as is."""
    return a if a is None or is_numpy_like(a) else to_numpy(a)


def to_caller(A, given):
    """``A`` in the namespace and device of the caller's input ``given`` (NumPy if NumPy-like)."""
    if is_numpy_like(given):
        return to_numpy(A)
    return move(A, namespace(given), device(given))


class ClassifierTargets:
    """Label encoding for classifiers: ``classes_``, targets ``Y`` (n_L, m), probabilities."""

    _multilabel_allowed = False

    def _encode_targets(self, y, dtype, classes=None):
        """Set ``classes_``; return ``Y`` (n_L, m) and the output head's name.

        Two classes give one sigmoid output, more give softmax over one output per class, and a
        multilabel indicator matrix (m, k) gives k independent sigmoid outputs. ``classes``, if
        given, fixes the labels (``partial_fit``); ``y`` may then hold only some of them.
        """
        try:
            check_classification_targets(y)
            multilabel = type_of_target(y) == "multilabel-indicator"
            if not multilabel and classes is None:
                np.unique(y)  # sorts: fails on labels that cannot be compared
        except TypeError:
            kinds = sorted({type(v).__name__ for v in np.asarray(y, dtype=object).ravel()})
            raise ValueError(
                f"y mixes labels of types {kinds} that cannot be ordered; use labels of one "
                "type, e.g. all strings."
            ) from None
        if multilabel:
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
        xp = namespace(K)
        if K.shape[0] == 1 or getattr(self, "_is_multilabel_target", False):
            right = xp.all((K > 0) == (Y > 0.5), axis=0)  # (m,)
        else:
            right = xp.argmax(K, axis=0) == xp.argmax(Y, axis=0)  # (m,)
        return float(xp.mean(xp.astype(right, K.dtype)))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X``, ``y`` (arrays of any namespace or device)."""
        from sklearn.metrics import accuracy_score

        return float(
            accuracy_score(host(y), host(self.predict(X)), sample_weight=host(sample_weight))
        )

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
            return namespace(H).concat([1 - H, H], axis=1)
        return H

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
            index = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
            labels = self.classes_[index]
        if is_numpy_like(X) or not np.issubdtype(labels.dtype, np.number):
            return labels
        return move(np.ascontiguousarray(labels), namespace(X), device(X))


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
