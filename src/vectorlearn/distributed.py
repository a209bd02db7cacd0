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
from dataclasses import replace
from functools import partial

import numpy as np

from .core.network import add_penalty
from .core.stability import gram_times
from .core.training import Epoch, InMemory, descend, train

_local_client = None


def connect(address=None, *, n_workers=None, threads_per_worker=1, **cluster_options):
    """A ``dask.distributed.Client``: to ``address``, else to a new ``LocalCluster``.

    The local cluster gives each worker one thread, so that BLAS inside a block does not fight
    the other workers for the cores, and leaves glibc's trimming of freed memory at its own
    default: Dask sets ``MALLOC_TRIM_THRESHOLD_=65536`` for its workers, which also stops glibc
    from raising its threshold for mapping large blocks, so every array of a block's step (2 MB
    for a (1, m_b) row of 500,000 float32) was mapped from the system and faulted in afresh. A
    full-batch step's block kernels took 0.45-0.58 s of worker time with it and 0.32-0.48 s
    without (8 blocks of 500,000 x 50, logistic regression, two runs of six steps each).
    """
    import dask
    from dask.distributed import Client, LocalCluster

    if address is not None:
        return Client(address)
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
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


# Weights go inside each block's task up to this many bytes in all (blocks x weights); above
# it, they are scattered to every worker once a step, so that a large network is not copied
# once per block. The scatter is one more round trip to the workers: on 2 local workers it made
# a full-batch step of logistic regression on 8 blocks of 500,000 x 50 about 40 ms longer (0.40
# against 0.36 s and 0.31 against 0.27 s, medians of nine, weights of 204 bytes).
INLINE_BYTES = 4 * 2**20


LOOSE = {"allow_other_workers": True, "pure": False}  # a worker preferred, not required


