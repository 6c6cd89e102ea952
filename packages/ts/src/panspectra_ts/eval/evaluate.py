"""Score a forecaster on every window of a split (no ``drop_last``), and sample windows to plot."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import Subset
from torch.utils.data.dataloader import default_collate

from panspectra_core.training.batch import forward_batch
from panspectra_ts.data.prepare import PreparedSeries
from panspectra_ts.data.windows import make_loader
from panspectra_ts.eval.metrics import ForecastMetrics


def _device_of(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@torch.no_grad()
def evaluate_split(
    model: nn.Module,
    data: PreparedSeries,
    split: str = "test",
    *,
    batch_size: int = 256,
    max_windows: int | None = None,
) -> dict:
    """Metrics of ``model`` (x ``(B, L, C)`` → ``(B, H, C)``) over ALL windows of ``split``.

    Only the target channels (the first ``data.num_targets``) are scored. The last partial batch
    is included. ``max_windows`` scores only the first windows instead — a diagnostic, e.g. to
    reproduce what a ``drop_last`` test loader of another harness scores. Returns the
    :class:`~panspectra_ts.eval.metrics.ForecastMetrics` keys.
    """
    was_training = model.training
    model.eval()
    device = _device_of(model)
    metrics = ForecastMetrics(data.scaler, data.table.targets)
    windows = data.windows(split)
    if max_windows is not None:
        windows = Subset(windows, range(min(max_windows, len(windows))))
    for batch in make_loader(windows, batch_size):
        pred = forward_batch(model, batch, device)
        metrics.update(pred[..., : data.num_targets], batch["y"].to(device))
    model.train(was_training)
    return metrics.compute()


@torch.no_grad()
def sample_forecasts(
    model: nn.Module, data: PreparedSeries, split: str = "test", count: int = 3
) -> dict:
    """``count`` evenly spaced windows of ``split`` in original units, for plots.

    Returns a dict with ``history`` ``(count, L, T)``, ``truth`` and ``forecast``
    ``(count, H, T)``, ``history_dates`` ``(count, L)`` and ``future_dates`` ``(count, H)``.
    """
    windows = data.windows(split)
    picks = np.unique(np.linspace(0, len(windows) - 1, num=min(count, len(windows))).astype(int))
    was_training = model.training
    model.eval()
    batch = default_collate([windows[i] for i in picks])
    forecast = forward_batch(model, batch, _device_of(model))
    forecast = forecast[..., : data.num_targets].double().cpu().numpy()
    model.train(was_training)
    targets = slice(0, data.num_targets)
    start = data.rows(split)[0]
    L, H = data.lookback, data.horizon
    history = np.stack([windows[i]["x"][:, targets].double().numpy() for i in picks])
    truth = np.stack([windows[i]["y"].double().numpy() for i in picks])
    dates = data.table.dates
    return {
        "history": data.scaler.inverse_transform(history, targets),
        "truth": data.scaler.inverse_transform(truth, targets),
        "forecast": data.scaler.inverse_transform(forecast, targets),
        "history_dates": [dates[start + i : start + i + L] for i in picks],
        "future_dates": [dates[start + i + L : start + i + L + H] for i in picks],
        "targets": list(data.table.targets),
    }
