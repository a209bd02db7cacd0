"""scikit-learn's names and behaviours on vectorlearn's MLPs (issue #12): each test here failed
before they were added. Where scikit-learn has the same piece (its SGD optimizer, its Poisson
GLM), the test compares with it; elsewhere it checks the promise scikit-learn's docs make."""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

from vectorlearn import MLPClassifier, MLPRegressor
from vectorlearn.core.network import Network
from vectorlearn.core.schedules import make_sgd_schedule
from vectorlearn.gradcheck import check_network

X_iris, y_iris = load_iris(return_X_y=True)
X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits = X_digits[:100] / 16.0
y_digits = y_digits[:100]


def quietly(model, X, y, **fit_options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_options)


# ---- 1. solver="sgd" and its schedules, exactly as scikit-learn's ------------------------------
@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_steps_equal_scikit_learns_optimizer(nesterov):
    """solver="sgd" steps as scikit-learn's SGD with (Nesterov's) momentum (momentum=0: see
    test_sgd_without_momentum_is_the_lectures_gradient_descent)."""
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    theirs = SGDOptimizer([p.copy() for p in params], 0.1, "constant", 0.8, nesterov)
    model = MLPClassifier(solver="sgd", learning_rate_init=0.1, momentum=0.8)
    ours = model.set_params(nesterovs_momentum=nesterov)._make_optimizer()
    mine = [p.copy() for p in params]
    for _ in range(4):
        grads = [rng.normal(size=p.shape) for p in params]
        theirs.update_params(params, grads)  # in place
        mine = ours.step(mine, grads)
    for a, b in zip(mine, params):
        np.testing.assert_allclose(a, b, rtol=1e-14)


def test_invscaling_and_adaptive_rates_equal_scikit_learns():
    theirs = SGDOptimizer([np.zeros(1)], 0.01, "invscaling", power_t=0.3)
    ours = make_sgd_schedule("invscaling", 0.01, power_t=0.3)
    for t in (30, 60, 90):
        theirs.iteration_ends(t)
        assert ours.epoch_end(30) == theirs.learning_rate and ours.t == t
    theirs = SGDOptimizer([np.zeros(1)], 0.001, "adaptive")
    ours = make_sgd_schedule("adaptive", 0.001)
    while not theirs.trigger_stopping("", False):
        assert ours.on_plateau() and ours.current == theirs.learning_rate
    assert not ours.on_plateau() and ours.current <= 1e-6


def test_sgd_learns_and_counts_the_examples_it_saw():
    options = dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.1, max_iter=30)
    model = quietly(MLPClassifier((8,), random_state=0, **options), X_iris, y_iris)
    assert model.t_ == model.n_iter_ * 150
    assert model._optimizer.learning_rate == 0.1 / (model.t_ + 1) ** 0.5
    warm = MLPClassifier((8,), solver="sgd", max_iter=1, warm_start=True, random_state=0)
    quietly(warm, X_iris, y_iris)
    quietly(warm, X_iris, y_iris)
    assert warm.t_ == 300 and warm.n_iter_ == 1


def test_sgd_without_momentum_is_the_lectures_gradient_descent():
    options = dict(hidden_layer_sizes=(5,), learning_rate_init=0.05, max_iter=5, random_state=0)
    sgd = quietly(MLPClassifier(solver="sgd", momentum=0.0, **options), X_iris, y_iris)
    gd = quietly(MLPClassifier(solver="gd", **options), X_iris, y_iris)
    for a, b in zip(sgd.coefs_, gd.coefs_):
        np.testing.assert_array_equal(a, b)


def test_adaptive_divides_the_rate_by_5_until_it_is_below_1e_6():
    model = MLPClassifier(tol=0.5, max_iter=3000, solver="sgd", learning_rate="adaptive")
    model.fit([[3, 2], [1, 6]], [1, 0])
    assert model.n_iter_ < 3000 and model._optimizer.learning_rate < 1e-6


# ---- 2. stopping, max_fun and the fitted attributes ----------------------------------------------
def test_training_stops_after_more_than_n_iter_no_change_epochs_without_improvement():
    model = MLPClassifier(solver="sgd", tol=0.01, n_iter_no_change=5, max_iter=3000)
    model.fit(X_digits, y_digits)
    assert model._no_improvement_count == 6 and model.n_iter_ < 3000


