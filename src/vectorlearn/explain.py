"""One forward and one backward step, printed equation by equation, with shapes and values.

``explain("logreg")`` or ``explain("mlp")`` builds a tiny data set (examples are columns), runs
one step of gradient descent through :mod:`vectorlearn.core`, and returns the story as text:
each equation of the lecture, the shape of each matrix and a few of its values, and three
checks that hold for every correct implementation:

- the chained factors ``dJ/dH * dH/dK`` (element by element, for all m examples at once) equal
  the fused gradient ``(H - Y) / m`` that the core uses;
- for a network, backpropagating layer by layer here equals the core's ``backward``;
- ``dW`` and ``dB`` equal central differences of ``J`` (:mod:`vectorlearn.gradcheck`).

>>> text = explain("logreg", m=3, n_features=2)
>>> print(text.splitlines()[0])
Logistic regression: one step of gradient descent, every example at once (columns)
>>> "dJ/dK = dJ/dH * dH/dK" in text and text.count(" ok") == 2
True
"""

from __future__ import annotations

import argparse
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from .cli._arguments import COMMANDS, layer_sizes, positive_int
from .core import (
    ACTIVATIONS,
    HEADS,
    Network,
    cost_and_dK,
    dense_backward,
    dense_forward,
    namespace,
)
from .gradcheck import numerical_gradients, relative_error

CHAIN_TOLERANCE = 1e-10  # chained factors against the fused gradient: equal up to rounding
GRADIENT_TOLERANCE = 1e-7  # against central differences (see vectorlearn.gradcheck)
KINDS = ("logreg", "mlp")


class Explanation(NamedTuple):
    text: str
    errors: dict[str, float]  # each check's relative error
    ok: bool  # every check within its tolerance


def explain(kind: str = "logreg", **options) -> str:
    """The text of :func:`explain_step` (same arguments)."""
    return explain_step(kind, **options).text


def explain_step(
    kind: str = "logreg",
    *,
    m: int = 4,
    n_features: int = 3,
    hidden: tuple[int, ...] = (3,),
    activation: str = "tanh",
    learning_rate: float = 0.5,
    seed: int = 0,
    values: int = 4,
) -> Explanation:
    """Explain one step of logistic regression (``kind="logreg"``) or of a network with
    ``hidden`` layers (``kind="mlp"``) on ``m`` random examples of ``n_features`` features.

    ``values`` is how many rows and columns of each matrix are shown. Returns the text, the
    relative error of each check, and whether all passed.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    if min(m, n_features, values) < 1 or (kind == "mlp" and (not hidden or min(hidden) < 1)):
        raise ValueError("m, n_features, values and every hidden size must be at least 1")
    sizes = (n_features, 1) if kind == "logreg" else (n_features, *hidden, 1)
    network = Network(sizes, activation=activation, head="sigmoid")
    X, Y, W, B = _problem(network, m, seed)
    story = _Story(values)
    title = "Logistic regression" if kind == "logreg" else "A neural network"
    story.line(f"{title}: one step of gradient descent, every example at once (columns)")
    story.line(f"m = {m} examples, n = {n_features} features, float64, seed {seed}")
    if kind == "mlp":
        story.blank()
        for row in network.summary(m=m).splitlines():
            story.line("  " + row)
    story.section("Data")
    story.matrix("X", "X: one example per column", X)
    story.matrix("Y", "Y: the labels", Y)
    for l in range(network.n_layers):
        name = "" if kind == "logreg" else f"_{l + 1}"
        story.matrix(f"W{name}", f"W{name}: weights, (n_{l}, n_{l + 1})", W[l])
        story.matrix(f"B{name}", f"B{name}: intercepts, a column", B[l])
    cache = _forward(story, network, W, B, X, Y, kind)
    errors = _backward(story, network, W, B, X, Y, cache, kind)
    _update(story, network, W, B, X, Y, learning_rate)
    ok = all(errors[k] <= _tolerance(k) for k in errors)
    story.blank()
    story.line(f"all checks {'passed' if ok else 'FAILED'}")
    return Explanation(story.text(), errors, ok)


def _problem(network: Network, m: int, seed: int):
    """Random ``X`` (n_0, m) rounded to 2 decimals, labels ``Y`` (1, m) with both classes, and
    random ``W``, ``B`` (not rounded: a ReLU unit's ``K`` is then never exactly at its kink)."""
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(network.sizes[0], m)), 2)  # (n_0, m)
    Y = (rng.random((1, m)) < 0.5).astype(float)  # (1, m)
    Y[0, : min(m, 2)] = [1.0, 0.0][: min(m, 2)]  # both labels, when m allows
    W = [rng.normal(0.0, 0.7, size=(a, b)) for a, b in pairwise(network.sizes)]  # (n_{l-1}, n_l)
    B = [rng.normal(0.0, 0.2, size=(b, 1)) for b in network.sizes[1:]]  # (n_l, 1)
    return X, Y, W, B


