"""Classification accuracy figures a reviewer asks for (scikit-learn metrics).

Overall accuracy (OA), average (per-class) accuracy (AA), Cohen's kappa (Cohen, 1960), per-class
producer's accuracy (recall) and F1, and the confusion matrix (rows = reference, columns =
predicted). Classes are 0-based indices ``0..K-1``; classes absent from the reference are
reported as ``None`` and excluded from AA.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import cohen_kappa_score, confusion_matrix, f1_score


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict:
    """Metrics of predictions ``y_pred`` against reference ``y_true`` (both ``(n,)`` in 0..K-1).

    Returns a JSON-friendly dict: ``overall_accuracy``, ``average_accuracy``, ``kappa`` (fractions),
    ``per_class_accuracy`` / ``per_class_f1`` ``{name: value or None}``, ``confusion_matrix``
    (K × K list), ``class_names``, ``num_test_pixels``.
    """
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.size == 0:
        raise ValueError("no test pixels to evaluate")
    classes = list(range(len(class_names)))
    matrix = confusion_matrix(y_true, y_pred, labels=classes)
    support = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, np.diag(matrix) / np.maximum(support, 1), np.nan)
    f1 = f1_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    present = support > 0
    return {
        "overall_accuracy": float(np.trace(matrix) / matrix.sum()),
        "average_accuracy": float(np.nanmean(recall[present])),
        "kappa": float(cohen_kappa_score(y_true, y_pred, labels=classes)),
        "per_class_accuracy": {
            name: (float(recall[i]) if present[i] else None) for i, name in enumerate(class_names)
        },
        "per_class_f1": {
            name: (float(f1[i]) if present[i] else None) for i, name in enumerate(class_names)
        },
        "confusion_matrix": matrix.tolist(),
        "class_names": list(class_names),
        "num_test_pixels": int(y_true.size),
    }


HEADLINE_KEYS = ("overall_accuracy", "average_accuracy", "kappa", "train_seconds")


def format_headline(metrics: dict) -> str:
    """``OA 0.9912  AA 0.9870  kappa 0.9900`` (± std when ``metrics`` is a seed summary)."""
    parts = []
    for key, label in (("overall_accuracy", "OA"), ("average_accuracy", "AA"), ("kappa", "kappa")):
        value = metrics.get(key)
        if isinstance(value, dict):
            parts.append(f"{label} {value['mean']:.4f} ± {value['std']:.4f}")
        elif value is not None:
            parts.append(f"{label} {value:.4f}")
    return "  ".join(parts)
