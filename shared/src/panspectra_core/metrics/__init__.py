"""Metrics and their plots shared by every domain (scikit-learn and matplotlib underneath).

Both libraries are imported on first use, so the core keeps its light import; every domain
package that reports metrics lists them among its dependencies.
"""

from panspectra_core.metrics.classification import (
    classification_metrics,
    expected_calibration_error,
    top_k_accuracy,
)
from panspectra_core.metrics.plots import plot_confusion_matrix, plot_parity, plot_roc
from panspectra_core.metrics.regression import regression_metrics

__all__ = [
    "classification_metrics",
    "expected_calibration_error",
    "plot_confusion_matrix",
    "plot_parity",
    "plot_roc",
    "regression_metrics",
    "top_k_accuracy",
]