class DaskBlocks:
    """``X``, ``Y``, ``S`` as row blocks persisted on a cluster; ``shape`` is ``(n_0, m)``.

    Built by :meth:`build` from checked Dask arrays (the estimators check and encode them in
    ``vectorlearn.estimators._data.prepare``). It is training data for the core's loop (the
    ``Batches`` protocol of ``vectorlearn.core.training``): each epoch runs where the blocks live.
    """

    def __init__(self, client, blocks, m, n, dtype, n_outputs):
        self.client, self.blocks = client, blocks  # futures of (X_b (m_b, n), Y_b, S_b)
        self.shape = (n, m)
        self.dtype, self.n_outputs = dtype, n_outputs

    # ---- building -------------------------------------------------------------------------------
    @classmethod
    def build(cls, X, y, sample_weight, dtype, encode, n_outputs, classes=None, class_factors=None):
        """Persist the row blocks of ``X`` (m, n) with their targets ``encode(y_b)`` (n_L, m_b)
        and example weights, scaled to mean 1 over all blocks as in memory. Returns
        ``(data, total_weight)``."""
        client = default_client()
        x_blocks = client.compute(list(X.to_delayed().ravel()))
        y_blocks = client.compute(list(y.to_delayed().ravel()))
        w_blocks = (
            [None] * len(x_blocks)
            if sample_weight is None
            else client.compute(
                list(rows_like(sample_weight, X, "sample_weight").to_delayed().ravel())
            )
        )
        weighted = sample_weight is not None or class_factors is not None
        encode_block = partial(
            _encode_block, encode=encode, dtype=dtype, classes=classes, class_factors=class_factors
        )
        homes = _homes(client, x_blocks)  # each block's steps run where it lives: spread them
        encoded = [
            client.submit(encode_block, *block, workers=home and [home], **LOOSE)
            for *block, home in zip(x_blocks, y_blocks, w_blocks, homes)
        ]
        sums = client.gather(client.map(_weight_sum, encoded))
        m = int(X.shape[0])
        total = float(sum(sums)) if weighted else float(m)
        if not total > 0:
            raise ValueError(
                "sample_weight sums to zero: give at least one example a positive weight."
            )
        if weighted:  # S: weights scaled to mean 1 over all blocks, as in memory
            encoded = client.map(_scale_weights, encoded, factor=m / total, pure=False)
        return cls(client, encoded, m, int(X.shape[1]), dtype, n_outputs), total

    @classmethod
    def prepare(cls, estimator, X, y, sample_weight=None, class_weight=None):
        """``(data, head, total_weight)`` for ``estimator`` (its dtype and kind), without the
        estimators' checks and without setting anything on it (for benchmarks)."""
        import dask.array as da
        from sklearn.base import is_classifier

        dtype = np.float32 if X.dtype == np.float32 else np.float64
        dtype = np.dtype(getattr(estimator, "dtype", None) or dtype).type
        X = X.rechunk({1: -1}).astype(dtype)
        y = rows_like(y, X, "y")
        if is_classifier(estimator):
            classes = np.unique(da.unique(y).compute())
            head = "sigmoid" if len(classes) == 2 else "softmax"
            encode = partial(_labels_to_Y, dtype=dtype, classes=classes)
            n_out = 1 if len(classes) == 2 else len(classes)
        else:
            head, classes = "identity", None
            encode = partial(_values_to_Y, dtype=dtype)
            n_out = 1 if y.ndim == 1 else int(y.shape[1])
        factors = None
        if isinstance(class_weight, dict) and classes is not None:
            factors = np.array([float(class_weight.get(c, 1.0)) for c in classes])
        data, total = cls.build(X, y, sample_weight, dtype, encode, n_out, classes, factors)
        return data, head, total

    # ---- what the core's loop asks of training data ---------------------------------------------
    def check(self, network) -> None:
        """A ValueError unless the blocks hold the network's inputs and outputs."""
        n = network.sizes
        if self.shape[0] != n[0] or self.n_outputs != n[-1]:
            raise ValueError(
                f"the Dask blocks hold X (n_0, m) = {self.shape} and Y with {self.n_outputs} "
                f"rows, but the network has n_0 = {n[0]} and n_L = {n[-1]}"
            )

    def epoch(self, network, W, B, optimizer, config, should_stop=None):
        """One epoch: a full-batch step (costs and gradients summed over the blocks), or
        mini-batches block after block (see :meth:`train_epoch`)."""
        if config.batch_size is None or config.batch_size >= self.shape[1]:
            if config.dropout:
                raise ValueError(
                    "dropout on Dask data needs mini-batches: set batch_size below the number "
                    "of examples, or dropout=0"
                )
            J, dW, dB = self.cost_and_gradients(network, W, B, config.l2)
            W, B, stationary = descend(optimizer, W, B, dW, dB, config.gtol)
            stopped = should_stop is not None and should_stop()
            return Epoch(W, B, J * self.shape[1], stopped, stationary)
        W, B, total = self.train_epoch(network, W, B, optimizer, config)
        return Epoch(W, B, total, False, False)

    def cost_and_gradients(self, network, W, B, l2=0.0):
        """Full-batch ``J``, ``dW``, ``dB``: each block's sums, added up, divided by ``m``.

        Small weights travel inside each block's task; larger ones are scattered to every
        worker first (see :data:`INLINE_BYTES`)."""
        params = (W, B)
        if len(self.blocks) * sum(a.nbytes for a in W + B) > INLINE_BYTES:
            params = self.client.scatter(params, broadcast=True, hash=False)
        parts = self.client.gather(
            self.client.map(_block_sums, self.blocks, params=params, network=network, pure=False)
        )
        m = self.shape[1]
        J = sum(p[0] for p in parts) / m
        dW = [sum(p[1][l] for p in parts) / m for l in range(len(W))]
        dB = [sum(p[2][l] for p in parts) / m for l in range(len(B))]
        J, dW = add_penalty(np.asarray(J), dW, W, l2)
        return J, dW, dB

    def head(self, k: int) -> np.ndarray:
        """The first rows (at most ``k``) of the first block, as NumPy (k, n): a cheap look at
        the features (the estimators' convergence advice reads their scale)."""
        return self.client.submit(_first_rows, self.blocks[0], k=k, pure=False).result()

    def gram_times(self, v, v_b):
        """``X1 diag(S) X1^T [v; v_b]`` summed over the blocks (for the Lipschitz step)."""
        parts = self.client.gather(self.client.map(_block_gram, self.blocks, v=v, v_b=v_b))
        return sum(p[0] for p in parts), float(sum(p[1] for p in parts))

    def train_epoch(self, network, W, B, optimizer, config):
        """One epoch of mini-batches, block after block in a random order; each block's task
        starts from the previous one's weights and optimizer state. Returns ``W, B, cost sum``."""
        rng, n_blocks = config.rng, len(self.blocks)
        order = rng.permutation(n_blocks) if config.shuffle else np.arange(n_blocks)
        state = (W, B, optimizer, 0.0)
        for k in order:
            seed = int(rng.integers(2**63 - 1))
            block_config = replace(
                config, max_epochs=1, n_iter_no_change=None, early_stopping=False, verbose=0,
                rng=np.random.default_rng(seed),
            )  # fmt: skip
            state = self.client.submit(
                _train_block, state, self.blocks[k], network=network, config=block_config,
                pure=False,
            )  # fmt: skip
        W, B, trained, total = state.result()
        optimizer.__dict__.update(trained.__dict__)  # the caller's optimizer keeps the state
        return W, B, total


