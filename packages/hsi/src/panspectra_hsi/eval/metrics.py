"""Classification accuracy figures a reviewer asks for, in the words of remote sensing.

Overall accuracy (OA), average (per-class) accuracy (AA), Cohen's kappa (Cohen, 1960), per-class
producer's accuracy (recall) and F1, and the confusion matrix (rows = reference, columns =
predicted), computed by the core's :func:`panspectra_core.metrics.classification_metrics`
(accuracy → OA, balanced accuracy → AA). Classes are 0-based indices ``0..K-1``; classes absent
from the reference are reported as ``None`` and excluded from AA.
"""

from __future__ import annotations

import numpy as np

from panspectra_core.metrics import classification_metrics as core_metrics

#: hsi's names of the core's keys
RENAMED = {"accuracy": "overall_accuracy", "balanced_accuracy": "average_accuracy"}


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict:
    """Metrics of predictions ``y_pred`` against reference ``y_true`` (both ``(n,)`` in 0..K-1).

    Returns a JSON-friendly dict: ``overall_accuracy``, ``average_accuracy``, ``kappa``,
    ``macro_f1`` (fractions), ``per_class_accuracy`` / ``per_class_f1`` ``{name: value or
    None}``, ``confusion_matrix`` (K × K list), ``class_names``, ``num_test_pixels``.

    Raises:
        ValueError: no test pixels.
    """
    from sklearn.metrics import f1_score

    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.size == 0:
        raise ValueError("no test pixels to evaluate")
    classes = list(range(len(class_names)))
    core = core_metrics(y_true, y_pred, num_classes=len(classes), class_names=class_names)
    f1 = f1_score(y_true, y_pred, labels=classes, average=None, zero_division=0)
    per_class = core["per_class_accuracy"]
    return {
        **{RENAMED.get(key, key): value for key, value in core.items() if key != "n"},
        "per_class_f1": {
            name: (None if per_class[name] is None else float(f1[i]))
            for i, name in enumerate(class_names)
        },
        "class_names": list(class_names),
        "num_test_pixels": core["n"],
    }


HEADLINE_KEYS = ("overall_accuracy", "average_accuracy", "kappa", "train_seconds")


def format_headline(metrics: dict) -> str:
    """``OA 0.9912  AA 0.9870  kappa 0.9900`` (± std when ``metrics`` holds a kit
    ``seed_summary``)."""
    summary = metrics.get("seed_summary", {})
    parts = []
    for key, label in (("overall_accuracy", "OA"), ("average_accuracy", "AA"), ("kappa", "kappa")):
        value = metrics.get(key)
        if key in summary:
            parts.append(f"{label} {summary[key]['mean']:.4f} ± {summary[key]['std']:.4f}")
        elif value is not None:
            parts.append(f"{label} {value:.4f}")
    return "  ".join(parts)
