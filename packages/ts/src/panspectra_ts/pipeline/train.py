"""Train one forecaster under the protocol: build the model, fit it (under a budget when one
is given) and score it (:mod:`panspectra_ts.pipeline.scoring`).

One run = one seed: :func:`train_forecaster` → model + metrics;
:func:`~panspectra_ts.pipeline.save.write_run` writes the run's directory. Several seeds are
aggregated by :mod:`panspectra_ts.pipeline.runs`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from panspectra_core.errors import UserError
from panspectra_core.registry import create_model, model_entry
from panspectra_core.training.batch import batch_inputs
from panspectra_ts.data.calendar import default_cycle_length
from panspectra_ts.data.prepare import PreparedSeries, prepare_series
from panspectra_ts.data.windows import make_loader
from panspectra_ts.pipeline.scoring import TrainedForecaster, score_forecaster
from panspectra_ts.pipeline.source import LoadedSource

log = logging.getLogger("panspectra.ts")


class TargetChannels(nn.Module):
    """Keep the first ``num_targets`` output channels: with covariates, the loss is computed on
    the targets only (TSLib's ``MS`` setting). ``(B, H, C)`` → ``(B, H, num_targets)``."""

    def __init__(self, model: nn.Module, num_targets: int) -> None:
        super().__init__()
        self.model = model
        self.num_targets = num_targets
        self.batch_inputs = batch_inputs(model)

    def forward(self, x: torch.Tensor, **batch_entries: torch.Tensor) -> torch.Tensor:
        return self.model(x, **batch_entries)[..., : self.num_targets]


def build_model(
    name: str, data: PreparedSeries, settings: Mapping[str, Any]
) -> tuple[nn.Module, dict]:
    """``create_model(name, lookback, horizon, num_channels, **recipe kwargs)`` (ts contract).

    Models tagged ``periodic`` (CycleNet) also get ``cycle``, the length of the data's main
    cycle in steps, from the sampling frequency unless the recipe or ``--model-kwargs`` set it.
    """
    entry = model_entry(name)  # a clear error for an unknown name before any work
    kwargs = {
        "lookback": data.lookback,
        "horizon": data.horizon,
        "num_channels": data.num_channels,
        **(settings.get("model_kwargs") or {}),
    }
    if "periodic" in entry.tags and "cycle" not in kwargs:
        kwargs["cycle"] = default_cycle_length(data.freq)
    try:
        return create_model(name, **kwargs), kwargs
    except (TypeError, ValueError) as exc:  # a bad --model-kwargs value or name
        raise UserError(f"--model-kwargs for {name}: {exc}") from None


def train_forecaster(
    source: LoadedSource,
    model_name: str,
    settings: Mapping[str, Any],
    *,
    horizon: int,
    seed: int,
    workdir: Path,
    trainer_overrides: dict | None = None,
    eval_batch_size: int = 256,
    season: int | None = None,
    fixed: frozenset[str] = frozenset(),
) -> TrainedForecaster:
    """Fit ``model_name`` on the train split with early stopping on the val split, then score
    all test windows and the naive baselines.

    Args:
        settings: the training options (:data:`~panspectra_ts.options.SETTINGS_KEYS`: epochs,
            lr, batch_size, patience, loss, scheduler, weight_decay, lookback, model_kwargs).
            Recipe values are adapted to the number of training windows
            (:func:`panspectra_core.kit.adapt_to_data`) unless named in ``fixed``.
        trainer_overrides: extra ``TrainConfig`` fields (accelerator, precision, max_time, …).
        season: the seasonal-naive baseline's season in steps (default: the data's main
            cycle from its sampling frequency).
        fixed: settings the user chose explicitly (never adapted).
    """
    from panspectra_core.kit import adapt_to_data
    from panspectra_core.kit.adapt import merge_changes
    from panspectra_core.runtime import seed_everything

    data = prepare_series(
        source.table,
        source.report,
        lookback=settings["lookback"],
        horizon=horizon,
        protocol=source.protocol,
        name=source.name,
    )
    settings, adapted = adapt_to_data(settings, len(data.windows("train")), fixed=fixed)
    seed_everything(seed)
    model, model_kwargs = build_model(model_name, data, settings)
    model, fit_info, settings, budget_adapted = _fit(
        model, data, settings, seed, workdir, trainer_overrides, fixed
    )
    adapted = merge_changes(adapted, budget_adapted)
    run = score_forecaster(
        model,
        model_name,
        model_kwargs,
        data,
        settings,
        fit_info,
        season=season,
        eval_batch_size=eval_batch_size,
    )
    if adapted:
        run.metrics["adapted_to_data"] = adapted
    return run


def _fit(
    model: nn.Module,
    data: PreparedSeries,
    settings: Mapping[str, Any],
    seed: int,
    workdir: Path,
    trainer_overrides: dict | None,
    fixed: frozenset[str] = frozenset(),
    eval_batch_size: int = 256,
) -> tuple[nn.Module, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Train ``model`` (early stopping on the validation windows, best weights restored);
    a model without trainable parameters (the naive baselines) is returned as it is.

    Under a time budget on the CPU, the recipe's batch is first fitted to the budget
    (:func:`_fit_budget`). Returns ``(model, fit info, settings used, budget changes)``.
    """
    from panspectra_core.training import ForecastingTask, TrainConfig, fit

    if not any(p.requires_grad for p in model.parameters()):
        empty = {"train_seconds": 0.0, "train_cpu_seconds": 0.0, "epochs": 0}
        return model, empty, dict(settings), {}
    trained = model if not data.table.covariates else TargetChannels(model, data.num_targets)
    task = ForecastingTask(
        trained,
        loss=settings["loss"],
        lr=settings["lr"],
        weight_decay=settings["weight_decay"],
        scheduler=settings["scheduler"],
    )
    settings, budget_changes = _fit_budget(task, data, settings, trainer_overrides, fixed)
    task.lr = settings["lr"]
    config = TrainConfig(
        **{
            "max_epochs": settings["epochs"],
            "patience": settings["patience"],
            "seed": seed,
            "monitor": "val_loss",
            "mode": "min",
            **(trainer_overrides or {}),
        }
    )
    train_loader = make_loader(
        data.windows("train"), settings["batch_size"], shuffle=True, seed=seed
    )
    val_loader = make_loader(data.windows("val"), eval_batch_size)
    log.info(
        "training on %s: L=%d H=%d channels=%d, %d train / %d val windows",
        data.name,
        data.lookback,
        data.horizon,
        data.num_channels,
        len(train_loader.dataset),
        len(val_loader.dataset),
    )
    started = time.perf_counter()
    result = fit(task, train_loader, val_loader, config, workdir)
    train_seconds = getattr(result, "train_seconds", None) or time.perf_counter() - started
    model = task.model.model if isinstance(task.model, TargetChannels) else task.model
    return (
        model,
        {
            "train_seconds": float(train_seconds),
            "train_cpu_seconds": _as_float(getattr(result, "cpu_seconds", None)),
            "time_limit_reached": bool(getattr(result, "time_limit_reached", False)),
            "epochs": getattr(result, "epochs", None),
            "best_epoch": getattr(result, "best_epoch", None),
            "resumed_from_epoch": getattr(result, "resumed_from_epoch", None),
            "best_val_loss": _as_float(getattr(result, "best_score", None)),
        },
        dict(settings),
        budget_changes,
    )


def _fit_budget(
    task: nn.Module,
    data: PreparedSeries,
    settings: Mapping[str, Any],
    trainer_overrides: dict | None,
    fixed: frozenset[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit the batch to ``--max-train-minutes`` (:func:`panspectra_core.kit.fit_to_budget`)
    from a measured cost per training window; on the CPU only (a probe on the CPU says
    nothing about a GPU's speed)."""
    from panspectra_core.kit import fit_to_budget
    from panspectra_core.training import max_time_seconds, seconds_per_sample

    overrides = trainer_overrides or {}
    budget = max_time_seconds(overrides.get("max_time"))
    accelerator = overrides.get("accelerator", "auto")
    on_cpu = accelerator == "cpu" or (accelerator == "auto" and not torch.cuda.is_available())
    if budget is None or not on_cpu or "batch_size" in fixed:
        return dict(settings), {}
    probe = make_loader(data.windows("train"), settings["batch_size"])
    clock = overrides.get("budget_clock", "wall")
    cost = seconds_per_sample(task, probe, clock=clock)
    return fit_to_budget(
        settings,
        len(data.windows("train")),
        sample_seconds=cost,
        budget_seconds=budget,
        num_eval=len(data.windows("val")),
        fixed=fixed,
    )


def _as_float(value: Any) -> float | None:
    if value is None:
        return None
    return float(value.item() if hasattr(value, "item") else value)
