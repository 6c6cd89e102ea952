"""Regression metrics: MSE, MAE, RMSE and R², over all values or per output column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def regression_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Errors of real-valued predictions.

    Args:
        y_true: ``(N,)`` or ``(N, T)`` targets.
        y_pred: predictions of the same shape.
        mask: optional boolean array of the same shape; ``False`` entries (missing targets in
            multi-task data) are left out.
        names: with ``(N, T)`` inputs, names of the T columns → a ``per_target`` block.

    Returns:
        ``mse``, ``mae``, ``rmse``, ``r2`` over every kept value (R² against the mean of the
        kept targets; ``nan`` when they are constant), ``n``, and ``per_target`` for named
        columns (the same keys per column).
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ")
    keep = np.ones(y_true.shape, bool) if mask is None else np.asarray(mask, bool)
    out = _scores(y_true[keep], y_pred[keep])
    if names is not None and y_true.ndim == 2:
        out["per_target"] = {
            str(name): _scores(y_true[keep[:, j], j], y_pred[keep[:, j], j])
            for j, name in enumerate(names)
        }
    return out


def _scores(t: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    if t.size == 0:
        raise ValueError("no target values to score")
    err = p - t
    mse = float(np.mean(err**2))
    var = float(np.mean((t - t.mean()) ** 2))
    return {
        "mse": mse,
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(mse)),
        "r2": 1.0 - mse / var if var > 0 else float("nan"),
        "n": int(t.size),
    }
