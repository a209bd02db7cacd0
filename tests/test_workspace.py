"""NumPy's fast path: a training run's (n_l, m) arrays reused from step to step.

The workspace must give bitwise the numbers of the portable path (which allocates), and must
actually stop the allocation it exists to stop.
"""

import tracemalloc
import warnings

import numpy as np
import pytest

from vectorlearn.core.network import Network, make_dropout_masks
from vectorlearn.core.optimizers import Adam, GradientDescent
from vectorlearn.core.training import InMemory, TrainConfig, TrainingDiverged, train
from vectorlearn.core.workspace import Workspace


def _data(m=300, n=6, n_out=1, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m)).astype(dtype)  # (n_0, m)
    if n_out == 1:
        Y = (X[:1] + X[1:2] ** 2 > 1).astype(dtype)  # (1, m)
    else:
        Y = np.eye(n_out, dtype=dtype)[:, rng.integers(0, n_out, m)]  # (n_out, m), one-hot
    S = rng.uniform(0.5, 2.0, size=(1, m)).astype(dtype)
    return X, Y, S


def _train(network, X, Y, S, config, workspace):
    data = InMemory(X, Y, S)
    if not workspace:
        data.workspace = None  # the portable path: every array allocated afresh
    W, B = network.init_params(np.random.default_rng(1), np, X.dtype)
    return train(network, W, B, data, optimizer=Adam(0.01), config=config)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "activation, head, n_out, batch_size, dropout",
    [
        ("relu", "sigmoid", 1, None, 0.0),  # the full batch: one shape every step
        ("relu", "softmax", 3, 64, 0.0),  # a smaller last batch: the buffers change shape
        ("relu", "sigmoid", 1, 100, 0.3),  # dropout: the kept activations are new arrays
        ("tanh", "identity", 2, None, 0.0),  # no fast activation: the products alone
        ("leaky_relu", "sigmoid", 1, 128, 0.0),
        ("identity", "sigmoid", 1, None, 0.0),  # A_l is K_l itself, a workspace array
    ],
)
def test_the_workspace_gives_the_portable_path_s_numbers_bitwise(
    dtype, activation, head, n_out, batch_size, dropout
):
    X, Y, S = _data(n_out=n_out, dtype=dtype)
    net = Network((6, 8, 8, n_out), activation=activation, head=head)  # equal: no alias
    results = []
    for workspace in (True, False):
        config = TrainConfig(
            max_epochs=4, batch_size=batch_size, dropout=dropout, rng=np.random.default_rng(2)
        )
        W, B, history = _train(net, X, Y, S, config, workspace)
        results.append((W + B, history.loss))
    (fast, fast_loss), (portable, portable_loss) = results
    assert fast_loss == portable_loss
    for a, b in zip(fast, portable):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)


def test_one_pass_with_a_workspace_equals_the_pass_without_it():
    X, Y, S = _data(m=50)
    net = Network((6, 5, 4, 1))
    W, B = net.init_params(np.random.default_rng(0), np, "float64")
    B = [np.full_like(b, 0.1) for b in B]  # off ReLU's kink at K = 0
    ws = Workspace()
    for _ in range(2):  # the second pass writes over the first one's arrays
        J, dW, dB = net.cost_and_gradients(W, B, X, Y, S, l2=0.01, ws=ws)
        J0, dW0, dB0 = net.cost_and_gradients(W, B, X, Y, S, l2=0.01)
        assert float(J) == float(J0)
        for a, b in zip(dW + dB, dW0 + dB0):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("x_dtype, w_dtype", [("float32", "float64"), ("float64", "float32")])
def test_mixed_dtypes_leave_the_product_s_type_to_numpy(x_dtype, w_dtype):
    # without a workspace the products take the wider type: an out= of the narrower one would
    # round them quietly
    X, Y, S = _data(m=30, dtype=np.dtype(x_dtype))
    net = Network((6, 5, 1))
    W, B = net.init_params(np.random.default_rng(0), np, w_dtype)
    ws = Workspace()
    K, _ = net.forward(W, B, X, ws=ws)
    assert K.dtype == np.float64
    _assert_same_pass(net, W, B, X, Y, S, ws)


def test_one_workspace_serves_two_dtypes_and_integers_take_the_portable_path():
    net = Network((6, 5, 1))
    ws = Workspace()
    for dtype in ("float32", "float64", "float32"):
        X, Y, S = _data(m=30, dtype=np.dtype(dtype))
        W, B = net.init_params(np.random.default_rng(0), np, dtype)
        _assert_same_pass(net, W, B, X, Y, S, ws)
    X = np.arange(-90, 90).reshape(6, 30)  # int64: relu(K) of an integer K is no float
    W = [np.ones((6, 5), np.int64), np.ones((5, 1), np.int64)]
    B = [np.zeros((5, 1), np.int64), np.zeros((1, 1), np.int64)]
    _assert_same_pass(net, W, B, X, (X[:1] > 0).astype(np.int64), None, ws)


