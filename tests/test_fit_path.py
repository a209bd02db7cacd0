"""The one fit path (issue #12): options a solver cannot honour are refused by name, validation
data never sets fitted state, the core guards its shapes, the checkpoint path is checked before
training, Ctrl-C stops L-BFGS too, and the package's imports form no circle."""

import ast
import inspect
import signal
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification, make_regression

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor
from vectorlearn.core import Hooks, InMemory, Network, TrainConfig, train, train_lbfgs
from vectorlearn.core.optimizers import GradientDescent
from vectorlearn.estimators import _fitting
from vectorlearn.estimators._base import TrainingInterrupted

SRC = Path(__file__).resolve().parents[1] / "src" / "vectorlearn"


def _quiet_fit(model, X, y, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, **options)


# ---- (a) an option the solver cannot honour is refused by name ----------------------------------
@pytest.mark.parametrize(
    "option",
    [{"dropout": 0.5}, {"batch_size": 32}, {"learning_rate": "adaptive"}, {"early_stopping": True}],
    ids=lambda o: next(iter(o)),
)
def test_lbfgs_refuses_what_it_cannot_honour_by_name(option):
    """Today's code trained MLPClassifier(solver="lbfgs", dropout=0.5) to exactly the weights
    of dropout=0, silently."""
    X, y = make_classification(60, 4, random_state=0)
    (name,) = option
    with pytest.raises(ValueError, match=f"cannot honour {name}="):
        MLPClassifier((4,), solver="lbfgs", max_iter=5, **option).fit(X, y)


def test_lbfgs_keeps_the_defaults_it_ignores_harmlessly():
    X, y = make_classification(60, 4, random_state=0)
    _quiet_fit(MLPClassifier((4,), solver="lbfgs", max_iter=5, batch_size=None), X, y)
    _quiet_fit(MLPRegressor((4,), solver="lbfgs", max_iter=5), X, y.astype(float))


def test_logistic_regression_lbfgs_refuses_a_learning_rate():
    X, y = make_classification(60, 4, random_state=0)
    with pytest.raises(ValueError, match="learning_rate=0.1"):
        LogisticRegression(solver="lbfgs", learning_rate=0.1).fit(X, y)


def test_core_lbfgs_refuses_dropout_and_mini_batches_by_name():
    net = Network((3, 1))
    W, B = net.init_params(None, np, np.float64)
    X, Y = np.ones((3, 4)), np.ones((1, 4))
    for config, name in [
        (TrainConfig(dropout=0.5), "dropout"),
        (TrainConfig(batch_size=2), "batch_size"),
    ]:
        with pytest.raises(ValueError, match=f"cannot honour {name}"):
            train_lbfgs(net, W, B, X, Y, config=config)


# ---- (b) validation data never sets fitted state ------------------------------------------------
def test_validation_targets_of_another_shape_do_not_change_the_predictions_shape():
    """Today's code encoded y_val (50, 1) through the helper that sets ``_y_ndim``, so predict
    answered (m, 1) for a model trained on a 1-D y."""
    X, y = make_regression(150, 4, noise=1.0, random_state=0)
    y = y / y.std()
    X_val, y_val = X[:50], y[:50, np.newaxis]  # (50, 1)
    model = _quiet_fit(MLPRegressor((8,), max_iter=5, random_state=0), X, y,
                       validation_data=(X_val, y_val))  # fmt: skip
    assert model.predict(X[:7]).shape == (7,)
    assert len(model.validation_loss_curve_) == model.n_iter_


def test_validation_labels_do_not_change_the_classes():
    X, y = load_iris(return_X_y=True)
    keep = y < 2  # the validation data hold two of the three classes
    model = _quiet_fit(MLPClassifier((8,), max_iter=5, random_state=0), X, y,
                       validation_data=(X[keep], y[keep]))  # fmt: skip
    assert model.classes_.tolist() == [0, 1, 2] and model.predict_proba(X).shape == (150, 3)


