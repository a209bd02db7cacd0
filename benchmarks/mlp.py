"""MLP epochs: vectorlearn against scikit-learn's MLPClassifier and an eager PyTorch loop."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.preprocessing import StandardScaler

from vectorlearn import MLPClassifier

from ._timing import interleaved, target

TITLE = "MLP: seconds per epoch, hidden (64, 64) ReLU, Adam"


def _data(m, n, seed=0):
    X, y = make_classification(m, n, n_informative=n // 2, random_state=seed)
    X = StandardScaler().fit_transform(X).astype(np.float32)  # (m, n) float32
    return X, y


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def torch_epochs(X, y, batch_size, epochs, seed=0):
    """An equivalent eager PyTorch loop (no DataLoader): returns the trained model's accuracy."""
    import torch

    torch.manual_seed(seed)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32))[:, None]
    model = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 1),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=0.0)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    m = X.shape[0]
    for _ in range(epochs):
        order = torch.randperm(m)
        for start in range(0, m, batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        return float(((model(Xt) > 0).float() == yt).float().mean())


def run(quick: bool = False) -> dict:
    m, n = (10_000, 50) if quick else (100_000, 50)
    epochs, repeats = (1, 1) if quick else (2, 5)
    batch_sizes = [256, None] if quick else [64, 256, 2048, None]
    X, y = _data(m, n)
    try:
        import torch

        torch.set_num_threads(2)
        have_torch = True
    except ImportError:
        have_torch = False

    rows, checks, accuracy, ratios = [], {}, {}, {}
    common = {"max_iter": epochs, "random_state": 0, "tol": 0.0, "n_iter_no_change": 10**6}
    for batch in batch_sizes:
        label = "full" if batch is None else str(batch)
        sk_batch = m if batch is None else batch
        contenders = {
            "vectorlearn float32": lambda b=batch: accuracy.__setitem__(
                "vectorlearn",
                _fit_quietly(MLPClassifier((64, 64), batch_size=b, **common), X, y).score(X, y),
            ),
            "scikit-learn float64": lambda b=sk_batch: accuracy.__setitem__(
                "sklearn64",
                _fit_quietly(
                    SkMLPClassifier((64, 64), batch_size=b, **common), X.astype(np.float64), y
                ).score(X, y),
            ),
            "scikit-learn float32": lambda b=sk_batch: accuracy.__setitem__(
                "sklearn32",
                _fit_quietly(SkMLPClassifier((64, 64), batch_size=b, **common), X, y).score(X, y),
            ),
        }
        if have_torch:
            contenders["PyTorch eager"] = lambda b=sk_batch: accuracy.__setitem__(
                "torch", torch_epochs(X, y, b, epochs)
            )
        medians = interleaved(contenders, repeats)
        base = medians["vectorlearn float32"]
        ratios[label] = {name: base / seconds for name, seconds in medians.items()}
        for name, seconds in medians.items():
            rows.append((label, name, f"{seconds / epochs:.3f}", f"{seconds / base:.2f}x"))
        checks[label] = dict(accuracy)
    notes = [
        "Accuracy after the timed epochs (training set), per batch size: "
        + "; ".join(
            f"{b}: " + ", ".join(f"{k} {v:.3f}" for k, v in a.items()) for b, a in checks.items()
        )
    ]
    if not have_torch:
        notes.append(
            "PyTorch is not installed here (`pip install torch==2.13.0`), so it has no row."
        )
    return {
        "title": TITLE,
        "setup": (
            f"{m:,} x {n} binary classification, {epochs} epoch(s) per fit, fit time / epochs, "
            f"median of {repeats} interleaved runs; ratio = time / vectorlearn's"
        ),
        "header": ("batch", "learner", "s per epoch", "vs vectorlearn"),
        "rows": rows,
        "notes": notes,
        "checks": checks,
        "targets": [
            target(
                f"MLP epoch vs eager PyTorch (2 threads), batch {b}",
                ratios.get(b, {}).get("PyTorch eager"),
                "<=",
                bound,
            )
            for b, bound in (("64", 0.35), ("256", 0.6))
        ]
        + [
            target(
                f"MLP epoch, batch 256, vs scikit-learn MLPClassifier {kind}",
                ratios.get("256", {}).get(f"scikit-learn {kind}"),
                "<=",
                bound,
            )
            for kind, bound in (("float64", 0.4), ("float32", 0.55))
        ],
    }
