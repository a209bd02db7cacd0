"""Training on a Dask cluster: the same weights as in memory, and X never gathered."""

import threading
import time
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="Dask is in the test extra: pip install '.[test]'")
distributed = pytest.importorskip(
    "dask.distributed", reason="dask.distributed is in the test extra"
)

from sklearn.datasets import make_classification, make_regression  # noqa: E402

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor  # noqa: E402


def chunked(a, rows=150):
    return da.from_array(a, chunks=(rows, *a.shape[1:]))


def quietly(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(*args, **kwargs)


def weights(model):
    return (
        model.coefs_ + model.intercepts_
        if hasattr(model, "coefs_")
        else [model.coef_, model.intercept_]
    )


def binary(n_classes=2, m=1500):
    X, y = make_classification(m, 8, n_informative=5, n_classes=n_classes, random_state=0)
    return X, y


CASES = {
    "logreg gd binary": (lambda: LogisticRegression(solver="gd"), 2),
    "logreg lbfgs binary": (lambda: LogisticRegression(solver="lbfgs"), 2),
    "logreg gd multinomial": (lambda: LogisticRegression(solver="gd"), 3),
    "logreg lbfgs multinomial": (lambda: LogisticRegression(solver="lbfgs"), 3),
    "logreg fixed step": (
        lambda: LogisticRegression(solver="gd", learning_rate=0.5, max_iter=30),
        3,
    ),
    "mlp lbfgs": (
        lambda: MLPClassifier((8,), solver="lbfgs", max_iter=30, random_state=0, dtype="float64"),
        3,
    ),
    "mlp full-batch adam": (
        lambda: MLPClassifier((8,), batch_size=None, max_iter=30, random_state=0, dtype="float64"),
        2,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_weights_as_in_memory(client, name):
    make, n_classes = CASES[name]
    X, y = binary(n_classes)
    in_memory = quietly(make(), X, y)
    on_cluster = quietly(make(), chunked(X), chunked(y))  # 10 blocks of 150 rows
    assert on_cluster.n_iter_ == in_memory.n_iter_
    for a, b in zip(weights(on_cluster), weights(in_memory)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(on_cluster.classes_, in_memory.classes_)


def test_weights_and_regression_on_the_cluster(client):
    X, y = binary(3)
    w = np.random.default_rng(0).integers(1, 4, size=y.shape[0]).astype(float)
    make = lambda: LogisticRegression(class_weight="balanced")  # noqa: E731
    a = quietly(make(), X, y, sample_weight=w)
    b = quietly(make(), chunked(X), chunked(y), sample_weight=chunked(w))
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-6)
    Xr, yr = make_regression(900, 6, noise=5.0, random_state=0)
    make = lambda: MLPRegressor((6,), solver="lbfgs", max_iter=40, random_state=0, dtype="float64")  # noqa: E731
    a = quietly(make(), Xr, yr / 100)
    b = quietly(make(), chunked(Xr), chunked(yr / 100))
    for u, v in zip(weights(b), weights(a)):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-6)


def test_mini_batches_run_block_by_block(client):
    X, y = binary(2, m=3000)
    model = quietly(
        MLPClassifier((16,), batch_size=64, max_iter=15, learning_rate_init=0.01, random_state=0),
        chunked(X, 300),
        chunked(y, 300),
    )
    reference = quietly(
        MLPClassifier((16,), batch_size=64, max_iter=15, learning_rate_init=0.01, random_state=0),
        X,
        y,
    )
    assert model.n_iter_ == 15 and model.loss_curve_[-1] < model.loss_curve_[0] / 2
    assert model.score(X, y) > reference.score(X, y) - 0.03


def test_bad_dask_input(client):
    X, y = binary()
    bad = X.copy()
    bad[7, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(chunked(bad), chunked(y))
    with pytest.raises(ValueError, match="inconsistent"):
        LogisticRegression().fit(chunked(X), chunked(y[:-5]))
    with pytest.raises(ValueError, match="one class"):
        LogisticRegression().fit(chunked(X), chunked(np.zeros_like(y)))
    with pytest.raises(ValueError, match="validation_data"):
        MLPClassifier(early_stopping=True).fit(chunked(X), chunked(y))


def test_the_data_are_never_gathered_on_the_client(client):
    """800 MB of X live on the workers; the client's memory moves by a few MB while it fits."""
    psutil = pytest.importorskip("psutil", reason="psutil comes with dask.distributed")
    rs = da.random.default_rng(0)
    X = rs.standard_normal((1_000_000, 100), chunks=(50_000, 100))  # 800 MB, made on workers
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    process = psutil.Process()
    before, peak, done = process.memory_info().rss, [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        model = quietly(LogisticRegression(solver="lbfgs", max_iter=3), X, y)
    finally:
        done.set()
        watcher.join()
    assert model.coef_.shape == (1, 100)
    assert peak[0] - before < 100 * 2**20  # far below the 800 MB of X


def test_predictions_on_dask_arrays_stay_dask_arrays(client):
    X, y = binary(3)
    for model in (
        quietly(LogisticRegression(), chunked(X), chunked(y)),
        quietly(MLPClassifier((8,), max_iter=20, random_state=0), X, y),
    ):
        dX = chunked(X)
        proba, labels = model.predict_proba(dX), model.predict(dX)
        assert isinstance(proba, da.Array) and isinstance(labels, da.Array)
        np.testing.assert_allclose(proba.compute(), model.predict_proba(X))
        np.testing.assert_array_equal(labels.compute(), model.predict(X))
        assert model.score(dX, chunked(y)) == pytest.approx(model.score(X, y))
    regressor = quietly(MLPRegressor((4,), max_iter=10, random_state=0), X, y.astype(float))
    out = regressor.predict(chunked(X))
    assert isinstance(out, da.Array) and out.shape == (X.shape[0],)
    np.testing.assert_allclose(out.compute(), regressor.predict(X))


def test_weights_sent_in_each_task_or_scattered_give_the_same_step(client, monkeypatch):
    """Small weights travel inside the blocks' tasks (no scatter, one round trip less a step);
    above ``INLINE_BYTES`` they are scattered once; both give the same J, dW, dB."""
    from vectorlearn.core.network import Network
    from vectorlearn.distributed import DaskBlocks

    X, y = binary(3)
    data, head, _ = DaskBlocks.prepare(LogisticRegression(), chunked(X), chunked(y))
    net = Network((X.shape[1], 3), head=head)
    W, B = [np.full((8, 3), 0.1)], [np.full((3, 1), 0.2)]
    scattered = []
    scatter = client.scatter
    monkeypatch.setattr(client, "scatter", lambda *a, **k: scattered.append(1) or scatter(*a, **k))
    inline = data.cost_and_gradients(net, W, B, l2=0.01)
    assert not scattered  # 10 blocks x 96 bytes
    monkeypatch.setattr("vectorlearn.distributed.INLINE_BYTES", 0)
    sent_once = data.cost_and_gradients(net, W, B, l2=0.01)
    assert scattered == [1]
    # equal to rounding: arrays unpacked from a message may sit at another memory alignment,
    # where NumPy's vectorized sums can round the last bit differently
    np.testing.assert_allclose(float(inline[0]), float(sent_once[0]), rtol=1e-13)
    for a, b in zip(inline[1] + inline[2], sent_once[1] + sent_once[2]):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_blocks_are_spread_over_the_workers_wherever_x_was_persisted(client):
    """X's chunks all on one worker (as a user's ``persist`` may leave them): the training
    blocks are still sent half to each of the two workers, since a full-batch step takes as
    long as its busiest worker; blocks stay where they were up to a worker's share."""
    from vectorlearn.core.network import Network
    from vectorlearn.distributed import DaskBlocks

    first, second = sorted(client.scheduler_info()["workers"])
    X, y = binary(2)
    X_dask = client.persist(chunked(X), workers=[first])  # all 10 chunks on the first worker
    distributed.wait(X_dask)
    held = client.who_has(distributed.futures_of(X_dask))
    assert {w for ws in held.values() for w in ws} == {first}
    data, head, _ = DaskBlocks.prepare(LogisticRegression(), X_dask, chunked(y))
    # the worker each block was sent to (the scheduler may still move a task, as it balances
    # its load, so the test reads the request rather than where the blocks ended up)
    homes = client.run_on_scheduler(_requested_workers, keys=[b.key for b in data.blocks])
    assert sorted(homes) == [(first,)] * 5 + [(second,)] * 5
    net = Network((X.shape[1], 1), head=head)  # and the step is the in-memory one
    W, B = [np.full((8, 1), 0.1)], [np.full((1, 1), 0.2)]
    J, dW, dB = data.cost_and_gradients(net, W, B)
    J_mem, dW_mem, dB_mem = net.cost_and_gradients(W, B, X.T, y[np.newaxis, :].astype(float))
    np.testing.assert_allclose(float(J), float(J_mem), rtol=1e-12)
    np.testing.assert_allclose(dW[0], dW_mem[0], rtol=1e-10, atol=1e-14)


def _requested_workers(dask_scheduler, keys):
    return [tuple(sorted(dask_scheduler.tasks[k].worker_restrictions or ())) for k in keys]


def test_local_workers_keep_glibc_s_own_memory_trimming(client):
    """Dask's workers get ``MALLOC_TRIM_THRESHOLD_=65536`` by default, which makes every
    large array of a block's step a fresh mapping from the system; vectorlearn's local cluster
    leaves it unset."""
    import os

    assert set(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values()) == {None}


@pytest.mark.parametrize(
    "holders, threads, expected",
    [
        ([("a",)] * 8, {"a": 1, "b": 1}, ["a"] * 4 + ["b"] * 4),
        ([("a",)] * 6, {"a": 1, "b": 2}, ["a"] * 2 + ["b"] * 4),  # in proportion to threads
        ([("b",)] * 3 + [("a", "b")] * 3, {"a": 2, "b": 1}, ["b"] * 2 + ["a"] * 4),
        ([(), ("gone",)], {"a": 1, "b": 1}, ["a", "b"]),  # held nowhere, or by a lost worker
        ([("a",)] * 2, {}, [None, None]),  # no worker: the scheduler's choice
    ],
)
def test_blocks_are_spread_in_proportion_to_threads(holders, threads, expected):
    from vectorlearn.distributed import spread

    assert spread(holders, threads) == expected