# ---- (c) the core guards its shapes -------------------------------------------------------------
def _logistic_problem():
    net = Network((3, 1), head="sigmoid")
    W, B = net.init_params(None, np, np.float64)  # W (3, 1), B (1, 1)
    X, Y = np.ones((3, 5)), np.ones((1, 5))
    return net, W, B, X, Y


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda W, B, X, Y, S: (W, B, X, Y.T, S), r"Y must be \(n_L, m\) = \(1, 5\), got \(5, 1\)"),
        (lambda W, B, X, Y, S: ([W[0].T], B, X, Y, S), r"W_1 must be \(n_0, n_1\) = \(3, 1\)"),
        (lambda W, B, X, Y, S: (W, [B[0][0]], X, Y, S), r"B_1 must be \(n_1, 1\) = \(1, 1\)"),
        (lambda W, B, X, Y, S: (W, B, X.T, Y, S), r"X must be \(n_0, m\) = \(3, m\), got \(5, 3\)"),
        (lambda W, B, X, Y, S: (W, B, X, Y, S.T), r"S must be \(1, m\) = \(1, 5\), got \(5, 1\)"),
    ],
    ids=["Y", "W", "B", "X", "S"],
)
def test_cost_and_gradients_refuses_a_wrong_shape_by_name(change, message):
    """Today's code trained on Y (m, 1) without a word, broadcasting W (3, 1) to (3, 5)."""
    net, W, B, X, Y = _logistic_problem()
    W, B, X, Y, S = change(W, B, X, Y, np.ones((1, 5)))
    with pytest.raises(ValueError, match=message):
        net.cost_and_gradients(W, B, X, Y, S)


def test_train_refuses_a_wrong_shape_before_the_first_step():
    net, W, B, X, Y = _logistic_problem()
    with pytest.raises(ValueError, match=r"Y must be \(n_L, m\) = \(1, 5\), got \(5, 1\)"):
        train(net, W, B, X, Y.T, optimizer=GradientDescent(0.1))
    with pytest.raises(ValueError, match=r"W_1 must be"):
        train(net, [W[0].T], B, X, Y, optimizer=GradientDescent(0.1))
    with pytest.raises(ValueError, match=r"S must be"):
        train(net, W, B, InMemory(X, Y, np.ones((5, 1))), optimizer=GradientDescent(0.1))


# ---- #11: the checkpoint path is checked before training ----------------------------------------
def test_an_unwritable_checkpoint_path_fails_before_the_first_epoch(tmp_path):
    X, y = make_classification(60, 4, random_state=0)
    epochs = []
    path = tmp_path / "missing" / "dir" / "c.npz"
    with pytest.raises(ValueError, match=f"cannot write {path}"):
        MLPClassifier((4,), max_iter=3).fit(
            X, y, checkpoint=path, callbacks=[lambda info: epochs.append(info["epoch"])]
        )
    assert epochs == []


# ---- #11: Ctrl-C stops L-BFGS after the current iteration ---------------------------------------
@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
@pytest.mark.parametrize(
    "make",
    [
        lambda: LogisticRegression(max_iter=50),
        lambda: MLPClassifier((8,), solver="lbfgs", random_state=0),
    ],
    ids=["LogisticRegression", "MLPClassifier"],
)
def test_ctrl_c_stops_lbfgs_after_the_iteration_and_keeps_its_weights(make):
    X, y = make_classification(200, 6, random_state=0)

    def press_ctrl_c_at_iteration_2(info):
        if info["epoch"] == 2:
            signal.raise_signal(signal.SIGINT)

    model = make()
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the run was started in the background
    with pytest.raises(TrainingInterrupted, match="L-BFGS stopped by Ctrl-C after iteration 2"):
        model.fit(X, y, callbacks=[press_ctrl_c_at_iteration_2])
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    two = _quiet_fit(make().set_params(max_iter=2), X, y)  # the same two iterations, uncut
    np.testing.assert_allclose(model.predict_proba(X), two.predict_proba(X), rtol=1e-6)
    assert signal.getsignal(signal.SIGINT) is before  # put back


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_ctrl_c_stops_an_epoch_solver_after_the_current_mini_batch():
    X, y = make_classification(200, 6, random_state=0)

    def press_ctrl_c_after_epoch_2(info):
        if info["epoch"] == 2:
            signal.raise_signal(signal.SIGINT)

    model = MLPClassifier((8,), batch_size=50, max_iter=20, random_state=0)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(TrainingInterrupted, match="during epoch 3"):
        model.fit(X, y, callbacks=[press_ctrl_c_after_epoch_2])
    assert model.n_iter_ == 2 and model.predict(X).shape == (200,)
    assert signal.getsignal(signal.SIGINT) is before


