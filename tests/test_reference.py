"""The for-loop learners equal the vectorized ones: the lecture's claim, as tests."""

import numpy as np
import pytest
from conftest import as_xp, numpy_of

from vectorlearn import LogisticRegression
from vectorlearn.core.network import Network
from vectorlearn.core.optimizers import GradientDescent
from vectorlearn.core.training import TrainConfig, train
from vectorlearn.reference import chain_rule_factors, sigmoid, train_dict_sgd, train_loop_gd


def _data(m=60, n=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n))
    y = (X @ rng.normal(size=n) + 0.3 * rng.normal(size=m) > 0).astype(int)
    return X, y


def test_train_loop_gd_equals_vectorized_gd_solver():
    """Same start (zeros), no penalty, float64, 50 epochs: the same weights to 1e-10."""
    X, y = _data()
    w, b = train_loop_gd(X.tolist(), y.tolist(), num_epochs=50, alpha=0.5)
    model = LogisticRegression(solver="gd", C=np.inf, learning_rate=0.5, max_iter=50, tol=0.0)
    with pytest.warns(Warning, match="did not converge"):
        model.fit(X, y)
    assert model.n_iter_ == 50
    np.testing.assert_allclose(model.coef_.ravel(), w, rtol=0, atol=1e-10)
    assert model.intercept_[0] == pytest.approx(b, abs=1e-10)
    assert np.abs(w).max() > 0.1  # it really learned something


def test_train_dict_sgd_equals_vectorized_per_example_update(xp):
    """Weights in a dict, updated example by example == the core with batch_size=1, in order."""
    X, y = _data(m=40, n=4, seed=1)
    names = [f"f{j}" for j in range(X.shape[1])]
    dicts = [dict(zip(names, row)) for row in X.tolist()]
    weights, bias = train_dict_sgd(dicts, y.tolist(), num_epochs=5, alpha=0.1)

    net = Network((4, 1), head="sigmoid")
    W, B = net.init_params(None, xp, xp.float64)
    W, B, history = train(
        net,
        W,
        B,
        as_xp(xp, X.T),
        as_xp(xp, y[np.newaxis, :]),
        optimizer=GradientDescent(0.1),
        config=TrainConfig(
            rng=np.random.default_rng(0),
            batch_size=1,
            shuffle=False,
            max_epochs=5,
            n_iter_no_change=None,
        ),
    )
    assert history.n_epochs == 5
    np.testing.assert_allclose(numpy_of(W[0]).ravel(), [weights[k] for k in names], atol=1e-10)
    assert float(numpy_of(B[0])[0, 0]) == pytest.approx(bias, abs=1e-10)


def test_dict_sgd_handles_sparse_feature_dicts():
    """Features missing from an example are zeros: the dict learner's reason to exist."""
    weights, _ = train_dict_sgd([{"good": 1.0}, {"bad": 1.0}], [1, 0], num_epochs=20, alpha=0.5)
    assert weights["good"] > 0 > weights["bad"]


def test_chain_rule_factors_multiply_to_the_fused_gradient():
    for h, y in [(0.3, 1.0), (0.9, 0.0), (0.5, 1.0)]:
        dL_dH, dH_dK, dK_dW = chain_rule_factors(h, y, [1.5, -2.0])
        assert [dL_dH * dH_dK * x for x in dK_dW] == pytest.approx([(h - y) * x for x in dK_dW])


def test_reference_sigmoid_is_stable():
    assert sigmoid(-1000.0) == 0.0 and sigmoid(1000.0) == 1.0 and sigmoid(0.0) == 0.5