def _assert_same_pass(net, W, B, X, Y, S, ws):
    J, dW, dB = net.cost_and_gradients(W, B, X, Y, S, ws=ws)
    J0, dW0, dB0 = net.cost_and_gradients(W, B, X, Y, S)
    for a, b in zip([J, *dW, *dB], [J0, *dW0, *dB0]):  # NaN where the other has NaN
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_nan_and_infinity_pass_through_both_paths_alike():
    # np.maximum keeps a NaN where np.fmax would turn it into 0 and hide it
    X, Y, S = _data(m=30)
    X[0, 3], X[2, 7], X[4, 11] = np.nan, np.inf, -np.inf
    net = Network((6, 5, 5, 1))
    W, B = net.init_params(np.random.default_rng(0), np, "float64")
    with np.errstate(invalid="ignore", over="ignore"):
        _assert_same_pass(net, W, B, X, Y, S, Workspace())


def test_a_diverging_run_diverges_alike_on_both_paths():
    # the same last finite weights, at the same epoch
    X, Y, S = _data()
    net = Network((6, 8, 8, 1))
    errors = []
    for workspace in (True, False):
        data = InMemory(X * 1e150, Y, S)
        if not workspace:
            data.workspace = None
        W, B = net.init_params(np.random.default_rng(1), np, "float64")
        config = TrainConfig(max_epochs=50, batch_size=64, rng=np.random.default_rng(2))
        with pytest.raises(TrainingDiverged) as error:
            train(net, W, B, data, optimizer=GradientDescent(1e3), config=config)
        errors.append(error.value)
    assert errors[0].epoch == errors[1].epoch
    for a, b in zip(errors[0].W + errors[0].B, errors[1].W + errors[1].B):
        np.testing.assert_array_equal(a, b)


def test_estimators_fit_bitwise_alike_with_and_without_the_workspace(monkeypatch):
    # the estimators' own route: X (m, n) row-major, handed to the core as the view X.T
    from sklearn.datasets import make_classification

    from vectorlearn import MLPClassifier
    from vectorlearn.core import training

    X, y = make_classification(300, 8, n_classes=3, n_informative=5, random_state=0)
    settings = [
        dict(solver="adam", batch_size=64, early_stopping=True),
        dict(solver="sgd", batch_size=None, alpha=1e-3),
        dict(solver="lbfgs"),
    ]
    for options in settings:
        fits = []
        for workspace in (Workspace, lambda: None):
            monkeypatch.setattr(training, "Workspace", workspace)
            model = MLPClassifier((16, 16), max_iter=15, random_state=0, **options)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fits.append(model.fit(X.astype(np.float32), y))
        assert fits[0].n_iter_ == fits[1].n_iter_
        assert getattr(fits[0], "loss_curve_", None) == getattr(fits[1], "loss_curve_", None)
        for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
            np.testing.assert_array_equal(a, b)


def test_dense_numpy_data_get_a_workspace_and_other_inputs_do_not():
    import scipy.sparse

    X, Y, _ = _data()
    assert isinstance(InMemory(X, Y).workspace, Workspace)
    assert InMemory(scipy.sparse.csc_array(X), Y).workspace is None


def test_a_full_batch_epoch_allocates_no_array_of_m_examples():
    # the point of the workspace: a step's (n_l, m) arrays are made once, not once per step;
    # through the training loop's epoch and L-BFGS's full-batch evaluations
    X, Y, S = _data(m=20_000, dtype=np.float32)  # one (64, m) float32 array is 5.1 MB
    net = Network((6, 64, 64, 1))
    W, B = net.init_params(np.random.default_rng(0), np, "float32")
    one_array = 64 * X.shape[1] * 4
    config = TrainConfig(max_epochs=1, n_iter_no_change=None)

    def peak_of(step):
        step()  # the first call makes the buffers
        tracemalloc.start()
        try:
            step()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    portable = InMemory(X, Y, S)
    portable.workspace = None
    assert peak_of(lambda: portable.cost_and_gradients(net, W, B)) > 4 * one_array
    data = InMemory(X, Y, S)
    assert peak_of(lambda: data.cost_and_gradients(net, W, B)) < one_array / 4
    epoch = lambda: train(net, W, B, data, optimizer=Adam(0.01), config=config)  # noqa: E731
    assert peak_of(epoch) < one_array / 4


def test_dropout_masks_leave_the_workspace_arrays_alone():
    # with dropout, A_l = g(K_l) * mask is a new array: the workspace's g(K_l) stays as computed
    X, Y, S = _data(m=40)
    net = Network((6, 5, 1))
    W, B = net.init_params(np.random.default_rng(0), np, "float64")
    masks = make_dropout_masks(net, 0.5, X.shape[1], np.random.default_rng(3), X)
    K0, (A_prevs0, Ks0, Gs0) = net.forward(W, B, X, masks)
    K, (A_prevs, Ks, Gs) = net.forward(W, B, X, masks, Workspace())
    np.testing.assert_array_equal(K, K0)
    np.testing.assert_array_equal(Gs[0], Gs0[0])
    np.testing.assert_array_equal(A_prevs[1], Gs0[0] * masks[0])
