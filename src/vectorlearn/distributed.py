"""Training on a Dask cluster, for data larger than one machine.

The data stay where they are: each row block of ``X`` (with its targets and weights) is
persisted on a worker, once. Every full-batch step then sends the (small) weights to the workers,
runs the core's own ``cost_and_gradients`` on each block, and sums the partial costs and
gradients: the full-batch gradient is a sum over examples, so the blocks' sums add up to it
exactly. Only parameter-sized arrays ever travel; ``X`` is never gathered into one process.
Mini-batch training (Adam, momentum, gd with a ``batch_size``) chains one task per block: the
weights and the optimizer's state move from block to block, each block runs its mini-batches
where it lives.

    from vectorlearn.distributed import connect
    client = connect()              # a LocalCluster on this machine
    client = connect("tcp://scheduler:8786")   # or a real cluster
    LogisticRegression().fit(X_dask, y_dask)

Without a client, ``fit`` on Dask arrays starts a LocalCluster and keeps it for later fits.
"""

from __future__ import annotations

import math

import numpy as np

from .core.network import add_penalty
from .core.training import train

_local_client = None


def connect(address=None, *, n_workers=None, threads_per_worker=1, **cluster_options):
    """A ``dask.distributed.Client``: to ``address``, else to a new ``LocalCluster``.

    The local cluster gives each worker one thread, so that BLAS inside a block does not fight
    the other workers for the cores.
    """
    from dask.distributed import Client, LocalCluster

    if address is not None:
        return Client(address)
    cluster = LocalCluster(
        n_workers=n_workers, threads_per_worker=threads_per_worker, **cluster_options
    )
    return Client(cluster)


def default_client():
    """The current client, or a LocalCluster started once and kept."""
    global _local_client
    from dask.distributed import get_client

    try:
        return get_client()
    except ValueError:
        if _local_client is None or _local_client.status != "running":
            _local_client = connect()
        return _local_client


class DaskBlocks:
    """``X``, ``Y``, ``S`` as row blocks persisted on a cluster; ``shape`` is ``(n_0, m)``.

    Build one with :meth:`prepare`. It is "remote data" for the core's training loop (see
    ``vectorlearn.core.training.is_remote``).
    """

    def __init__(self, client, blocks, m, n, dtype, n_outputs):
        self.client, self.blocks = client, blocks  # futures of (X_b (m_b, n), Y_b, S_b)
        self.shape = (n, m)
        self.dtype, self.n_outputs = dtype, n_outputs

    # ---- building -------------------------------------------------------------------------------
    @classmethod
    def prepare(cls, estimator, X, y, sample_weight=None, class_weight=None):
        """Validate ``X`` (a Dask array, rows of examples) and ``y`` on the cluster; encode the
        targets and weights block by block as ``estimator`` encodes them in memory.

        Sets ``n_features_in_`` (and ``classes_`` for a classifier) on ``estimator``. Returns
        ``(data, head, total_weight)``.
        """
        import dask
        import dask.array as da

        client = default_client()
        X = _as_rows(X, "X")
        dtype = estimator._dtype() or (np.float32 if X.dtype == np.float32 else np.float64)
        X = X.astype(dtype)
        y = _aligned(y, X, "y")
        finite, labels = dask.compute(
            da.isfinite(X).all(),
            da.unique(y) if _is_classifier(estimator) else None,
        )
        if not finite:
            raise ValueError(
                "Input X contains NaN or infinity. Impute missing values first, e.g. with "
                "dask_ml.impute.SimpleImputer."
            )
        estimator.n_features_in_ = int(X.shape[1])
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        if labels is not None:  # classes_ and the head, from the labels alone
            _, head = estimator._encode_targets(np.asarray(labels), dtype)
            classes = estimator.classes_
        else:
            estimator._y_ndim = y.ndim
            head, classes = "identity", None
        class_factors = _class_factors(class_weight, classes, y)

        x_blocks = client.compute(list(X.to_delayed().ravel()))
        y_blocks = client.compute(list(y.to_delayed().ravel()))
        w_blocks = (
            [None] * len(x_blocks)
            if sample_weight is None
            else client.compute(
                list(_aligned(sample_weight, X, "sample_weight").to_delayed().ravel())
            )
        )
        weighted = sample_weight is not None or class_factors is not None
        encoded = client.map(
            _encode_block,
            x_blocks,
            y_blocks,
            w_blocks,
            estimator=estimator,
            dtype=dtype,
            classes=classes,
            class_factors=class_factors,
            pure=False,
        )
        sums = client.gather(client.map(_weight_sum, encoded))
        m = int(X.shape[0])
        total = float(sum(sums)) if weighted else float(m)
        if not total > 0:
            raise ValueError(
                "sample_weight sums to zero: give at least one example a positive weight."
            )
        if weighted:  # S: weights scaled to mean 1 over all blocks, as in memory
            encoded = client.map(_scale_weights, encoded, factor=m / total, pure=False)
        n_out = 1 if head != "softmax" else len(classes)
        if head == "identity":
            n_out = 1 if y.ndim == 1 else int(y.shape[1])
        data = cls(client, encoded, m, int(X.shape[1]), dtype, n_out)
        return data, head, total

    # ---- what the core asks of remote data ------------------------------------------------------
    def cost_and_gradients(self, network, W, B, l2):
        """Full-batch ``J``, ``dW``, ``dB``: each block's sums, added up, divided by ``m``."""
        params = self.client.scatter((W, B), broadcast=True, hash=False)
        parts = self.client.gather(
            self.client.map(_block_sums, self.blocks, params=params, network=network, pure=False)
        )
        m = self.shape[1]
        J = sum(p[0] for p in parts) / m
        dW = [sum(p[1][l] for p in parts) / m for l in range(len(W))]
        dB = [sum(p[2][l] for p in parts) / m for l in range(len(B))]
        J, dW = add_penalty(np.asarray(J), dW, W, l2)
        return J, dW, dB

    def gram_times(self, S, v, v_b):
        """``X1 diag(S) X1^T [v; v_b]`` summed over the blocks (for the Lipschitz step)."""
        parts = self.client.gather(self.client.map(_block_gram, self.blocks, v=v, v_b=v_b))
        return sum(p[0] for p in parts), float(sum(p[1] for p in parts))

    def train_epoch(self, network, W, B, optimizer, rng, *, batch_size, l2, dropout, shuffle):
        """One epoch of mini-batches, block after block in a random order; each block's task
        starts from the previous one's weights and optimizer state. Returns ``W, B, cost sum``."""
        order = rng.permutation(len(self.blocks)) if shuffle else np.arange(len(self.blocks))
        state = (W, B, optimizer, 0.0)
        for k in order:
            seed = int(rng.integers(2**63 - 1))
            state = self.client.submit(
                _train_block,
                state,
                self.blocks[k],
                network=network,
                seed=seed,
                batch_size=batch_size,
                l2=l2,
                dropout=dropout,
                shuffle=shuffle,
                pure=False,
            )
        W, B, trained, total = state.result()
        optimizer.__dict__.update(trained.__dict__)  # the caller's optimizer keeps the state
        return W, B, total