def test_n_iter_no_change_inf_never_stops_early():
    model = MLPRegressor((4,), n_iter_no_change=np.inf, tol=1e9, max_iter=30, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 30 and model._no_improvement_count == 29


def test_max_fun_bounds_lbfgs_and_warns():
    model = MLPClassifier((20,), solver="lbfgs", max_fun=10, max_iter=150, random_state=1)
    with pytest.warns(ConvergenceWarning, match="max_fun=10"):
        model.fit(X_digits, y_digits)
    assert model.n_iter_ <= 10


def test_best_loss_and_best_validation_score():
    plain = quietly(MLPClassifier((4,), max_iter=20, random_state=0), X_iris, y_iris)
    assert plain.best_loss_ == min(plain.loss_curve_)
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None
    model = MLPClassifier((4,), max_iter=20, early_stopping=True, random_state=0)
    early = quietly(model, X_iris, y_iris)
    assert early.best_loss_ is None and isinstance(early.validation_scores_, list)
    assert early.best_validation_score_ == max(early.validation_scores_)


def test_early_stopping_on_a_flat_validation_score_is_not_flaky():
    """A constant target: R^2 is flat, so training stops after n_iter_no_change + 2 epochs at
    most, with no warning, whatever the seed (it used to run on to max_iter now and then)."""
    X = np.random.default_rng(0).normal(size=(10, 2))
    for seed in range(20):
        model = MLPRegressor(early_stopping=True, validation_fraction=0.2, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.fit(X, np.ones(10))
        assert model.n_iter_ <= 12


def test_verbose_prints_scikit_learns_iteration_line(capsys):
    model = MLPClassifier((2,), solver="sgd", max_iter=2, verbose=10)
    quietly(model, [[3, 2], [1, 6]], [1, 0])
    model.partial_fit([[3, 2], [1, 6]], [1, 0])
    out = capsys.readouterr().out
    assert re.search(r"^Iteration 1, loss = \d+\.\d{8}$", out, re.MULTILINE)
    assert out.count("Iteration") == 3


# ---- 3. scikit-learn's errors ----------------------------------------------------------------
def test_warm_start_refuses_other_classes_and_keeps_the_model():
    model = MLPClassifier((2,), solver="lbfgs", warm_start=True, random_state=0, tol=1e-2)
    model.fit(X_iris, y_iris)
    before = [w.copy() for w in model.coefs_]
    relabeled = np.where(y_iris == 2, 3, y_iris)  # same shapes, another class
    message = "warm_start can only be used where `y` has the same classes as in the previous call"
    with pytest.raises(ValueError, match=re.escape(message + " to fit. Previously got [0 1 2]")):
        model.fit(X_iris, relabeled)
    assert model.classes_.tolist() == [0, 1, 2]
    for a, b in zip(before, model.coefs_):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_refuses_changed_classes_lbfgs_and_early_stopping():
    model = MLPClassifier(solver="sgd").partial_fit([[3, 2]], [0], classes=[0, 1])
    model.partial_fit([[3, 2]], [0], classes=[1, 0])  # the same classes, in any order
    with pytest.raises(ValueError, match="not the same as on the first call"):
        model.partial_fit([[3, 2]], [0], classes=[1, 2])
    with pytest.raises(ValueError, match="not in classes"):
        MLPClassifier(solver="sgd").partial_fit([[3, 2], [1, 6]], [1, 0], classes=[2])
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    fitted = quietly(MLPRegressor((4,), early_stopping=True, max_iter=5), X_iris, y_iris)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        fitted.partial_fit(X_iris, y_iris)


def test_a_validation_set_of_one_example_is_refused():
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPRegressor(early_stopping=True, random_state=0).fit(X, y)


def test_the_split_is_stratified_on_the_binarized_target():
    with pytest.raises(ValueError, match=r"Classes with too few members are: \['True'\]"):
        MLPClassifier(early_stopping=True).fit([[1, 2], [2, 3], [3, 4], [4, 5]], [0, 0, 0, 1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_too_large_carry_scikit_learns_sentence(dtype):
    X = np.finfo(np.float64).max * np.random.default_rng(0).uniform(size=(10, 2))
    sentence = "Solver produced non-finite parameter weights. The input data may contain large"
    with pytest.raises(ValueError, match=sentence) as error:
        MLPRegressor(dtype=dtype).fit(X, np.arange(10.0))
    assert "standardize" in str(error.value)  # and vectorlearn's own advice


# ---- 4. MLPRegressor(loss="poisson") -------------------------------------------------------------
def test_the_poisson_head_passes_a_float64_gradient_check():
    rng = np.random.default_rng(0)
    network = Network((3, 4, 2), activation="tanh", head="exp")
    W, B = network.init_params(rng, np, np.float64)
    X = rng.normal(size=(3, 7))
    Y = rng.poisson(2.0, size=(2, 7)).astype(np.float64)  # counts, zeros among them
    errors = check_network(network, W, B, X, Y, S=rng.uniform(0.5, 2, size=(1, 7)), l2=0.1)
    assert max(errors.values()) < 1e-7, errors


def test_poisson_mlp_without_hidden_nonlinearity_equals_the_poisson_glm():
    rng = np.random.default_rng(42)
    X = np.linspace(0, 1, 100)
    y = rng.poisson(np.exp(X + 1))
    X = X.reshape(-1, 1)
    glm = PoissonRegressor(alpha=0, tol=1e-7).fit(X, y)
    options = dict(activation="identity", alpha=0, solver="lbfgs", tol=1e-7, dtype="float64")
    mlp = MLPRegressor((1,), loss="poisson", random_state=1, **options).fit(X, y)
    assert mlp.out_activation_ == "exp"
    np.testing.assert_allclose(mlp.predict(X), glm.predict(X), rtol=1e-4)
    with pytest.raises(ValueError, match="y >= 0"):
        MLPRegressor(loss="poisson").fit(X, -y)


# ---- 5. one class -----------------------------------------------------------------------------
def test_one_class_is_fitted_and_predicted_as_scikit_learn_does(tmp_path):
    import vectorlearn

    model = quietly(MLPClassifier((3,), max_iter=5, random_state=0), X_iris, np.full(150, "a"))
    assert model.classes_.tolist() == ["a"] and set(model.predict(X_iris)) == {"a"}
    path = tmp_path / "one.vl"
    vectorlearn.save(model, path)
    assert set(vectorlearn.load(path).predict(X_iris[:5])) == {"a"}


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_sgd_schedules_resume_from_a_checkpoint_bitwise(schedule, tmp_path):
    options = dict(solver="sgd", learning_rate=schedule, learning_rate_init=0.05, batch_size=32,
                   tol=0.05, n_iter_no_change=2, random_state=0, dtype="float64")  # fmt: skip
    full = quietly(MLPClassifier((6,), max_iter=12, **options), X_iris, y_iris)
    path = tmp_path / "run.npz"
    quietly(MLPClassifier((6,), max_iter=5, **options), X_iris, y_iris, checkpoint=path)
    resumed = quietly(MLPClassifier((6,), max_iter=12, **options), X_iris, y_iris, resume=path)
    assert resumed.n_iter_ == full.n_iter_ and resumed.t_ == full.t_
    assert resumed._optimizer.learning_rate == full._optimizer.learning_rate
    for a, b in zip(full.coefs_ + full.intercepts_, resumed.coefs_ + resumed.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("schedule", ["invscaling", "adaptive"])
def test_a_checkpoint_of_the_plateau_epoch_resumes_its_decision(schedule, tmp_path):
    # the epoch whose end decides (invscaling: stop; adaptive: divide the rate by 5) is
    # checkpointed after the decision; a resume took another epoch, or kept the old rate
    options = dict(solver="sgd", learning_rate=schedule, learning_rate_init=0.05, batch_size=32,
                   tol=0.05, n_iter_no_change=2, random_state=0, dtype="float64")  # fmt: skip
    rates = []
    full = quietly(
        MLPClassifier((6,), max_iter=40, **options),
        X_iris,
        y_iris,
        callbacks=[lambda info: rates.append(info["learning_rate"])],  # each epoch's rate
    )
    if schedule == "invscaling":
        decided = full.n_iter_  # the plateau stopped training at the end of this epoch
        assert decided < 40
    else:
        decided = next(e for e in range(1, len(rates)) if rates[e] < rates[e - 1] / 4)
    path = tmp_path / "run.npz"
    quietly(MLPClassifier((6,), max_iter=decided, **options), X_iris, y_iris, checkpoint=path)
    resumed = quietly(MLPClassifier((6,), max_iter=40, **options), X_iris, y_iris, resume=path)
    assert resumed.n_iter_ == full.n_iter_ and resumed.t_ == full.t_
    for a, b in zip(full.coefs_ + full.intercepts_, resumed.coefs_ + resumed.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_a_run_stopped_on_a_plateau_resumes_with_more_patience(tmp_path):
    # the checkpoint of the stopping epoch keeps the stop for the same settings only
    options = dict(solver="sgd", learning_rate="invscaling", learning_rate_init=0.05,
                   batch_size=32, tol=0.05, random_state=0, dtype="float64")  # fmt: skip
    path = tmp_path / "run.npz"
    stopped = quietly(
        MLPClassifier((6,), max_iter=40, n_iter_no_change=2, **options),
        X_iris,
        y_iris,
        checkpoint=path,
    )
    assert stopped.n_iter_ < 40
    patient = MLPClassifier((6,), max_iter=stopped.n_iter_ + 3, n_iter_no_change=50, **options)
    resumed = quietly(patient, X_iris, y_iris, resume=path)
    assert resumed.n_iter_ == stopped.n_iter_ + 3


def test_both_mlps_take_every_shared_parameter_with_the_same_default_and_store_it_as_given():
    # each MLP spells out its own signature (scikit-learn reads it) and its body only stores
    # the arguments: the shared ones must not drift apart between the two classes
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    from vectorlearn.estimators._mlp_base import BaseMLP

    shared = set(BaseMLP._parameter_constraints)
    classifier, regressor = MLPClassifier().get_params(), MLPRegressor().get_params()
    assert shared <= set(classifier) and shared <= set(regressor)
    assert {k: classifier[k] for k in shared} == {k: regressor[k] for k in shared}
    assert set(classifier) - shared == {"class_weight"}
    assert set(regressor) - shared == {"loss", "standardize_target"}
    sklearn_defaults = SkMLPClassifier().get_params()  # the names both libraries share
    for name in shared & set(sklearn_defaults):
        assert classifier[name] == sklearn_defaults[name], name
    values = {"alpha": 0.5, "hidden_layer_sizes": [3, 2], "class_weight": {0: 2.0}}
    model = MLPClassifier(**values)
    assert all(getattr(model, k) is v for k, v in values.items())  # the same objects
