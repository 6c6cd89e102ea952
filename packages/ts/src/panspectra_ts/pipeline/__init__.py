"""The forecasting pipeline as plain functions; :mod:`panspectra_ts.cli` is a thin layer on top.

- :func:`load_source` — dataset or file → cleaned table + protocol;
- :func:`settings_of` — the training settings of a resolved run (recipe + overrides);
- :func:`train_forecaster` / :func:`write_run` — fit, score all test windows, save;
- :func:`score_mean` — the mean of several trained forecasters, scored the same way;
- :func:`evaluate_checkpoint`, :func:`predict_future` — use a saved forecaster.
"""

from panspectra_ts.pipeline.forecast import (
    evaluate_checkpoint,
    future_dates,
    load_forecaster,
    predict_future,
)
from panspectra_ts.pipeline.runs import describe_file, describe_source
from panspectra_ts.pipeline.save import (
    CHECKPOINT_NAME,
    PLOT_NAME,
    checkpoint_preprocessing,
    write_run,
)
from panspectra_ts.pipeline.scoring import TrainedForecaster, score_mean
from panspectra_ts.pipeline.settings import settings_of, source_options
from panspectra_ts.pipeline.source import LoadedSource, SourceOptions, load_source
from panspectra_ts.pipeline.train import TargetChannels, build_model, train_forecaster

__all__ = [
    "CHECKPOINT_NAME",
    "PLOT_NAME",
    "LoadedSource",
    "SourceOptions",
    "TargetChannels",
    "TrainedForecaster",
    "build_model",
    "checkpoint_preprocessing",
    "describe_file",
    "describe_source",
    "evaluate_checkpoint",
    "future_dates",
    "load_forecaster",
    "load_source",
    "predict_future",
    "score_mean",
    "settings_of",
    "source_options",
    "train_forecaster",
    "write_run",
]
