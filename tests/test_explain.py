"""`vectorlearn explain`: one forward and one backward step, and checks that can fail."""

import argparse
import contextlib
import io
import re
import subprocess
import sys

import numpy as np
import pytest

from vectorlearn import explain as explain_module
from vectorlearn.explain import add_explain_parser, explain, explain_step, run_explain


def test_logreg_shows_each_equation_with_its_shape():
    text = explain("logreg", m=4, n_features=3)
    for equation, shape in [
        ("K = W^T X + B", "K (1, 4)"),
        ("H = 1 / (1 + e^-K)", "H (1, 4)"),
        ("L = -Y log H - (1 - Y) log(1 - H)", "L (1, 4)"),
        ("dJ/dH = (1/m) (-Y / H + (1 - Y) / (1 - H))", "dJ/dH (1, 4)"),
        ("dH/dK = H (1 - H)", "dH/dK (1, 4)"),
        ("dJ/dK = dJ/dH * dH/dK", "dJ/dK (1, 4)"),
        ("fused: dK = (H - Y) / m", "dK (1, 4)"),
        ("dK/dW = X", "dK/dW (3, 4)"),
        ("dW = X dK^T", "dW (3, 1)"),
        ("dB = dK summed over the m columns", "dB (1, 1)"),
    ]:
        line = next((ln for ln in text.splitlines() if equation in ln), None)
        assert line is not None, f"{equation!r} is missing"
        assert line.rstrip().endswith(shape), line
    assert re.search(r"J = \(1/m\) sum L = \d\.\d{6}", text)
    assert re.search(r"check: dJ/dH \* dH/dK equals \(H - Y\) / m: relative error \S+ ok", text)
    assert re.search(r"check: dW, dB equal central differences of J: relative error \S+ ok", text)
    assert text.rstrip().endswith("all checks passed")


def test_values_shown_are_the_matrices_own():
    """The first row of H printed equals the sigmoid of the first row of K printed."""
    lines = explain("logreg", m=3, n_features=2).splitlines()

    def row_after(label):
        i = next(i for i, ln in enumerate(lines) if ln.rstrip().endswith(" " + label))
        return np.array(lines[i + 1].strip(" []").split(), dtype=float)

    K, H, fused = row_after("K (1, 3)"), row_after("H (1, 3)"), row_after("dK (1, 3)")
    chained = row_after("dJ/dK (1, 3)")
    np.testing.assert_allclose(H, 1 / (1 + np.exp(-K)), atol=2e-4)
    np.testing.assert_allclose(chained, fused, atol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "identity"])
@pytest.mark.parametrize("seed", range(5))
def test_mlp_checks_pass_for_every_activation(activation, seed):
    result = explain_step("mlp", hidden=(4, 3), activation=activation, seed=seed, m=5)
    assert result.ok, result.text
    assert set(result.errors) == {"chain", "core", "finite differences"}
    assert result.errors["finite differences"] < 1e-7 and result.errors["core"] < 1e-10


def test_mlp_walks_back_through_every_layer():
    text = explain("mlp", hidden=(3, 2), m=4, n_features=3)
    for line in [
        "K_1 = W_1^T A_0 + B_1",
        "A_2 = tanh(K_2)",
        "H = 1 / (1 + e^-K_3)",
        "dW_3 = A_2 dK_3^T",
        "dA_2 = W_3 dK_3",
        "dK_1 = dA_1 * tanh'(K_1)",
        "dW_1 = X dK_1^T",
        "check: layer by layer equals the core's backward",
    ]:
        assert line in text, line
    assert "total parameters: 23" in text  # the network's summary: 12 + 8 + 3


def test_a_wrong_fused_gradient_fails_the_chain_check(monkeypatch):
    """The check is real: a core whose dK had its sign flipped would be caught."""
    real = explain_module.cost_and_dK

    def flipped(head, K, Y, S, xp):
        J, dK = real(head, K, Y, S, xp)
        return J, -dK

    monkeypatch.setattr(explain_module, "cost_and_dK", flipped)
    result = explain_step("logreg")
    assert not result.ok
    assert "FAILED" in result.text and result.text.rstrip().endswith("all checks FAILED")
    assert result.errors["chain"] > 0.5


def test_a_wrong_backward_fails_the_finite_difference_check(monkeypatch):
    real = explain_module.dense_backward

    def halved(dK, A_prev, W, xp, need_dA_prev=True):
        dA_prev, dW, dB = real(dK, A_prev, W, xp, need_dA_prev)
        return dA_prev, dW / 2, dB

    monkeypatch.setattr(explain_module, "dense_backward", halved)
    result = explain_step("mlp")
    assert not result.ok
    assert result.errors["finite differences"] > 1e-3 and result.errors["core"] > 1e-3


def test_values_limits_the_corner_shown():
    text = explain("logreg", m=10, n_features=6, values=2)
    i = next(i for i, ln in enumerate(text.splitlines()) if ln.rstrip().endswith("X (6, 10)"))
    shown = text.splitlines()[i + 1 : i + 4]
    assert shown[0].rstrip().endswith("... ]") and len(shown[0].split()) == 5  # [ a b ... ]
    assert shown[2].strip() == "... 4 more rows"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown kind 'cnn'"):
        explain("cnn")
    with pytest.raises(ValueError, match="at least 1"):
        explain("logreg", m=0)
    with pytest.raises(ValueError, match="unknown activation"):
        explain("mlp", activation="swish")


def _parser():
    parser = argparse.ArgumentParser()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true")
    add_explain_parser(parser.add_subparsers(dest="command"), common)
    return parser


def test_explain_parser_and_runner():
    args = _parser().parse_args(["explain", "mlp", "--hidden", "4,3", "--activation", "relu"])
    text, ok = run_explain(args)
    assert ok and "W_3" in text and "relu'(K_2)" in text
    text, ok = run_explain(_parser().parse_args(["explain"]))
    assert ok and text.startswith("Logistic regression")
    for bad in (["explain", "--hidden", "0"], ["explain", "--examples", "x"], ["explain", "svm"]):
        with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
            _parser().parse_args(bad)


def _wired():
    from vectorlearn.cli import build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["explain"])
    except SystemExit:
        return False
    return True


@pytest.mark.skipif(not _wired(), reason="`vectorlearn explain` is not wired into the CLI yet")
def test_explain_command():
    result = subprocess.run(
        [sys.executable, "-m", "vectorlearn", "explain", "mlp", "--hidden", "3"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "dK_1 = dA_1 * tanh'(K_1)" in result.stdout and "all checks passed" in result.stdout