def _forward(story, network, W, B, X, Y, kind):
    story.section("Forward")
    xp = namespace(X)  # NumPy, through the array API the core speaks
    g = ACTIVATIONS[network.activation].forward
    A, As, Ks = X, [X], []
    for l in range(network.n_layers):
        K = dense_forward(A, W[l], B[l], xp)  # (n_l, m)
        Ks.append(K)
        last = l == network.n_layers - 1
        if kind == "logreg":
            story.matrix("K", f"K = W^T X + B   {_product_shapes(W[l], A, B[l])}", K)
        else:
            s, p = l + 1, l
            story.matrix(f"K_{s}", f"K_{s} = W_{s}^T A_{p} + B_{s}", K)
        if not last:
            A = g(K, xp)  # (n_l, m)
            story.matrix(f"A_{l + 1}", f"A_{l + 1} = {network.activation}(K_{l + 1})", A)
            As.append(A)
    head = HEADS["sigmoid"]
    H, L = head.output_and_loss(K, Y, xp)  # (1, m), (1, m)
    k = "K" if kind == "logreg" else f"K_{network.n_layers}"
    story.matrix("H", f"H = 1 / (1 + e^-{k})", H)
    story.matrix("L", "L = -Y log H - (1 - Y) log(1 - H)", L)
    J = float(np.sum(L)) / X.shape[1]
    story.value(f"J = (1/m) sum L = {J:.6f}")
    return As, Ks, H


def _backward(story, network, W, B, X, Y, cache, kind):
    As, Ks, H = cache
    m, L, xp = X.shape[1], network.n_layers, namespace(X)
    story.section("Backward: the chain rule, each factor a whole matrix for all m examples")
    dJ_dH = (-Y / H + (1 - Y) / (1 - H)) / m  # (1, m)
    dH_dK = H * (1 - H)  # (1, m): sigmoid's slope, one per example
    chained = dJ_dH * dH_dK  # (1, m)
    _, fused = cost_and_dK(HEADS["sigmoid"], Ks[-1], Y, None, xp)  # (H - Y) / m, (1, m)
    story.matrix("dJ/dH", "dJ/dH = (1/m) (-Y / H + (1 - Y) / (1 - H))", dJ_dH)
    story.matrix("dH/dK", "dH/dK = H (1 - H)", dH_dK)
    story.matrix("dJ/dK", "dJ/dK = dJ/dH * dH/dK   (element by element)", chained)
    story.matrix("dK", "fused: dK = (H - Y) / m   (what the core computes)", fused)
    errors = {"chain": relative_error(fused, chained)}
    story.check("dJ/dH * dH/dK equals (H - Y) / m", errors["chain"], CHAIN_TOLERANCE)
    dK, dW, dB = fused, [None] * L, [None] * L
    g_backward = ACTIVATIONS[network.activation].backward
    for l in reversed(range(L)):
        s = "" if kind == "logreg" else f"_{l + 1}"
        prev = "X" if l == 0 else f"A_{l}"
        if kind == "logreg":
            story.matrix("dK/dW", "dK/dW = X   (column j: dK_j/dW = x_j)", X)
        dA_prev, dW[l], dB[l] = dense_backward(dK, As[l], W[l], xp, need_dA_prev=l > 0)
        story.matrix(f"dW{s}", f"dW{s} = {prev} dK{s}^T   {_shapes(As[l], dK.T)}", dW[l])
        story.matrix(f"dB{s}", f"dB{s} = dK{s} summed over the m columns", dB[l])
        if l > 0:
            story.matrix(f"dA_{l}", f"dA_{l} = W_{l + 1} dK_{l + 1}", dA_prev)
            dK = g_backward(dA_prev, Ks[l - 1], As[l], xp)  # (n_l, m)
            story.matrix(f"dK_{l}", f"dK_{l} = dA_{l} * {network.activation}'(K_{l})", dK)
    if kind == "mlp":
        _, core_dW, core_dB = network.cost_and_gradients(W, B, X, Y)
        errors["core"] = max(relative_error(a, b) for a, b in zip(core_dW + core_dB, dW + dB))
        story.check("layer by layer equals the core's backward", errors["core"], CHAIN_TOLERANCE)
    errors["finite differences"] = _finite_difference_error(network, W, B, X, Y, dW + dB)
    story.check(
        "dW, dB equal central differences of J",
        errors["finite differences"],
        GRADIENT_TOLERANCE,
    )
    return errors


