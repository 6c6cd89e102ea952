"""OA / AA / kappa / per-class figures against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from panspectra_hsi.eval import classification_metrics, format_headline


def test_metrics_match_hand_computation():
    y_true = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    y_pred = np.array([0, 0, 0, 1, 1, 0, 2, 2, 2, 2])
    m = classification_metrics(y_true, y_pred, ["a", "b", "c", "d"])
    assert m["overall_accuracy"] == pytest.approx(0.8)
    # per class recall: a 3/4, b 1/2, c 4/4; d absent → excluded from AA
    assert m["per_class_accuracy"] == {"a": 0.75, "b": 0.5, "c": 1.0, "d": None}
    assert m["average_accuracy"] == pytest.approx((0.75 + 0.5 + 1.0) / 3)
    # kappa = (po - pe) / (1 - pe), pe = sum(row_i * col_i) / n^2
    pe = (4 * 4 + 2 * 2 + 4 * 4) / 100
    assert m["kappa"] == pytest.approx((0.8 - pe) / (1 - pe))
    assert m["confusion_matrix"] == [[3, 1, 0, 0], [1, 1, 0, 0], [0, 0, 4, 0], [0, 0, 0, 0]]
    assert m["per_class_f1"]["a"] == pytest.approx(0.75)
    assert m["num_test_pixels"] == 10
    assert format_headline(m) == "OA 0.8000  AA 0.7500  kappa 0.6875"


def test_perfect_and_empty():
    y = np.array([1, 0, 1])
    m = classification_metrics(y, y, ["x", "y"])
    assert m["overall_accuracy"] == m["average_accuracy"] == m["kappa"] == 1.0
    with pytest.raises(ValueError, match="no test pixels"):
        classification_metrics(np.array([]), np.array([]), ["x"])
