"""Commands as functions: train (one or several seeds) into an output directory, and summaries."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from panspectra_ts.data.calendar import feature_names
from panspectra_ts.data.prepare import prepare_series
from panspectra_ts.data.protocol import count_windows
from panspectra_ts.pipeline.settings import TrainSettings
from panspectra_ts.pipeline.source import LoadedSource, SourceOptions, load_source
from panspectra_ts.pipeline.train import train_forecaster, write_run

SUMMARY_KEYS = ("mse", "mae", "train_seconds", "train_cpu_seconds", "best_val_loss")


def train_runs(
    options: SourceOptions,
    model_name: str,
    settings: TrainSettings,
    *,
    horizon: int,
    seeds: list[int],
    output: Path,
    command: list[str] | None = None,
    trainer_overrides: dict | None = None,
    plot: bool = True,
    keep_trainer_files: bool = False,
) -> dict[str, Any]:
    """Train ``model_name`` once per seed and write the results into ``output`` (a staging dir).

    One seed: ``output/{metrics.json, model.safetensors, forecast.png}``. Several seeds: one
    such directory per seed in ``output/seed_<s>/`` and ``output/metrics.json`` holding the mean
    metrics, ``seeds`` (mean ± sample std per key, via ``summarize_seeds``) and each run.
    Lightning's own files (``train/``) are removed unless ``keep_trainer_files``.
    """
    from panspectra_core.cli import summarize_seeds, write_metrics

    source = load_source(options)
    runs = []
    for seed in seeds:
        directory = output if len(seeds) == 1 else output / f"seed_{seed}"
        workdir = directory / "train"
        run = train_forecaster(
            source,
            model_name,
            settings,
            horizon=horizon,
            seed=seed,
            workdir=workdir,
            trainer_overrides=trainer_overrides,
        )
        if not keep_trainer_files:
            shutil.rmtree(workdir, ignore_errors=True)
        runs.append(
            write_run(
                run,
                directory,
                fill=options.fill,
                duplicates=options.duplicates,
                command=command,
                seed=seed,
                plot=plot,
            )
        )
    if len(seeds) == 1:
        return runs[0]
    summary = summarize_seeds(runs, SUMMARY_KEYS)
    first = runs[0]
    metrics = {
        **{key: summary[key]["mean"] for key in summary},
        "test_windows": first["test_windows"],
        "per_target": {
            name: {
                stat: sum(r["per_target"][name][stat] for r in runs) / len(runs)
                for stat in ("mae", "rmse")
            }
            for name in first["per_target"]
        },
        "seeds": summary,
        "runs": {
            f"seed_{s}": {k: r[k] for k in ("mse", "mae", "train_seconds")}
            for s, r in zip(seeds, runs)
        },
        **{k: first[k] for k in ("model", "dataset", "lookback", "horizon", "settings")},
        "checkpoint": f"seed_{seeds[0]}/model.safetensors",
    }
    write_metrics(output, metrics, command=command, seed=None)
    return metrics


def describe_source(source: LoadedSource, *, lookback: int, horizon: int) -> dict[str, Any]:
    """Rows, columns, frequency, span, problems found and the split (for ``info``)."""
    table = source.table
    summary: dict[str, Any] = {
        "source": source.name,
        "rows": len(table),
        "date_column": table.date_column,
        "start": str(table.dates[0]),
        "end": str(table.dates[-1]),
        "frequency": source.report.freq,
        "targets": table.targets,
        "covariates": table.covariates,
        "calendar_features": feature_names(source.report.freq),
        "quality": source.report.to_dict(),
        "issues": source.report.issues(),
        "protocol": source.protocol,
    }
    try:
        data = prepare_series(
            table,
            source.report,
            lookback=lookback,
            horizon=horizon,
            protocol=source.protocol,
            name=source.name,
        )
    except Exception as exc:  # info still reports what it can
        summary["split"] = f"not usable with lookback {lookback}, horizon {horizon}: {exc}"
        return summary
    summary["split"] = {
        split: {
            "rows": list(data.rows(split)),
            "windows": count_windows(data.rows(split)[1] - data.rows(split)[0], lookback, horizon),
        }
        for split in ("train", "val", "test")
    }
    summary["split"]["lookback"] = lookback
    summary["split"]["horizon"] = horizon
    return summary


def describe_file(options: SourceOptions, *, lookback: int, horizon: int) -> dict[str, Any]:
    """:func:`describe_source` of a dataset or file."""
    return describe_source(load_source(options), lookback=lookback, horizon=horizon)
