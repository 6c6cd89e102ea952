"""Classification metrics: accuracy, balanced accuracy, macro-F1, Cohen's κ, per-class accuracy,
confusion matrix and (given probabilities) ROC-AUC, computed with scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _labels(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None) -> np.ndarray:
    if num_classes is not None:
        return np.arange(num_classes)
    return np.union1d(np.unique(y_true), np.unique(y_pred))


def classification_metrics(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    *,
    probabilities: np.ndarray | None = None,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Scores of integer class predictions.

    Args:
        y_true: ``(N,)`` true class indices in ``[0, num_classes)``.
        y_pred: ``(N,)`` predicted class indices.
        probabilities: optional ``(N, C)`` class probabilities (rows sum to 1) → ``roc_auc``
            (one-vs-rest macro average; the positive-class AUC for two classes), and
            ``pr_auc`` (average precision) for two classes.
        num_classes: C (default: the classes seen in ``y_true`` or ``y_pred``).
        class_names: names for ``per_class_accuracy`` keys (default: the indices).

    Returns:
        ``accuracy``, ``balanced_accuracy``, ``macro_f1``, ``kappa`` (fractions),
        ``per_class_accuracy`` (name → recall; ``None`` for a class absent from ``y_true``),
        ``confusion_matrix`` (rows: true class, columns: predicted), ``n`` and, with
        probabilities, ``roc_auc`` (and ``pr_auc`` for two classes).
    """
    from sklearn.metrics import (
        average_precision_score,
        cohen_kappa_score,
        confusion_matrix,
        f1_score,
        roc_auc_score,
    )

    y_true = np.asarray(y_true).astype(np.int64).ravel()
    y_pred = np.asarray(y_pred).astype(np.int64).ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape}: expected equal, > 0")
    labels = _labels(y_true, y_pred, num_classes)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    support = cm.sum(axis=1)
    recall = np.divide(np.diag(cm), support, out=np.zeros(len(labels)), where=support > 0)
    names = [str(n) for n in class_names] if class_names is not None else [str(l) for l in labels]
    present = support > 0
    out: dict[str, Any] = {
        "accuracy": float((y_true == y_pred).mean()),
        "balanced_accuracy": float(recall[present].mean()),
        "macro_f1": float(
            f1_score(y_true, y_pred, labels=labels[present], average="macro", zero_division=0)
        ),
        "kappa": float(cohen_kappa_score(y_true, y_pred, labels=labels))
        if len(labels) > 1
        else 1.0,
        "per_class_accuracy": {
            name: (float(r) if p else None) for name, r, p in zip(names, recall, present)
        },
        "confusion_matrix": cm.tolist(),
        "n": int(y_true.size),
    }
    if probabilities is not None and len(np.unique(y_true)) > 1:
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if len(labels) == 2:
            out["roc_auc"] = float(roc_auc_score(y_true, probabilities[:, 1]))
            out["pr_auc"] = float(average_precision_score(y_true, probabilities[:, 1]))
        elif present.all():
            out["roc_auc"] = float(
                roc_auc_score(y_true, probabilities, multi_class="ovr", labels=labels)
            )
    return out


def top_k_accuracy(scores: np.ndarray, y_true: Sequence[int] | np.ndarray, k: int) -> float:
    """Share of rows whose true class is among the ``k`` highest of ``scores`` ``(N, C)``
    (logits or probabilities; ``k`` is clipped to C)."""
    scores = np.asarray(scores)
    y_true = np.asarray(y_true).ravel()
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float((top == y_true[:, None]).any(axis=1).mean())


def expected_calibration_error(
    probabilities: np.ndarray, y_true: Sequence[int] | np.ndarray, bins: int = 15
) -> float:
    """ECE with ``bins`` equal-width confidence bins (Guo et al. 2017, "On Calibration of Modern
    Neural Networks"): Σ_b (n_b / N) · |accuracy_b − confidence_b| of the top-1 prediction,
    for ``(N, C)`` probabilities."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(1)
    correct = probabilities.argmax(1) == np.asarray(y_true).ravel()
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            total += chosen.mean() * abs(correct[chosen].mean() - confidence[chosen].mean())
    return float(total)
