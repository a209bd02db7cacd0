"""The deeper it goes, the more features it can extract: test accuracy against depth.

Trains networks with 0 to 4 hidden layers (0 is logistic regression) on two interleaved moons
and saves one PNG: test accuracy against depth, and each network's decision boundary.

    pip install ".[plot]"
    python examples/depth.py --output depth.png
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from vectorlearn import MLPClassifier


def train_depths(max_depth=4, width=16, epochs=300, seed=0):
    X, y = make_moons(1000, noise=0.2, random_state=seed)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    models, scores = [], []
    for depth in range(max_depth + 1):
        model = MLPClassifier(
            (width,) * depth, max_iter=epochs, learning_rate_init=0.01, random_state=seed
        )
        model.fit(X_train, y_train)  # in the default 300 epochs, each depth converges
        models.append(model)
        scores.append(model.score(X_test, y_test))
    return models, scores, (X_test, y_test)


def plot(models, scores, test, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X_test, y_test = test
    fig, axes = plt.subplots(1, len(models) + 1, figsize=(3.2 * (len(models) + 1), 3.2))
    axes[0].plot(range(len(models)), scores, "o-")
    axes[0].set(xlabel="hidden layers", ylabel="test accuracy", title="accuracy vs depth")
    axes[0].set_xticks(range(len(models)))
    grid = np.linspace(-2.5, 2.5, 200)
    xx, yy = np.meshgrid(grid, grid)
    points = np.column_stack([xx.ravel(), yy.ravel()])  # (200 * 200, 2)
    for depth, (model, ax) in enumerate(zip(models, axes[1:])):
        proba = model.predict_proba(points)[:, 1].reshape(xx.shape)
        ax.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.6)
        ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, s=6, cmap="RdBu_r", edgecolors="none")
        ax.set(title=f"depth {depth}: {scores[depth]:.3f}", xticks=[], yticks=[])
    fig.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".png", delete=False) as tmp:
        fig.savefig(tmp.name, dpi=90)  # written whole, then renamed into place
    os.replace(tmp.name, path)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", default="depth.png", help="PNG file to write (default: %(default)s)"
    )
    parser.add_argument(
        "--epochs", type=int, default=300, help="most epochs per network (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    models, scores, test = train_depths(epochs=args.epochs)
    for depth, score in enumerate(scores):
        print(f"depth {depth}: test accuracy {score:.3f}")
    plot(models, scores, test, args.output)
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
