"""What a run reports: metrics, the results table, the learning curve and decision boundary."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ._files import atomic_write


def metrics(model, X, y, task: str) -> dict:
    """Accuracy, log-loss, ROC-AUC and the confusion matrix, or R^2, RMSE and MAE."""
    if task == "regression":
        prediction = model.predict(X)
        return {
            "r2": float(skm.r2_score(y, prediction)),
            "rmse": float(np.sqrt(skm.mean_squared_error(y, prediction))),
            "mae": float(skm.mean_absolute_error(y, prediction)),
        }
    classes = model.classes_
    proba = model.predict_proba(X)  # (m, n_classes)
    prediction = classes[np.argmax(proba, axis=1)]
    result = {
        "accuracy": float(skm.accuracy_score(y, prediction)),
        "log_loss": float(skm.log_loss(y, proba, labels=classes)),
        "roc_auc": None,
        "confusion_matrix": skm.confusion_matrix(y, prediction, labels=classes).tolist(),
        "labels": [_plain(c) for c in classes],
    }
    if len(np.unique(y)) == len(classes):  # ROC-AUC needs every class present
        if len(classes) == 2:
            result["roc_auc"] = float(skm.roc_auc_score(y == classes[1], proba[:, 1]))
        else:
            result["roc_auc"] = float(
                skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
            )
    return result


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def metrics_table(by_split: dict) -> str:
    """Rows: metrics; columns: splits (``{"train": {...}, "validation": {...}}`` or one dict)."""
    if "accuracy" in by_split or "r2" in by_split:
        by_split = {"data": by_split}
    splits = list(by_split)
    first = by_split[splits[0]]
    names = [k for k in ("accuracy", "log_loss", "roc_auc", "r2", "rmse", "mae") if k in first]
    lines = [f"{'':12}" + "".join(f"{s:>12}" for s in splits)]
    for name in names:
        cells = [by_split[s][name] for s in splits]
        lines.append(
            f"{name.replace('_', '-'):12}"
            + "".join(f"{'n/a':>12}" if v is None else f"{v:>12.4f}" for v in cells)
        )
    if "confusion_matrix" in first:
        split = splits[-1]
        labels = [str(label) for label in first["labels"]]
        width = max(8, *(len(label) + 2 for label in labels))
        lines += ["", f"confusion matrix ({split}; rows: true, columns: predicted)"]
        lines.append(" " * width + "".join(f"{label:>{width}}" for label in labels))
        for label, row in zip(labels, by_split[split]["confusion_matrix"]):
            lines.append(f"{label:>{width}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)


def results_table(result: dict) -> str:
    head = (
        f"{result['model']} on {result['dataset']} ({result['task']} of {result['target']!r}; "
        f"{result['n_iter']} epochs; {result['n_train']} train, {result['n_validation']} "
        f"validation rows)"
    )
    refit = result.get("refit")
    if refit:
        saved = (
            f"saved: the model refitted on all {refit['n_rows']} rows for "
            f"{refit['epochs_chosen']} epochs (the figures above are the held-out fit's)"
        )
    else:
        saved = "saved: the model fitted on the training split (--no-refit)"
    tail = f"\n{saved}\nrun folder: {result['run_folder']}"
    return head + "\n" + metrics_table({k: result[k] for k in ("train", "validation")}) + tail


def save_pictures(model, pipeline, roles, task, X_val, y_val, folder) -> list[str] | None:
    """Write learning_curve.png (and decision_boundary.png for two numeric features).

    Returns the paths written, or None when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    written = []
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(model.loss_curve_) + 1)
    ax.plot(epochs, model.loss_curve_, label="training cost (with penalty)")
    if getattr(model, "validation_loss_curve_", None):
        ax.plot(epochs, model.validation_loss_curve_, label="validation cost")
    ax.set(xlabel="epoch", ylabel="cost J", title="learning curve")
    ax.legend()
    written.append(_save(fig, os.path.join(folder, "learning_curve.png")))
    plt.close(fig)
    if task == "classification" and len(roles.numeric) == 2 and roles.features == roles.numeric:
        written.append(_boundary(plt, pipeline, roles, X_val, y_val, folder))
    return written


def _boundary(plt, pipeline, roles, X_val, y_val, folder) -> str:
    a, b = roles.numeric
    xs = np.linspace(X_val[a].min(), X_val[a].max(), 150)
    ys = np.linspace(X_val[b].min(), X_val[b].max(), 150)
    xx, yy = np.meshgrid(xs, ys)
    grid = pd.DataFrame({a: xx.ravel(), b: yy.ravel()})  # (150 * 150, 2)
    classes = pipeline.classes_
    predicted = np.searchsorted(classes, pipeline.predict(grid)).reshape(xx.shape)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.contourf(xx, yy, predicted, alpha=0.3, levels=np.arange(len(classes) + 1) - 0.5)
    ax.scatter(X_val[a], X_val[b], c=np.searchsorted(classes, y_val), s=10, edgecolors="none")
    ax.set(xlabel=a, ylabel=b, title="decision boundary (validation rows)")
    path = _save(fig, os.path.join(folder, "decision_boundary.png"))
    plt.close(fig)
    return path


def _save(fig, path) -> str:
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=90)
    return path
