"""The forecasting pipeline as plain functions; :mod:`panspectra_ts.cli` is a thin layer on top.

- :func:`load_source` — dataset or file → cleaned table + protocol;
- :func:`resolve_settings` — paper recipe + overrides;
- :func:`train_forecaster` / :func:`train_runs` — fit, score all test windows, save;
- :func:`evaluate_checkpoint`, :func:`predict_future` — use a saved forecaster.
"""

from panspectra_ts.pipeline.forecast import (
    evaluate_checkpoint,
    future_dates,
    load_forecaster,
    predict_future,
)
from panspectra_ts.pipeline.runs import describe_file, describe_source, train_runs
from panspectra_ts.pipeline.settings import (
    DEFAULT_LOOKBACK,
    TrainSettings,
    default_model,
    recipe_settings,
    resolve_settings,
)
from panspectra_ts.pipeline.source import LoadedSource, SourceOptions, load_source
from panspectra_ts.pipeline.train import (
    CHECKPOINT_NAME,
    PLOT_NAME,
    TargetChannels,
    TrainedForecaster,
    build_model,
    checkpoint_preprocessing,
    train_forecaster,
    write_run,
)

__all__ = [
    "CHECKPOINT_NAME",
    "DEFAULT_LOOKBACK",
    "PLOT_NAME",
    "LoadedSource",
    "SourceOptions",
    "TargetChannels",
    "TrainSettings",
    "TrainedForecaster",
    "build_model",
    "checkpoint_preprocessing",
    "default_model",
    "describe_file",
    "describe_source",
    "evaluate_checkpoint",
    "future_dates",
    "load_forecaster",
    "load_source",
    "predict_future",
    "recipe_settings",
    "resolve_settings",
    "train_forecaster",
    "train_runs",
    "write_run",
]