# ---- where the blocks live (on the client) ------------------------------------------------------
def _homes(client, blocks) -> list:
    """A worker for each of the row ``blocks`` (futures of about one size), by :func:`spread`.

    A full-batch step takes as long as the busiest worker: with X's chunks where the user's
    ``persist`` put them (7 of 8 on one of two workers, in one run), it took 1.3-1.6x the
    balanced step. Moving a block costs one transfer, once per fit.
    """
    from dask.distributed import wait

    wait(blocks)
    threads = {w: info["nthreads"] for w, info in client.scheduler_info()["workers"].items()}
    where = client.who_has(blocks)
    return spread([tuple(where.get(block.key, ())) for block in blocks], threads)


def spread(holders: list, threads: dict) -> list:
    """A worker for each block: one of those holding it (``holders``, a tuple per block), unless
    that worker has its share already (blocks in proportion to its ``threads``); else the worker
    furthest below its share. None for each block when there is no worker.

    >>> spread([("a",)] * 6, {"a": 1, "b": 2})  # all six on a, which has a third of the threads
    ['a', 'a', 'b', 'b', 'b', 'b']
    >>> spread([("a",), ("b",), ("b",), ("b",)], {"a": 1, "b": 1})
    ['a', 'b', 'b', 'a']
    """
    total = sum(threads.values())
    if not total:  # no worker yet (an adaptive cluster at zero): the scheduler's choice
        return [None] * len(holders)
    share = {w: math.ceil(len(holders) * n / total) for w, n in threads.items()}
    held, homes = dict.fromkeys(threads, 0), [None] * len(holders)
    for i, workers in enumerate(holders):  # first, the blocks that may stay where they are
        home = next((w for w in workers if held.get(w, 0) < share.get(w, 0)), None)
        if home is not None:
            homes[i], held[home] = home, held[home] + 1
    for i in range(len(holders)):  # then the rest, each to the least loaded worker
        if homes[i] is None:
            homes[i] = min(held, key=lambda w: held[w] / threads[w])
            held[homes[i]] += 1
    return homes


# ---- tasks that run on the workers --------------------------------------------------------------
def _encode_block(X_b, y_b, w_b, *, encode, dtype, classes, class_factors):
    # (m_b, n): rows contiguous, and aligned (blocks rebuilt from the network may not be, and
    # NumPy's matrix product runs without BLAS, about 20 times slower, on unaligned memory)
    X_b = np.require(X_b, dtype=dtype, requirements=["C", "A"])
    y_b = np.asarray(y_b)
    Y_b = encode(y_b)  # (n_L, m_b)
    weights = None if w_b is None else np.asarray(w_b, dtype=dtype)
    if class_factors is not None:
        index = np.searchsorted(classes, y_b)
        weights = (1.0 if weights is None else weights) * class_factors[index].astype(dtype)
    if weights is not None and np.any(weights < 0):
        raise ValueError("Negative values in data passed to `sample_weight`.")
    S_b = None if weights is None else np.reshape(weights, (1, -1))
    return X_b, Y_b, S_b


def _labels_to_Y(y_b, dtype, classes):
    index = np.searchsorted(classes, y_b)
    if len(classes) == 2:
        return (index == 1).astype(dtype)[np.newaxis, :]  # (1, m_b)
    return (index[:, np.newaxis] == np.arange(len(classes))).astype(dtype).T  # (k, m_b)


def _values_to_Y(y_b, dtype):
    return y_b.reshape(y_b.shape[0], -1).astype(dtype).T  # (k, m_b)


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


def _first_rows(block, k):
    return np.array(block[0][:k])  # (k, n)


def _block_gram(block, v, v_b):
    X_b, _, S_b = block
    return gram_times(X_b.T, S_b, v, v_b)


def _train_block(state, block, *, network, config):
    W, B, optimizer, total = state
    X_b, Y_b, S_b = block
    W, B, history = train(
        network, W, B, InMemory(X_b.T, Y_b, S_b), optimizer=optimizer, config=config
    )
    return W, B, optimizer, total + history.loss[0] * X_b.shape[0]


# ---- helpers ------------------------------------------------------------------------------------
def rows_like(a, X, name):
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
