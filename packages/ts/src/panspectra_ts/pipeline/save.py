"""Write one run: ``model.safetensors`` (with the fitted scaler, column names and the
fallback baseline that ``predict`` needs) and ``forecast.png``."""

from __future__ import annotations

from pathlib import Path

from panspectra_ts.data.calendar import feature_names
from panspectra_ts.data.prepare import PreparedSeries
from panspectra_ts.eval.evaluate import sample_forecasts
from panspectra_ts.pipeline.scoring import TrainedForecaster
from panspectra_ts.plotting import plot_forecasts

CHECKPOINT_NAME = "model.safetensors"
PLOT_NAME = "forecast.png"


def checkpoint_preprocessing(data: PreparedSeries, *, fill: str, duplicates: str) -> dict:
    """Everything ``predict`` needs to rebuild the model input from a raw file."""
    table = data.table
    return {
        "date_column": table.date_column,
        "targets": list(table.targets),
        "covariates": list(table.covariates),
        "columns": list(table.columns),
        "freq": data.freq,
        "lookback": data.lookback,
        "horizon": data.horizon,
        "scaler": data.scaler.to_dict(),
        "fill": fill,
        "duplicates": duplicates,
        "calendar_features": feature_names(data.freq),
        "dataset": data.name,
        "protocol": data.protocol,
        "borders": data.borders.to_dict(),
        "last_train_date": str(table.dates[data.borders.train[1] - 1]),
    }


def baseline_record(metrics: dict) -> dict:
    """What ``predict --fallback-to-baseline`` needs: the best baseline on the validation
    windows, its season, and whether the model beat it."""
    best = metrics["best_baseline"]
    return {
        "name": best,
        "season": metrics["baselines"]["seasonal_naive"]["season"],
        "model_beats_it": bool(metrics["beats_baselines"]),
    }


def write_run(
    run: TrainedForecaster,
    directory: Path,
    *,
    fill: str,
    duplicates: str,
    seed: int,
    plot: bool = True,
) -> dict:
    """Write ``model.safetensors`` and ``forecast.png`` into ``directory``; return the run's
    metrics (the caller writes ``metrics.json``: :func:`panspectra_core.kit.run_seeds`)."""
    from panspectra_core.checkpoint import save_checkpoint

    directory.mkdir(parents=True, exist_ok=True)
    metrics = dict(run.metrics)
    metrics["settings"] = dict(run.settings)
    metrics["data_quality"] = run.data.report.to_dict()
    if run.data.table.provenance:  # a named dataset: which copy was used, and its sha256
        metrics["data_files"] = list(run.data.table.provenance)
    metrics["checkpoint"] = CHECKPOINT_NAME
    save_checkpoint(
        directory / CHECKPOINT_NAME,
        run.model,
        model_name=run.model_name,
        model_kwargs=run.model_kwargs,
        domain="ts",
        preprocessing={
            **checkpoint_preprocessing(run.data, fill=fill, duplicates=duplicates),
            "baseline": baseline_record(metrics),
        },
        config={**run.settings, "seed": seed},
        metrics={k: metrics[k] for k in ("mse", "mae", "test_windows") if k in metrics},
        input_spec={
            "x": ["batch", run.data.lookback, run.data.num_channels],
            "output": ["batch", run.data.horizon, run.data.num_channels],
        },
    )
    if plot:
        samples = sample_forecasts(run.model, run.data, "test", count=3)
        plot_forecasts(
            samples,
            directory / PLOT_NAME,
            title=f"{run.model_name} on {Path(run.data.name).name}: L={run.data.lookback} "
            f"H={run.data.horizon}, test windows",
        )
        metrics["plot"] = PLOT_NAME
    return metrics
