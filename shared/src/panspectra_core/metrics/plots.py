"""Pictures of the shared metrics: confusion matrix, parity plot, ROC curve (PNG, atomic)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from panspectra_core.io import atomic_write


def _figure(size: tuple[float, float]):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt, plt.figure(figsize=size)


def _save(plt, fig, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_confusion_matrix(
    confusion: Sequence[Sequence[int]] | np.ndarray,
    class_names: Sequence[str],
    path: str | os.PathLike[str],
    *,
    title: str = "confusion matrix",
) -> Path:
    """Row-normalised confusion matrix (rows: true class) with counts written in each cell."""
    cm = np.asarray(confusion, dtype=np.int64)
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    size = max(4.0, 0.45 * len(class_names) + 2.0)
    plt, fig = _figure((size, size))
    ax = fig.add_subplot()
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=90)
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if len(class_names) <= 30:
        for i, j in zip(*np.nonzero(cm)):
            color = "white" if share[i, j] > 0.5 else "black"
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7, color=color)
    return _save(plt, fig, path)


def plot_parity(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    path: str | os.PathLike[str],
    *,
    title: str = "parity",
    unit: str = "",
) -> Path:
    """Predicted against measured values with the identity line and the RMSE in the title."""
    t = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    keep = np.isfinite(t) & np.isfinite(p)
    t, p = t[keep], p[keep]
    rmse = float(np.sqrt(np.mean((p - t) ** 2))) if t.size else float("nan")
    plt, fig = _figure((4.5, 4.5))
    ax = fig.add_subplot()
    ax.scatter(t, p, s=6, alpha=0.5)
    lo, hi = (float(min(t.min(), p.min())), float(max(t.max(), p.max()))) if t.size else (0, 1)
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8)
    suffix = f" {unit}" if unit else ""
    ax.set_xlabel(f"measured{suffix}")
    ax.set_ylabel(f"predicted{suffix}")
    ax.set_title(f"{title} (RMSE {rmse:.3g}{suffix}, n={t.size})")
    return _save(plt, fig, path)


def plot_roc(
    y_true: np.ndarray,
    scores: np.ndarray,
    path: str | os.PathLike[str],
    *,
    title: str = "ROC",
) -> Path:
    """ROC curve of a binary score (``y_true`` in {0, 1}) with its AUC in the legend."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y_true, scores)
    auc = roc_auc_score(y_true, scores)
    plt, fig = _figure((4.5, 4.5))
    ax = fig.add_subplot()
    ax.plot(fpr, tpr, label=f"AUC {auc:.3f}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return _save(plt, fig, path)
