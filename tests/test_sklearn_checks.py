"""scikit-learn's own estimator contract: every check, no expected failures."""

from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor

ESTIMATORS = [
    LogisticRegression(),
    LogisticRegression(solver="gd"),
    MLPClassifier(random_state=0),
    MLPRegressor(random_state=0),
    MLPClassifier(
        hidden_layer_sizes=(), solver="gd", batch_size=None, learning_rate_init=0.01, random_state=0
    ),
]


def check_name(check) -> str:
    return getattr(check, "func", check).__name__


@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_estimator_checks(estimator, check):
    if check_name(check).startswith("check_sample_weight_equivalence"):
        # Weight 2 must equal a repeated row, to 1e-7. That holds at the optimum, and along the
        # whole path of a full-batch solver, so the check asks for those (in float64):
        if isinstance(estimator, LogisticRegression):
            # gradient descent stops where the gradient is below tol: ask for the optimum;
            estimator = clone(estimator).set_params(tol=1e-10)
        elif estimator.batch_size is not None:
            # a repeated row changes the mini-batches of a stochastic solver; scikit-learn runs
            # this check on its own MLPs with solver="lbfgs" for the same reason.
            estimator = clone(estimator).set_params(solver="lbfgs", dtype="float64")
        else:
            estimator = clone(estimator).set_params(dtype="float64")
    check(estimator)