def _finite_difference_error(network, W, B, X, Y, gradients) -> float:
    """Relative error of ``gradients`` (every dW, then every dB) against central differences
    of ``J``, over all the entries together (a layer whose gradient is tiny, as under a
    saturated sigmoid, would otherwise weigh its rounding noise as much as a real error)."""
    L = network.n_layers

    def J(params):
        return (float(network.cost_and_gradients(params[:L], params[L:], X, Y)[0]),)

    numerical = numerical_gradients(J, W + B)
    return relative_error(_flat(numerical), _flat(gradients))


def _flat(arrays) -> np.ndarray:
    return np.concatenate([np.ravel(a) for a in arrays])


def _update(story, network, W, B, X, Y, alpha):
    story.section(f"Update (alpha = {alpha:g})")
    J, dW, dB = network.cost_and_gradients(W, B, X, Y)
    new_W = [W_l - alpha * dW_l for W_l, dW_l in zip(W, dW)]
    new_B = [B_l - alpha * dB_l for B_l, dB_l in zip(B, dB)]
    s = "" if network.n_layers == 1 else "_1"
    story.matrix(f"W{s}", f"W{s} = W{s} - alpha dW{s}", new_W[0])
    J_after, _, _ = network.cost_and_gradients(new_W, new_B, X, Y)
    direction = "lower" if float(J_after) < float(J) else "not lower: try a smaller alpha"
    story.value(f"J: {float(J):.6f} -> {float(J_after):.6f} ({direction})")


# ---- the command line: `vectorlearn explain` -----------------------------------------------------
def add_explain_parser(commands, common) -> argparse.ArgumentParser:
    """Add the ``explain`` subcommand to ``commands`` (argparse subparsers)."""
    parser = commands.add_parser(
        "explain",
        parents=[common],
        help=COMMANDS["explain"],
        description=(
            "Print one step of gradient descent on a tiny random data set (examples are "
            "columns): each equation, each matrix's shape and a few of its values, and the "
            "checks that the chained factors dJ/dH * dH/dK equal the fused (H - Y) / m and "
            "that dW, dB equal central differences. Exits with 1 if a check fails."
        ),
    )
    parser.add_argument("kind", nargs="?", choices=KINDS, default="logreg", help="%(choices)s")
    parser.add_argument(
        "--examples", type=positive_int, default=4, metavar="M", help="m, the examples"
    )
    parser.add_argument(
        "--features", type=positive_int, default=3, metavar="N", help="n_0, the features"
    )
    parser.add_argument(
        "--hidden", type=layer_sizes, default=(3,), metavar="N,N,...", help="mlp hidden sizes"
    )
    parser.add_argument(
        "--activation", choices=sorted(ACTIVATIONS), default="tanh", help="mlp hidden activation"
    )
    parser.add_argument(
        "--learning-rate", type=float, default=0.5, metavar="ALPHA", help="alpha, the step size"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--values", type=positive_int, default=4, metavar="N", help="rows and columns shown"
    )
    return parser


def run_explain(args) -> tuple[str, bool]:
    """Run ``vectorlearn explain`` for parsed ``args``; return the text and whether it passed."""
    result = explain_step(
        args.kind,
        m=args.examples,
        n_features=args.features,
        hidden=args.hidden,
        activation=args.activation,
        learning_rate=args.learning_rate,
        seed=args.seed,
        values=args.values,
    )
    return result.text, result.ok


class _Story:
    """Lines of text: equations, matrices (a corner of them) and checks."""

    def __init__(self, values: int):
        self.values, self.lines = values, []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def blank(self) -> None:
        self.lines.append("")

    def section(self, title: str) -> None:
        self.lines += ["", title]

    def value(self, text: str) -> None:
        self.lines.append("  " + text)

    def matrix(self, name: str, equation: str, M) -> None:
        M = np.asarray(M)
        shape = f"{name} {M.shape}"
        self.lines.append(f"  {equation.ljust(52)} {shape}")
        rows, cols = min(M.shape[0], self.values), min(M.shape[1], self.values)
        for i in range(rows):
            cells = " ".join(f"{v:8.4f}" for v in M[i, :cols])
            more = " ..." if M.shape[1] > cols else ""
            self.lines.append(f"      [{cells}{more} ]")
        if M.shape[0] > rows:
            self.lines.append(f"      ... {M.shape[0] - rows} more rows")

    def check(self, claim: str, error: float, tolerance: float) -> None:
        verdict = "ok" if error <= tolerance else f"FAILED (bound {tolerance:.0e})"
        self.lines.append(f"  check: {claim}: relative error {error:.1e} {verdict}")

    def text(self) -> str:
        return "\n".join(self.lines)


def _tolerance(check: str) -> float:
    return GRADIENT_TOLERANCE if check == "finite differences" else CHAIN_TOLERANCE


def _shapes(*arrays) -> str:
    return " ".join(str(a.shape) for a in arrays)


def _product_shapes(W, A, B) -> str:
    return f"{W.shape}^T {A.shape} + {B.shape}"
