"""NumPy's fast path: a training run's (n_l, m) arrays reused from step to step.

The workspace must give bitwise the numbers of the portable path (which allocates), and must
actually stop the allocation it exists to stop.
"""

import tracemalloc

import numpy as np
import pytest

from vectorlearn.core.network import Network, make_dropout_masks
from vectorlearn.core.optimizers import Adam
from vectorlearn.core.training import InMemory, TrainConfig, train
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


def test_mixed_dtypes_leave_the_product_s_type_to_numpy():
    # float32 data with float64 weights: the products are float64, as without a workspace
    X, Y, S = _data(m=30, dtype=np.float32)
    net = Network((6, 5, 1))
    W, B = net.init_params(np.random.default_rng(0), np, "float64")
    ws = Workspace()
    K, (A_prevs, Ks, Gs) = net.forward(W, B, X, ws=ws)
    assert K.dtype == Ks[0].dtype == np.float64
    J, dW, dB = net.cost_and_gradients(W, B, X, Y, S, ws=ws)
    J0, dW0, dB0 = net.cost_and_gradients(W, B, X, Y, S)
    assert float(J) == float(J0)
    for a, b in zip(dW + dB, dW0 + dB0):
        np.testing.assert_array_equal(a, b)


def test_dense_numpy_data_get_a_workspace_and_other_inputs_do_not():
    import scipy.sparse

    X, Y, _ = _data()
    assert isinstance(InMemory(X, Y).workspace, Workspace)
    assert InMemory(scipy.sparse.csc_array(X), Y).workspace is None


def test_a_full_batch_step_allocates_no_array_of_m_examples():
    # the point of the workspace: a step's (n_l, m) arrays are made once, not once per step
    X, Y, S = _data(m=20_000, dtype=np.float32)  # one (64, m) float32 array is 5.1 MB
    net = Network((6, 64, 64, 1))
    W, B = net.init_params(np.random.default_rng(0), np, "float32")
    one_array = 64 * X.shape[1] * 4

    def peak_of_a_step(ws):
        net.cost_and_gradients(W, B, X, Y, S, ws=ws)  # the first step makes the buffers
        tracemalloc.start()
        try:
            net.cost_and_gradients(W, B, X, Y, S, ws=ws)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert peak_of_a_step(None) > 4 * one_array  # without: K, A, dA, mask of two layers
    assert peak_of_a_step(Workspace()) < one_array / 4  # with: only (1, m) and smaller


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