# ---- tasks that run on the workers -------------------------------------------------------------
def _encode_block(X_b, y_b, w_b, *, estimator, dtype, classes, class_factors):
    # (m_b, n): rows contiguous, and aligned (blocks rebuilt from the network may not be, and
    # NumPy's matrix product runs without BLAS, about 20 times slower, on unaligned memory)
    X_b = np.require(X_b, dtype=dtype, requirements=["C", "A"])
    y_b = np.asarray(y_b)
    if classes is not None:
        Y_b, _ = estimator._encode_targets(y_b, dtype, classes=classes)
    else:
        Y_b = y_b.reshape(y_b.shape[0], -1).astype(dtype).T
    weights = None if w_b is None else np.asarray(w_b, dtype=dtype)
    if class_factors is not None:
        index = np.searchsorted(classes, y_b)
        weights = (1.0 if weights is None else weights) * class_factors[index].astype(dtype)
    if weights is not None and np.any(weights < 0):
        raise ValueError("Negative values in data passed to `sample_weight`.")
    S_b = None if weights is None else np.reshape(weights, (1, -1))
    return X_b, Y_b, S_b


def _weight_sum(block):
    S_b = block[2]
    return float(block[0].shape[0]) if S_b is None else float(np.sum(S_b))


def _scale_weights(block, factor):
    X_b, Y_b, S_b = block
    return X_b, Y_b, None if S_b is None else S_b * factor


def _block_sums(block, params, network):
    X_b, Y_b, S_b = block
    W, B = params
    m_b = X_b.shape[0]
    J, dW, dB = network.cost_and_gradients(W, B, X_b.T, Y_b, S_b)  # means over the block
    return float(J) * m_b, [d * m_b for d in dW], [d * m_b for d in dB]


def _block_gram(block, v, v_b):
    from .core.training import gram_times

    X_b, _, S_b = block
    return gram_times(X_b.T, S_b, v, v_b)


def _train_block(state, block, *, network, seed, batch_size, l2, dropout, shuffle):
    W, B, optimizer, total = state
    X_b, Y_b, S_b = block
    W, B, history = train(
        network,
        W,
        B,
        X_b.T,
        Y_b,
        S=S_b,
        l2=l2,
        optimizer=optimizer,
        rng=np.random.default_rng(seed),
        batch_size=batch_size,
        max_epochs=1,
        shuffle=shuffle,
        n_iter_no_change=None,
        dropout=dropout,
    )
    return W, B, optimizer, total + history.loss[0] * X_b.shape[0]


# ---- helpers -------------------------------------------------------------------------------------
def _is_classifier(estimator) -> bool:
    return hasattr(estimator, "predict_proba")


def _as_rows(X, name):
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D Dask array for {name}, got {X.ndim}D")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise TypeError(f"{name} must hold numbers, not {X.dtype}")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})  # blocks of whole rows
    if any(math.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() first")
    return X


def _aligned(a, X, name):
    """``a`` (a Dask array, or NumPy) as a Dask array chunked like ``X``'s rows."""
    import dask.array as da

    if not hasattr(a, "chunks"):
        a = da.from_array(np.asarray(a), chunks=(X.chunks[0],) + ((-1,) if np.ndim(a) == 2 else ()))
    if a.shape[0] != X.shape[0]:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: "
            f"[{X.shape[0]}, {a.shape[0]}] ({name})"
        )
    chunks = (X.chunks[0],) + ((-1,) if a.ndim == 2 else ())
    return a.rechunk(chunks)


def _class_factors(class_weight, classes, y):
    """One weight per class, in the order of ``classes``, or None."""
    if class_weight is None or classes is None:
        return None
    if class_weight == "balanced":
        import dask.array as da

        labels, counts = da.unique(y, return_counts=True)
        labels, counts = labels.compute(), counts.compute()
        counts = counts[np.searchsorted(labels, classes)]
        return counts.sum() / (len(classes) * counts.astype(np.float64))
    return np.array([float(class_weight.get(c, 1.0)) for c in classes])
