"""Property-based tests: whatever the input, a correct fit or a clear ValueError, never a crash,
NaN parameters or a hang. CI runs a bounded number of examples, the same ones every time (the
"ci" profile of conftest.py); set HYPOTHESIS_PROFILE=long for a longer, random local run (see
README, "Long runs"), and CLI_FUZZ_EXAMPLES for the number of generated CSV files."""

import io
import os
import warnings
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor
from vectorlearn.core.backend import to_numpy
from vectorlearn.core.training import TrainingDiverged

MODELS = [
    lambda: LogisticRegression(max_iter=50),
    lambda: LogisticRegression(solver="gd", max_iter=50),
    lambda: MLPClassifier((4,), max_iter=5, random_state=0),
    lambda: MLPClassifier((3, 3), solver="lbfgs", max_iter=10, random_state=0),
]

dtypes = st.sampled_from(["float64", "float32", "float16", "int64", "bool", "object"])


@st.composite
def tables(draw):
    m = draw(st.integers(1, 30))
    n = draw(st.integers(1, 8))  # more features than examples too
    dtype = draw(dtypes)
    scale = draw(st.sampled_from([1e-30, 1e-8, 1.0, 1e8, 1e30]))
    values = (
        draw(hnp.arrays(np.float64, (m, n), elements=st.floats(-10, 10, allow_nan=False))) * scale
    )
    if draw(st.booleans()):  # constant columns
        values[:, draw(st.integers(0, n - 1))] = draw(st.floats(-5, 5))
    if draw(st.integers(0, 4)) == 0:  # a NaN or an infinity somewhere
        values[draw(st.integers(0, m - 1)), draw(st.integers(0, n - 1))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
    with np.errstate(all="ignore"):
        X = values.astype(dtype) if dtype != "object" else values.astype(object)
    if dtype == "object" and draw(st.booleans()):
        X[0, 0] = draw(st.sampled_from(["a", "1.5", None]))
    labels = draw(
        st.sampled_from(
            [[0, 1], ["cat", "dog", "fish"], [True, False], [-1.0, 2.0], ["x"], [3, "three"]]
        )
    )
    y = np.array(draw(st.lists(st.sampled_from(labels), min_size=m, max_size=m)), dtype=object)
    if all(isinstance(v, (bool, int, float)) and not isinstance(v, str) for v in labels):
        y = y.astype(type(labels[0]))
    return X, y


def finite_parameters(model):
    arrays = (
        model.coefs_ + model.intercepts_
        if hasattr(model, "coefs_")
        else [model.coef_, model.intercept_]
    )
    return all(np.all(np.isfinite(to_numpy(a))) for a in arrays)


@given(data=tables(), which=st.integers(0, len(MODELS) - 1))
def test_classifiers_fit_or_say_why(data, which):
    X, y = data
    model = MODELS[which]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(X, y)
        except TrainingDiverged as error:
            assert "learning rate" in str(error) or "penalty overflows" in str(error)
            assert finite_parameters(model)  # the last good weights, never NaN
            return
        except ValueError as error:
            assert str(error)  # a message, not a bare error
            return
    assert finite_parameters(model)
    proba = model.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1, atol=1e-3)
    assert set(model.predict(X)) <= set(model.classes_)


@given(
    X=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 25), st.integers(1, 6)),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
    targets=st.integers(1, 3),
)
def test_regressor_fit_or_say_why(X, targets):
    y = np.tile(np.arange(X.shape[0], dtype=float)[:, None], (1, targets))
    model = MLPRegressor((4,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(X, y[:, 0] if targets == 1 else y)
        except TrainingDiverged:
            assert finite_parameters(model)
            return
    assert finite_parameters(model) and np.all(np.isfinite(model.predict(X)))


cells = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.sampled_from(["", "NA", "nan", "yes", "no", '"quoted, comma"', '"broken', "é", "1e400"]),
)


@st.composite
def csv_texts(draw):
    n = draw(st.integers(1, 6))
    header = ["target"] + [f"c{j}" for j in range(n - 1)]
    rows = draw(st.lists(st.lists(cells, min_size=n, max_size=n + 2), min_size=0, max_size=25))
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows])  # wide rows too
    if draw(st.booleans()):
        text = "\ufeff" + text  # a byte-order mark
    return text