# ---- one fit path -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fit",
    [
        lambda X, y: MLPClassifier((4,), max_iter=2).fit(X, y, validation_data=(X, y)),
        lambda X, y: MLPClassifier((4,)).partial_fit(X, y, classes=[0, 1]),
        lambda X, y: LogisticRegression().fit(X, y),
        lambda X, y: MLPRegressor((4,), max_iter=2).fit(X, y.astype(float)),
    ],
    ids=["fit", "partial_fit", "LogisticRegression.fit", "MLPRegressor.fit"],
)
def test_every_fit_prepares_the_data_once_through_fit_network(fit, monkeypatch):
    X, y = make_classification(60, 4, random_state=0)
    calls = []
    prepare = _fitting.prepare
    monkeypatch.setattr(_fitting, "prepare", lambda *a, **k: calls.append(1) or prepare(*a, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(X, y)
    assert calls == [1]


def test_the_training_loop_takes_a_config_and_at_most_8_parameters():
    for function in (train, train_lbfgs):
        assert len(inspect.signature(function).parameters) <= 8
    assert "is_remote" not in (SRC / "core" / "training.py").read_text()  # data adapters instead


def test_train_with_a_config_and_hooks_takes_the_lecture_s_steps():
    net, W, B, X, Y = _logistic_problem()
    X = np.random.default_rng(0).normal(size=X.shape)
    seen = []
    config = TrainConfig(max_epochs=3, n_iter_no_change=None)
    hooks = Hooks(callbacks=[lambda info: seen.append(info["epoch"])])
    W1, B1, history = train(net, W, B, X, Y, optimizer=GradientDescent(0.5), config=config,
                            hooks=hooks)  # fmt: skip
    for _ in range(3):  # the four-line loop, by hand
        J, dW, dB = net.cost_and_gradients(W, B, X, Y)
        W, B = [W[0] - 0.5 * dW[0]], [B[0] - 0.5 * dB[0]]
    assert seen == [1, 2, 3] and history.n_epochs == 3
    np.testing.assert_array_equal(W1[0], W[0])
    np.testing.assert_array_equal(B1[0], B[0])


def test_the_loop_trains_on_any_data_adapter_it_does_not_know():
    """Remote data (Dask) reach the loop as an adapter with ``shape``, ``check`` and ``epoch``:
    one the core has never heard of trains exactly as the in-memory default."""

    class Logged:
        def __init__(self, X, Y):
            self.inner, self.shape, self.epochs = InMemory(X, Y), X.shape, 0

        def check(self, network):
            self.inner.check(network)

        def epoch(self, *args):
            self.epochs += 1
            return self.inner.epoch(*args)

    net, W, B, X, Y = _logistic_problem()
    X = np.random.default_rng(1).normal(size=X.shape)
    config = TrainConfig(max_epochs=4, batch_size=2, n_iter_no_change=None)
    data = Logged(X, Y)
    W1, _, _ = train(net, W, B, data, optimizer=GradientDescent(0.5), config=config)
    W2, _, _ = train(net, W, B, X, Y, optimizer=GradientDescent(0.5), config=config)
    assert data.epochs == 4
    np.testing.assert_array_equal(W1[0], W2[0])


# ---- no import circle ---------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of vectorlearn and the vectorlearn modules it imports, at module level or
    inside functions (``import a.b`` and ``from a import b``, relative or absolute). Importing
    ``a.b`` counts as an edge to ``a.b`` (the module run), not to every package above it."""
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in files}
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                module = (
                    node.module if node.level == 0 else ".".join(filter(None, [base, node.module]))
                )
                for alias in node.names:
                    target = f"{module}.{alias.name}"
                    edges.add(target if target in files else module)
        graph[name] = {e for e in edges if e in files and e != name}
    return graph


def test_the_package_imports_form_no_circle():
    graph = import_graph()
    assert "vectorlearn.distributed" in graph["vectorlearn.estimators._data"]  # seen in functions
    state, stack = {}, []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circle = [*stack[stack.index(target) :], target]
                pytest.fail("import circle: " + " -> ".join(circle))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("path", sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")))
def test_every_module_stays_under_400_lines(path):
    assert len((SRC / path).read_text().splitlines()) <= 400


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_ctrl_c_handling_works_and_puts_back_sig_ign_in_a_background_process():
    """A job started with ``&`` by a non-interactive shell (or under nohup) starts with SIGINT
    ignored: fit still stops on a raised SIGINT, and leaves it ignored afterwards."""
    X, y = make_classification(200, 6, random_state=0)

    def press_ctrl_c_at_iteration_2(info):
        if info["epoch"] == 2:
            signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with pytest.raises(TrainingInterrupted):
            LogisticRegression(max_iter=50).fit(X, y, callbacks=[press_ctrl_c_at_iteration_2])
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
