"""Use a saved forecaster: score it on a dataset/file, or forecast past a file's last timestamp."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from pandas.tseries.frequencies import to_offset

from panspectra_core.checkpoint import Checkpoint
from panspectra_core.errors import UserError
from panspectra_core.kit import Predictor
from panspectra_core.training.batch import forward_batch
from panspectra_ts.data.calendar import step_index
from panspectra_ts.data.prepare import PreparedSeries, prepare_series
from panspectra_ts.data.protocol import StandardScaler
from panspectra_ts.data.quality import clean_series, infer_frequency
from panspectra_ts.data.table import load_table
from panspectra_ts.eval.evaluate import evaluate_split
from panspectra_ts.pipeline.source import LoadedSource, SourceOptions, load_source


class Forecaster(Predictor):
    """A saved ts forecaster: the model and the preprocessing ``predict`` rebuilds its input
    with (columns, frequency, lookback/horizon, the train-split scaler)."""

    domain = "ts"

    @classmethod
    def check_domain(cls, checkpoint: Checkpoint, path: str | Path) -> None:
        if checkpoint.meta.domain != "ts" or not checkpoint.meta.preprocessing:
            raise UserError(
                f"--checkpoint {path}: not a time-series forecaster (domain "
                f"{checkpoint.meta.domain!r}); train one with ts-forecast train"
            )


def load_forecaster(path: str | Path, device: torch.device | None = None) -> Forecaster:
    """Load a ts checkpoint as a :class:`Forecaster` (``.model``, ``.meta``), checked."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--checkpoint {path}: no such file (expected DIR/model.safetensors)")
    try:
        return Forecaster.load(path, device=str(device or "cpu"))
    except UserError:
        raise
    except Exception as exc:
        raise UserError(
            f"--checkpoint {path}: not a readable panspectra checkpoint ({exc})"
        ) from None


def _options_from_checkpoint(pre: dict[str, Any], options: SourceOptions) -> SourceOptions:
    """Read the same columns the model was trained on; explicit user policies win."""
    return replace(
        options,
        date_column=options.date_column or pre["date_column"],
        targets=pre["targets"],
        covariates=pre["covariates"],
        fill=options.fill if options.fill != "error" else pre.get("fill", "error"),
        duplicates=options.duplicates
        if options.duplicates != "error"
        else pre.get("duplicates", "error"),
        freq=options.freq or pre["freq"],
    )


def checkpoint_series(
    checkpoint: Checkpoint | Forecaster, options: SourceOptions
) -> tuple[LoadedSource, PreparedSeries]:
    """The source and windows a saved forecaster is evaluated on: ``options`` completed from
    the checkpoint (dataset, columns, frequency), its lookback/horizon/protocol, and its
    fitted (train-split) scaler. Returns ``(source, prepared series)``."""
    pre = checkpoint.meta.preprocessing
    source = load_source(_options_from_checkpoint(pre, options))
    data = prepare_series(
        source.table,
        source.report,
        lookback=pre["lookback"],
        horizon=pre["horizon"],
        protocol=source.protocol,
        name=source.name,
    )
    scaler = StandardScaler.from_dict(pre["scaler"])
    data = replace(
        data, scaler=scaler, normalized=scaler.transform(data.table.values).astype(np.float32)
    )
    return source, data


def evaluate_checkpoint(
    path: str | Path,
    options: SourceOptions,
    *,
    split: str = "test",
    device: torch.device | None = None,
    batch_size: int = 256,
) -> dict:
    """Metrics of a saved forecaster over all windows of ``split`` of a dataset or file.

    The checkpoint's scaler is used (it is the train-split scaler when the data is the one the
    model was trained on), so the normalized MSE/MAE are comparable with training's.
    """
    checkpoint = load_forecaster(path, device)
    source, data = checkpoint_series(checkpoint, options)
    metrics = evaluate_split(checkpoint.model, data, split, batch_size=batch_size)
    metrics.update(
        {
            "model": checkpoint.meta.model_name,
            "dataset": source.name,
            "split": split,
            "lookback": data.lookback,
            "horizon": data.horizon,
            "checkpoint": str(path),
            "data_quality": source.report.to_dict(),
        }
    )
    return metrics


def future_dates(last: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after ``last`` at frequency ``freq``."""
    return pd.date_range(last, periods=horizon + 1, freq=to_offset(freq))[1:]


def predict_future(
    path: str | Path,
    data_path: str | Path,
    *,
    fill: str | None = None,
    duplicates: str | None = None,
    device: torch.device | None = None,
    fallback_to_baseline: bool = False,
) -> pd.DataFrame:
    """Forecast the checkpoint's horizon after the last timestamp of ``data_path``.

    With ``fallback_to_baseline``, a model that did not beat the best naive baseline on the
    validation windows at training time is replaced by that baseline (recorded in the
    checkpoint; a one-line note says so).

    Returns:
        DataFrame: the date column (future timestamps at the trained frequency) and one column
        per target, in original units.
    """
    checkpoint = load_forecaster(path, device)
    pre = checkpoint.meta.preprocessing
    lookback, horizon, freq = pre["lookback"], pre["horizon"], pre["freq"]
    table = load_table(
        data_path,
        date_column=pre["date_column"],
        targets=pre["targets"],
        covariates=pre["covariates"],
    )
    inferred = infer_frequency(table.dates)
    if inferred is not None and inferred != to_offset(freq):
        raise UserError(
            f"{data_path}: sampled every {inferred.freqstr} but the model was trained "
            f"at {freq}; resample the file to {freq}"
        )
    table, _ = clean_series(
        table,
        fill=fill or pre.get("fill", "error"),
        duplicates=duplicates or pre.get("duplicates", "error"),
        freq=to_offset(freq),
    )
    if len(table) < lookback:
        raise UserError(
            f"{data_path}: {len(table)} rows after cleaning, but the model needs the "
            f"last {lookback} rows (its lookback); give a longer history"
        )
    scaler = StandardScaler.from_dict(pre["scaler"])
    history = scaler.transform(table.values[-lookback:]).astype(np.float32)
    model = _forecasting_model(checkpoint, fallback_to_baseline)
    parameter = next(model.parameters(), None)
    first = step_index(table.dates[-lookback:], freq)[0]
    batch = {"x": torch.from_numpy(history)[None], "time_index": torch.tensor([first])}
    device = parameter.device if parameter is not None else torch.device("cpu")
    with torch.no_grad():
        forecast = forward_batch(model, batch, device)[0, :, : len(table.targets)]
    forecast = forecast.double().cpu().numpy()
    values = scaler.inverse_transform(forecast, slice(0, len(table.targets)))
    frame = pd.DataFrame(values, columns=table.targets)
    frame.insert(0, table.date_column, future_dates(table.dates[-1], freq, horizon))
    return frame


def _forecasting_model(checkpoint: Forecaster, fallback_to_baseline: bool) -> torch.nn.Module:
    """The checkpoint's model, or its recorded baseline when asked for and better."""
    import logging

    from panspectra_ts.pipeline.baselines import baseline_model

    record = checkpoint.meta.preprocessing.get("baseline")
    if not fallback_to_baseline or record is None or record["model_beats_it"]:
        return checkpoint.model
    logging.getLogger("panspectra.ts").warning(
        "forecasting with the %s baseline: %s did not beat it on the validation windows",
        record["name"],
        checkpoint.meta.model_name,
    )
    return baseline_model(
        record["name"], checkpoint.meta.preprocessing["horizon"], record["season"]
    )