@settings(max_examples=int(os.environ.get("CLI_FUZZ_EXAMPLES", "25")))
@given(text=csv_texts())
def test_cli_on_generated_csv_files_exits_0_or_2(tmp_path_factory, text):
    from vectorlearn.cli import main

    folder = tmp_path_factory.mktemp("csv")
    path = folder / "data.csv"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(
            [
                "train",
                str(path),
                "--target",
                "target",
                "--quiet",
                "--epochs",
                "5",
                "--checkpoint-every",
                "0",
                "--out",
                str(folder / "run"),
            ]
        )
    assert code in (0, 2), err.getvalue()
    if code == 2:
        message = err.getvalue().strip()
        assert message.startswith("vectorlearn: error:") and "\n" not in message
        assert "Traceback" not in message


def test_extreme_logits_train_without_nan():
    """Logits of +-1e4 give finite costs and gradients, so training stays finite."""
    X = np.array([[1e4], [-1e4], [1e4], [-1e4]])
    y = np.array([1, 0, 1, 0])
    model = LogisticRegression(solver="gd", learning_rate=1.0, max_iter=5, C=np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    assert finite_parameters(model) and model.score(X, y) == 1.0
    assert all(np.isfinite(model.loss_curve_))


@pytest.mark.parametrize("bad", [np.array([[1.0, 2.0]], dtype=complex)])
def test_complex_input_is_a_clear_error(bad):
    with pytest.raises(ValueError):
        LogisticRegression().fit(bad, [0])


@given(
    K=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 6)),
        elements=st.floats(-1e4, 1e4, allow_nan=False),
    ),
    head=st.sampled_from(["sigmoid", "softmax", "identity"]),
    weighted=st.booleans(),
)
# Found by random runs: a saturated output (H = 1 in float64 from K = 37 on) makes |H - Y|
# exactly 1, and the core's (S * 1) / m came out one ulp above a bound rounded as (1 / m) * S.
@example(K=np.array([[0.0, 0, 0], [37, 0, 0], [0, 0, 0], [0, 0, 0]]), head="sigmoid", weighted=True)
@example(K=np.array([[0.0, 37, 0], [0, 0, 0], [0, 0, 0]]), head="softmax", weighted=True)
def test_core_costs_and_gradients_are_finite_for_any_logits(K, head, weighted):
    from vectorlearn.core.heads import HEADS, cost_and_dK

    rng = np.random.default_rng(0)
    Y = (rng.random(K.shape) > 0.5).astype(float)
    if head == "softmax":
        Y = np.eye(K.shape[0])[:, rng.integers(0, K.shape[0], K.shape[1])]
    S = rng.random((1, K.shape[1])) + 0.1 if weighted else np.ones((1, K.shape[1]))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        J, dK = cost_and_dK(HEADS[head], K, Y, S if weighted else None, np)
    assert np.isfinite(J) and np.all(np.isfinite(dK))
    if head != "identity":
        # 0 <= H <= 1 (as computed too: sigmoid and softmax divide by a number at least as
        # large) and Y is 0 or 1, so |H - Y| <= 1 and |dK| = S |H - Y| / m <= S / m in each
        # column. The core rounds twice (S * (H - Y), then / m) and the bound below twice (S / m,
        # then the factor), each rounding off by at most half an ulp, a relative eps / 2: the
        # factor 1 + 4 eps covers all four. (Every entry of L is >= 0 as computed: J >= 0.)
        bound = S / K.shape[1] * (1 + 4 * np.finfo(K.dtype).eps)  # (1, m)
        assert J >= 0 and np.all(np.abs(dK) <= bound)
