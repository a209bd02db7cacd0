"""Checks for lab 1: logistic regression with weights in a dict, per-example SGD.

Each check takes the student's module, calls one function on small inputs, and returns a short
note of what passed or raises :class:`Mismatch`. The expected values come from hand-worked
examples (written out below) and from :mod:`vectorlearn.reference`, the for-loop learners that
the test suite proves equal to the vectorized core.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile

from ..reference import sigmoid, train_dict_sgd
from ._checking import Mismatch

# Rows of the Titanic CSV (every value a string) and the features the lab asks for.
ROWS = [
    (
        {"pclass": "1st", "survived": "survived", "sex": "female", "age": "29"},
        {"sibsp": "0", "parch": "0"},
        {"bias": 1.0, "class_1st": 1.0, "female": 1.0, "age": 0.29},
        1,
    ),
    (
        {"pclass": "3rd", "survived": "died", "sex": "male", "age": ""},
        {"sibsp": "1", "parch": "2"},
        {"bias": 1.0, "class_3rd": 1.0, "age_unknown": 1.0, "sibsp": 0.1, "parch": 0.2},
        0,
    ),
    (
        {"pclass": "2nd", "survived": "survived", "sex": "male", "age": "0.9167"},
        {"sibsp": "0", "parch": "1"},
        {"bias": 1.0, "class_2nd": 1.0, "age": 0.009167, "parch": 0.1},
        1,
    ),
]

WEIGHTS = {"bias": 0.5, "female": 2.0, "age": -1.0, "class_1st": 0.25}
FEATURES = {"bias": 1.0, "female": 1.0, "age": 0.3, "sibsp": 0.1}
K = 0.5 + 2.0 - 0.3  # W^T x: "sibsp" has no weight yet, "class_1st" is not a feature


def _row(i):
    row = dict(ROWS[i][0])
    row.update(ROWS[i][1])
    return row


def _expect_features(what, expected, got):
    if not isinstance(got, dict):
        raise Mismatch(f"{what} should be a dict of features, got {type(got).__name__}")
    nonzero = {k: v for k, v in got.items() if v != 0}
    missing = sorted(set(expected) - set(nonzero))
    extra = sorted(set(nonzero) - set(expected))
    if missing or extra:
        lines = [f"{what} has the wrong features"]
        if missing:
            lines.append(f"missing: {', '.join(missing)}")
        if extra:
            lines.append(f"not expected: {', '.join(f'{k}={nonzero[k]!r}' for k in extra)}")
        lines += [f"expected {expected}", f"got      {got}"]
        raise Mismatch("\n".join(lines))
    for key, value in expected.items():
        v = nonzero[key]
        if isinstance(v, (str, bool)) or not isinstance(v, (int, float)):
            raise Mismatch(f"{what}[{key!r}] should be a number, got {type(v).__name__} {v!r}")
        if abs(v - value) > 1e-12:
            raise Mismatch(f"{what}[{key!r}] is wrong: expected {value!r}, got {v!r}")


def check_featurize(lab):
    for i in range(len(ROWS)):
        _expect_features(f"featurize({_row(i)})", ROWS[i][2], lab.featurize(_row(i)))
    return f"{len(ROWS)} passengers: class, sex, known and unknown age, relatives"


def check_load_examples(lab):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "passengers.csv")
        with open(path, "w", newline="") as file:
            writer = csv.DictWriter(file, ["pclass", "survived", "sex", "age", "sibsp", "parch"])
            writer.writeheader()
            writer.writerows(_row(i) for i in range(len(ROWS)))
        examples = lab.load_examples(path)
    if not isinstance(examples, list) or len(examples) != len(ROWS):
        size = len(examples) if hasattr(examples, "__len__") else "?"
        raise Mismatch(
            f"load_examples of a file with {len(ROWS)} rows should return a list of "
            f"{len(ROWS)} (features, y) pairs, got {type(examples).__name__} of length {size}"
        )
    for i, example in enumerate(examples):
        if not (isinstance(example, tuple) and len(example) == 2):
            raise Mismatch(f"example {i} should be a pair (features, y), got {example!r}")
        features, y = example
        _expect_features(f"the features of row {i + 1}", ROWS[i][2], features)
        if y != ROWS[i][3] or isinstance(y, str):
            raise Mismatch(
                f"the label of row {i + 1} (survived={_row(i)['survived']!r}) should be "
                f"{ROWS[i][3]}, got {y!r}"
            )
    return "a 3-row CSV: features and labels 1, 0, 1"


def check_dot(lab):
    weights = dict(WEIGHTS)
    got = lab.dot(weights, dict(FEATURES))
    _expect_close(f"dot({WEIGHTS}, {FEATURES})", K, got)
    if {k: v for k, v in weights.items() if v} != WEIGHTS:
        raise Mismatch("dot changed the weights it was given: it should only read them")
    return f"a feature without a weight counts as 0 (k = {K:g})"


def check_sigmoid(lab):
    for k in (-30.0, -2.0, 0.0, 0.5, 3.0, 30.0):
        _expect_close(f"sigmoid({k})", sigmoid(k), lab.sigmoid(k), tol=1e-12)
    return "k from -30 to 30"


def check_predict(lab):
    got = lab.predict(dict(WEIGHTS), dict(FEATURES))
    _expect_close(f"predict({WEIGHTS}, {FEATURES})", sigmoid(K), got)
    return f"h = sigmoid(W^T x) = {sigmoid(K):.6f}"


def check_sgd_step(lab):
    for y in (1, 0):
        before = {"bias": 0.1, "female": -0.2, "class_1st": 3.0}
        features = {"bias": 1.0, "female": 1.0, "age": 0.3}
        alpha = 0.5
        weights = dict(before)
        returned = lab.sgd_step(weights, features, y, alpha)
        if weights == before:
            extra = " (it returned a new dict instead)" if isinstance(returned, dict) else ""
            raise Mismatch(f"the weights did not change: sgd_step must update them in place{extra}")
        call = f"sgd_step({before}, {features}, y={y}, alpha={alpha})"
        if weights.get("class_1st") != 3.0:
            raise Mismatch(f"{call} changed the weight of 'class_1st', which is not a feature")
        numerical = _numerical_loss_gradient(before, features, y)
        h = sigmoid(0.1 - 0.2)  # the prediction before the step
        for name in features:
            step = weights.get(name, 0.0) - before.get(name, 0.0)  # -alpha * dL/dw
            expected = -alpha * numerical[name]
            if abs(step - expected) > 1e-6:
                flipped = step * expected < 0
                raise Mismatch(
                    f"{call}: the weight of {name!r} moved by {step:+.6f}, expected "
                    f"{expected:+.6f} = -alpha * dL/dw, where finite differences give "
                    f"dL/dw = {numerical[name]:+.6f} (= (h - y) x with h = {h:.6f})"
                    + ("\nthe sign is flipped: w = w - alpha * (h - y) * x" if flipped else "")
                )
    return "both labels; the step is -alpha dL/dw, checked against finite differences"


def check_train(lab):
    examples = _training_examples()
    num_epochs, alpha = 3, 0.3
    got = lab.train([(dict(f), y) for f, y in examples], num_epochs, alpha)
    if not isinstance(got, dict):
        raise Mismatch(f"train should return the weights, a dict, got {type(got).__name__}")
    # The reference keeps the bias apart: the same learner with "bias" taken out of the dicts.
    weights, bias = train_dict_sgd(
        [{k: v for k, v in f.items() if k != "bias"} for f, _ in examples],
        [y for _, y in examples],
        num_epochs=num_epochs,
        alpha=alpha,
    )
    weights["bias"] = bias
    for name, value in weights.items():
        if abs(got.get(name, 0.0) - value) > 1e-9:
            raise Mismatch(
                f"train({len(examples)} examples, num_epochs={num_epochs}, alpha={alpha}): "
                f"the weight of {name!r} should be {value:.9f}, got {got.get(name, 0.0)!r}\n"
                f"expected {_rounded(weights)}\ngot      {_rounded(got)}\n"
                "start from {} and take one sgd_step per example, in order, every epoch"
            )
    return f"{len(examples)} examples x {num_epochs} epochs equal the reference to 1e-9"


def check_accuracy(lab):
    weights = {"bias": -0.5, "female": 2.0}
    examples = [
        ({"bias": 1.0, "female": 1.0}, 1),  # h = sigmoid(1.5): right
        ({"bias": 1.0}, 0),  # h = sigmoid(-0.5): right
        ({"bias": 1.0}, 1),  # wrong
        ({"bias": 1.0, "female": 0.25}, 1),  # h = sigmoid(0) = 0.5 counts as survived: right
    ]
    _expect_close(f"accuracy({weights}, {examples})", 0.75, lab.accuracy(weights, examples))
    return "3 of 4 right, h = 0.5 counted as survived"


CHECKS = [
    ("featurize", check_featurize),
    ("load_examples", check_load_examples),
    ("dot", check_dot),
    ("sigmoid", check_sigmoid),
    ("predict", check_predict),
    ("sgd_step", check_sgd_step),
    ("train", check_train),
    ("accuracy", check_accuracy),
]


def _expect_close(what, expected, got, tol=1e-9):
    if isinstance(got, (str, bool)) or not isinstance(got, (int, float)):
        try:
            got = float(got)  # a NumPy scalar is fine
        except (TypeError, ValueError):
            raise Mismatch(f"{what} should be a number, got {type(got).__name__}") from None
    if not abs(got - expected) <= tol * max(1.0, abs(expected)):
        raise Mismatch(f"{what} is wrong: expected {expected!r}, got {got!r}")


def _loss(weights, features, y):
    """``L = -y log(h) - (1 - y) log(1 - h)`` of one example."""
    h = sigmoid(sum(weights.get(k, 0.0) * v for k, v in features.items()))
    return -y * math.log(h) - (1 - y) * math.log(1 - h)


def _numerical_loss_gradient(weights, features, y, eps=1e-6):
    """Central differences of the loss, one per feature."""
    gradient = {}
    for name in features:
        plus, minus = dict(weights), dict(weights)
        plus[name] = weights.get(name, 0.0) + eps
        minus[name] = weights.get(name, 0.0) - eps
        gradient[name] = (_loss(plus, features, y) - _loss(minus, features, y)) / (2 * eps)
    return gradient


def _training_examples():
    """Ten passengers' worth of features, some sparse, and their labels."""
    examples = []
    for i in range(10):
        features = {"bias": 1.0, "age": (17 + 7 * i) / 100}
        if i % 3 == 0:
            features["female"] = 1.0
        if i % 4 == 1:
            features["sibsp"] = 0.1 * (i % 3 + 1)
        examples.append((features, int(i % 3 == 0 or i == 7)))
    return examples


def _rounded(weights):
    return {k: round(v, 6) for k, v in sorted(weights.items())}
