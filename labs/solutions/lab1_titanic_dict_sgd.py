"""Lab 1: who survived the Titanic? Logistic regression with weights in a Python dict.

The learner of the lecture's first program: every passenger is a ``dict`` of features, the
weights are a ``dict`` too, and stochastic gradient descent visits one passenger at a time::

    for epoch in range(num_epochs):
        for features, y in examples:
            for name, value in features.items():
                ...

Fill in each function where it says ``# your code here`` (remove the ``raise``), in order, and
check your work after each one::

    vectorlearn check-lab lab1 lab1_titanic_dict_sgd.py

The checker runs your functions on small inputs and names the first one that is wrong. When all
pass, ``python lab1_titanic_dict_sgd.py`` trains on 1047 passengers and scores the other 262.
"""

from __future__ import annotations

import csv
import math

from vectorlearn.labs import titanic_csv


def featurize(passenger: dict[str, str]) -> dict[str, float]:
    """Turn one row of the Titanic CSV (every value a string) into a dict of features.

    ``passenger`` has the keys ``pclass`` ("1st", "2nd" or "3rd"), ``survived``, ``sex``
    ("female" or "male"), ``age`` (years, or "" when unknown), ``sibsp`` (siblings and spouses
    aboard) and ``parch`` (parents and children aboard). Return these features:

    - ``"bias"``: 1.0 for every passenger (its weight is the lecture's ``b``);
    - ``"class_" + pclass``: 1.0, e.g. ``"class_3rd"`` for a third-class passenger;
    - ``"female"``: 1.0 for women and girls;
    - ``"age"``: the age divided by 100 when it is known, else ``"age_unknown"``: 1.0;
    - ``"sibsp"`` and ``"parch"``: each count divided by 10.

    (The divisions put every feature between 0 and 1, so one learning rate suits them all.)
    A feature whose value is 0 may be left out: a missing key counts as 0.

    For example, a man in third class of unknown age travelling with his wife:
    ``{"pclass": "3rd", "survived": "died", "sex": "male", "age": "", "sibsp": "1", "parch":
    "0"}`` gives ``{"bias": 1.0, "class_3rd": 1.0, "age_unknown": 1.0, "sibsp": 0.1}``.
    """
    features = {"bias": 1.0, "class_" + passenger["pclass"]: 1.0}
    if passenger["sex"] == "female":
        features["female"] = 1.0
    if passenger["age"] == "":
        features["age_unknown"] = 1.0
    else:
        features["age"] = float(passenger["age"]) / 100
    for name in ("sibsp", "parch"):
        if passenger[name] != "0":
            features[name] = float(passenger[name]) / 10
    return features


def load_examples(path) -> list[tuple[dict[str, float], int]]:
    """Read the CSV at ``path``: a list of ``(featurize(row), y)``, one per row, in file order.

    ``y`` is 1 when the row's ``survived`` is "survived", else 0. Use ``csv.DictReader``.
    """
    with open(path, newline="") as file:
        return [
            (featurize(row), int(row["survived"] == "survived")) for row in csv.DictReader(file)
        ]


def dot(weights: dict[str, float], features: dict[str, float]) -> float:
    """``k = W^T x``: the sum of ``weights[name] * value`` over the features.

    A feature that has no weight yet counts with weight 0 (use ``weights.get(name, 0.0)``).
    """
    k = 0.0
    for name, value in features.items():
        k += weights.get(name, 0.0) * value
    return k


def sigmoid(k: float) -> float:
    """``h = 1 / (1 + e^-k)``, the probability of surviving for a score ``k``."""
    return 1 / (1 + math.exp(-k))


def predict(weights: dict[str, float], features: dict[str, float]) -> float:
    """``h = sigmoid(W^T x)``: the predicted probability that this passenger survived."""
    return sigmoid(dot(weights, features))


def sgd_step(weights: dict[str, float], features: dict[str, float], y: int, alpha: float) -> None:
    """One step of stochastic gradient descent on one passenger, changing ``weights`` in place.

    The loss of one example is ``L = -y log(h) - (1 - y) log(1 - h)`` with ``h = predict(...)``,
    and the chain rule gives ``dL/dw_i = (h - y) x_i``. So for every feature ``i`` of this
    passenger: ``w_i = w_i - alpha * (h - y) * x_i`` (a weight not in ``weights`` yet starts
    at 0). Compute ``h`` once, before changing any weight. Return nothing.
    """
    h = predict(weights, features)
    for name, value in features.items():
        weights[name] = weights.get(name, 0.0) - alpha * (h - y) * value


def train(examples, num_epochs: int, alpha: float) -> dict[str, float]:
    """Start from no weights (``{}``) and take one ``sgd_step`` per example, in the order given,
    for ``num_epochs`` passes over ``examples`` (a list of ``(features, y)``). Return the
    weights."""
    weights: dict[str, float] = {}
    for _epoch in range(num_epochs):
        for features, y in examples:
            sgd_step(weights, features, y, alpha)
    return weights


def accuracy(weights: dict[str, float], examples) -> float:
    """The fraction of ``examples`` whose prediction is right: survived when ``h >= 0.5``."""
    right = 0
    for features, y in examples:
        right += int((predict(weights, features) >= 0.5) == (y == 1))
    return right / len(examples)


def main():
    examples = load_examples(titanic_csv())
    validation = examples[::5]  # every fifth passenger (the file is sorted by class and name)
    training = [e for i, e in enumerate(examples) if i % 5 != 0]
    weights = train(training, num_epochs=20, alpha=0.1)
    print(f"trained on {len(training)} passengers, checked on {len(validation)}")
    print(f"training accuracy   {accuracy(weights, training):.3f}")
    print(f"validation accuracy {accuracy(weights, validation):.3f}")
    for name, w in sorted(weights.items(), key=lambda item: -abs(item[1])):
        print(f"  {name:12s} {w:+.3f}")


if __name__ == "__main__":
    main()
