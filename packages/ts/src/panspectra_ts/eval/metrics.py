"""Forecast error metrics over all windows, as papers report them, plus per-target errors.

The headline numbers (``mse``, ``mae``) are on the *normalized* scale (train-split z-scores),
averaged over windows × horizon × target channels — the quantity Informer, Autoformer,
PatchTST, iTransformer and Mamba-based forecasters report. ``per_target`` gives MAE and RMSE of
each target in its original units. Accumulation is streaming (float64 sums per batch), so
large test sets (Traffic: 862 channels × 720 steps × 3.5k windows) never sit in memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from panspectra_ts.data.protocol import StandardScaler


def forecast_errors_reference(
    pred: np.ndarray, true: np.ndarray, scaler: StandardScaler, target_names: Sequence[str]
) -> dict:
    """Readable reference of :class:`ForecastMetrics` on full arrays.

    Args:
        pred, true: ``(windows, horizon, targets)`` normalized forecasts and truth.
        scaler: fitted scaler whose first ``targets`` columns are the targets.
        target_names: one name per target channel.
    """
    pred = np.asarray(pred, dtype=np.float64)
    true = np.asarray(true, dtype=np.float64)
    error = pred - true
    targets = slice(0, pred.shape[-1])
    raw_error = scaler.inverse_transform(pred, targets) - scaler.inverse_transform(true, targets)
    return {
        "mse": float(np.mean(error**2)),
        "mae": float(np.mean(np.abs(error))),
        "test_windows": int(pred.shape[0]),
        "per_target": {
            name: {
                "mae": float(np.mean(np.abs(raw_error[..., i]))),
                "rmse": float(np.sqrt(np.mean(raw_error[..., i] ** 2))),
            }
            for i, name in enumerate(target_names)
        },
    }


class ForecastMetrics:
    """Streaming version of :func:`forecast_errors_reference` (same keys, same values).

    Call :meth:`update` with each batch ``(batch, horizon, targets)`` of normalized forecasts
    and truth (torch tensors on any device), then :meth:`compute`.
    """

    def __init__(self, scaler: StandardScaler, target_names: Sequence[str]) -> None:
        self.target_names = list(target_names)
        count = len(self.target_names)
        self._std = torch.as_tensor(scaler.std[:count], dtype=torch.float64)
        self.windows = 0
        self.values = 0
        self._sq = torch.zeros(count, dtype=torch.float64)
        self._abs = torch.zeros(count, dtype=torch.float64)

    @torch.no_grad()
    def update(self, pred: torch.Tensor, true: torch.Tensor) -> None:
        if pred.shape != true.shape:
            raise ValueError(f"forecast shape {tuple(pred.shape)} != truth {tuple(true.shape)}")
        error = (pred.double() - true.double()).reshape(-1, pred.shape[-1])
        self._sq += (error**2).sum(0).cpu()
        self._abs += error.abs().sum(0).cpu()
        self.windows += pred.shape[0]
        self.values += error.shape[0]

    def compute(self) -> dict:
        if self.windows == 0:
            raise ValueError("no windows were scored")
        per_value = self.values * len(self.target_names)
        raw_mae = self._abs / self.values * self._std  # error in original units = error * std
        raw_rmse = torch.sqrt(self._sq / self.values) * self._std
        return {
            "mse": float(self._sq.sum() / per_value),
            "mae": float(self._abs.sum() / per_value),
            "test_windows": self.windows,
            "per_target": {
                name: {"mae": float(raw_mae[i]), "rmse": float(raw_rmse[i])}
                for i, name in enumerate(self.target_names)
            },
        }
