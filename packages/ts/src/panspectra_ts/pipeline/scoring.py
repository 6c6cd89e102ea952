"""Score a trained forecaster: every test window, the validation MSE, the naive baselines and
the verdict against the best of them; the mean of several forecasters' forecasts is scored the
same way (:func:`score_mean`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import nn

from panspectra_ts.data.calendar import default_cycle_length
from panspectra_ts.data.prepare import PreparedSeries
from panspectra_ts.eval.evaluate import evaluate_split
from panspectra_ts.eval.significance import window_losses
from panspectra_ts.pipeline.baselines import (
    compare_with_best_baseline,
    score_baselines,
    verdict,
)


@dataclass
class TrainedForecaster:
    """Result of one training run."""

    model: nn.Module
    model_name: str
    model_kwargs: dict[str, Any]
    data: PreparedSeries
    settings: dict[str, Any]
    metrics: dict[str, Any]


def score_forecaster(
    model: nn.Module,
    model_name: str,
    model_kwargs: dict[str, Any],
    data: PreparedSeries,
    settings: Mapping[str, Any],
    fit_info: Mapping[str, Any],
    *,
    season: int | None = None,
    eval_batch_size: int = 256,
    baselines: dict[str, Any] | None = None,
) -> TrainedForecaster:
    """Score a trained ``model`` on every test window, its validation MSE and the naive
    baselines (with the verdict against the best of them); ``fit_info`` (train seconds,
    epochs, …) is copied into the metrics. ``baselines``: their scores on these same windows
    when another run already computed them."""
    metrics = evaluate_split(model, data, "test", batch_size=eval_batch_size)
    # the mean of the per-window MSEs is the split's MSE (every window has H × targets values)
    val_losses = window_losses(model, data, "val", batch_size=eval_batch_size)
    val_mse = float(val_losses.mean()) if len(val_losses) else float("nan")
    if baselines is None:
        baselines = score_baselines(data, season or default_cycle_length(data.freq))
    metrics.update(fit_info)
    metrics.update(
        {
            "val_mse": val_mse,
            "baselines": baselines,
            **verdict(val_mse, baselines, _baseline_test(model, val_losses, data, baselines)),
            "model": model_name,
            "dataset": data.name,
            "lookback": data.lookback,
            "horizon": data.horizon,
            "num_channels": data.num_channels,
            "train_windows": len(data.windows("train")),
            "parameters": sum(p.numel() for p in model.parameters()),
            # what the model was built with, defaults filled in (e.g. CycleNet's cycle length)
            "model_kwargs": dict(model_kwargs),
        }
    )
    return TrainedForecaster(model, model_name, model_kwargs, data, dict(settings), metrics)


def score_mean(runs: list[TrainedForecaster]) -> TrainedForecaster | None:
    """The mean of the trained ``runs``' forecasts (:class:`ForecastMean`), scored on the same
    windows as they were; its cost is theirs together, and it counts as stopped by the budget
    when one of them was. None when their lookbacks differ (their windows are not the same)."""
    from panspectra_ts.models.forecast_mean import ForecastMean

    if len({r.data.lookback for r in runs}) > 1:
        return None
    data = runs[0].data
    kwargs = {
        "lookback": data.lookback,
        "horizon": data.horizon,
        "num_channels": data.num_channels,
        "members": [{"model": r.model_name, "kwargs": r.model_kwargs} for r in runs],
    }
    fit_info = {
        key: sum(r.metrics.get(key) or 0.0 for r in runs)
        for key in ("train_seconds", "train_cpu_seconds")
    }
    fit_info["epochs"] = None
    fit_info["time_limit_reached"] = any(r.metrics.get("time_limit_reached") for r in runs)
    return score_forecaster(
        ForecastMean([r.model for r in runs]).eval(),
        "forecast_mean",
        kwargs,
        data,
        {"lookback": data.lookback, "members": {r.model_name: r.settings for r in runs}},
        fit_info,
        baselines=runs[0].metrics["baselines"],
    )


def _baseline_test(
    model: nn.Module, val_losses: np.ndarray, data: PreparedSeries, baselines: dict[str, Any]
):
    """The significance test behind the verdict; None for a model that is itself a baseline
    (no trainable parameters) or a split too short to test on."""
    if not any(p.requires_grad for p in model.parameters()) or len(val_losses) < 2:
        return None
    return compare_with_best_baseline(val_losses, data, baselines)
