"""Every option of ``ts-forecast``, declared once (see :mod:`panspectra_core.kit.options`).

The flags, the merge of a model's recipe with the user's values, ``--config``, the benchmark's
``--set`` and the ``config`` block of ``metrics.json`` all come from these declarations.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from panspectra_core.kit import (
    COMMON_OPTIONS,
    TRAINING_OPTIONS,
    Option,
    name_list,
    positive,
    registry_of,
)
from panspectra_ts.data.prepare import EVAL_SPLITS

DEFAULT_LOOKBACK = 96

FILL = registry_of(
    {
        "error": "refuse gaps and missing values (default)",
        "ffill": "carry the last value forward",
        "interpolate": "linear interpolation in time",
        "zero": "fill with 0",
        "drop": "drop the incomplete rows",
    },
    "fill policy",
)
DUPLICATES = registry_of(
    {
        "error": "refuse duplicated timestamps (default)",
        "first": "keep the first row",
        "last": "keep the last row",
        "mean": "average the rows",
    },
    "duplicate policy",
)
LOSSES = registry_of(
    {
        "mse": "mean squared error",
        "mae": "mean absolute error",
        "huber": "Huber loss",
        "arctan": "arctan-weighted MAE over the horizon (xPatch)",
    },
    "loss",
)


def split_values(value: Any) -> tuple[float, ...] | None:
    """``"0.7,0.2"`` or ``"12,4,4"`` → a tuple of numbers (checked against ``split_unit`` when
    the series is read: :func:`panspectra_ts.pipeline.source.split_protocol`)."""
    if value is None:
        return None
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    try:
        values = tuple(float(v) for v in parts)
    except ValueError:
        raise ValueError("expected numbers like 0.7,0.2 or 12,4,4") from None
    if len(values) not in (2, 3):
        raise ValueError("expected TRAIN,TEST fractions or TRAIN,VAL,TEST amounts")
    return values


DATASET = Option("dataset", str, None, "named dataset (ETTh1, ETTh2, ETTm1, ...; see info)", "data")
DATA = Option("data", Path, None, "your own CSV or Parquet file", "data", metavar="FILE")
CHECKPOINT = Option(
    "checkpoint",
    Path,
    None,
    "a ts-forecast model.safetensors",
    "model",
    required=True,
    metavar="CKPT",
)

#: where the series comes from and how it is checked (train, evaluate, info)
SOURCE_OPTIONS: tuple[Option, ...] = (
    DATASET,
    DATA,
    Option("date_column", str, None, "timestamp column (default: auto-detected)", "data"),
    Option(
        "targets",
        name_list,
        None,
        "comma-separated columns to forecast (default: all numeric)",
        "data",
    ),
    Option(
        "covariates", name_list, None, "comma-separated extra input columns (not forecast)", "data"
    ),
    Option(
        "fill",
        str,
        "error",
        "gaps/NaNs: refuse (error, default) or repair explicitly",
        "data",
        choices=FILL,
    ),
    Option(
        "duplicates",
        str,
        "error",
        "duplicated timestamps: refuse (default) or merge",
        "data",
        choices=DUPLICATES,
    ),
    Option("freq", str, None, "sampling frequency as a pandas alias (default: inferred)", "data"),
    Option(
        "split",
        split_values,
        None,
        "chronological split of a file: TRAIN,TEST fractions (default 0.7,0.2, validation "
        "between) or TRAIN,VAL,TEST amounts in --split-unit",
        "data",
        metavar="A,B[,C]",
    ),
    Option(
        "split_unit",
        str,
        "fraction",
        "unit of --split: fraction, rows, days, weeks or months (30 days, as the standard ETT "
        "borders: --split 12,4,4 --split-unit months)",
        "data",
        choices=("fraction", "rows", "days", "weeks", "months"),
    ),
    Option(
        "season",
        int,
        None,
        "season in steps of the seasonal-naive baseline (default: from the sampling "
        "frequency: 24 for hourly data, 7 for daily, 52 for weekly)",
        "data",
        validate=positive,
    ),
)

#: the generic values a model without a recipe trains with (Time-Series-Library-like)
_GENERIC = {
    "epochs": 10,
    "lr": 1e-3,
    "batch_size": 32,
    "patience": 3,
    "scheduler": "cosine",
    "weight_decay": 0.0,
}

TRAIN_OPTIONS: tuple[Option, ...] = (
    *SOURCE_OPTIONS,
    Option(
        "horizon",
        int,
        None,
        "forecast length H (default: the dataset's protocol, or for a file the longest "
        "standard length (96, 48, 24, …) its split holds)",
        "forecast",
        required=True,
        validate=positive,
    ),
    Option(
        "lookback",
        int,
        None,  # unset until the data or the recipe fill it (a file's default depends on it)
        "input length L (default: the dataset's protocol; for a file 336 where its training "
        "split keeps 90 %% of its windows with it, else 96 or shorter)",
        "forecast",
        recipe=True,
        validate=positive,
    ),
    Option(
        "loss",
        str,
        "mse",
        "training loss (default: recipe)",
        "training",
        recipe=True,
        choices=LOSSES,
    ),
    Option(
        "recipe_source",
        str,
        None,
        "where the recipe's values come from",
        "training",
        recipe=True,
        cli=False,
    ),
    Option("no_plot", bool, False, "skip forecast.png", "output", record=False),
    Option(
        "select",
        name_list,
        None,
        "train each of these models with its own recipe and keep the one, or the mean of "
        "their forecasts, with the lowest validation MSE, e.g. cyclenet,xpatch (a "
        "--max-train-minutes budget is shared; default with a budget and no --model: "
        "cyclenet,xpatch)",
        "model",
        recipe=True,
        metavar="MODELS",
    ),
    *COMMON_OPTIONS,
    *(
        opt.with_default(_GENERIC[opt.name]) if opt.name in _GENERIC else opt
        for opt in TRAINING_OPTIONS
    ),
)

EVALUATE_OPTIONS: tuple[Option, ...] = (
    CHECKPOINT,
    *SOURCE_OPTIONS,
    Option(
        "on",
        str,
        "test",
        "which windows to score (default: test split)",
        "data",
        choices=EVAL_SPLITS,
    ),
    *(
        opt
        if opt.name != "output"
        else Option(
            "output",
            Path,
            None,
            "write metrics.json into this folder",
            "output",
            aliases=("-o",),
            metavar="PATH",
            record=False,
        )
        for opt in COMMON_OPTIONS
    ),
)

PREDICT_OPTIONS: tuple[Option, ...] = (
    CHECKPOINT,
    replace(DATA, required=True),
    Option("fill", str, None, "(default: the training policy)", "data", choices=FILL),
    Option("duplicates", str, None, "(default: the training policy)", "data", choices=DUPLICATES),
    Option(
        "fallback_to_baseline",
        bool,
        False,
        "forecast with the naive baseline the checkpoint recorded when the model did not beat "
        "it on the validation windows",
        "model",
    ),
    *COMMON_OPTIONS,
)

INFO_OPTIONS: tuple[Option, ...] = (
    *SOURCE_OPTIONS,
    Option("checkpoint", Path, None, "describe a checkpoint instead", "data", metavar="CKPT"),
    Option("lookback", int, DEFAULT_LOOKBACK, "input length L", "forecast", validate=positive),
    Option("horizon", int, 96, "forecast length H", "forecast", validate=positive),
)

#: the options a recipe sets: what ``metrics.json``'s ``settings`` block reports
SETTINGS_KEYS = (
    "epochs",
    "lr",
    "batch_size",
    "patience",
    "loss",
    "scheduler",
    "weight_decay",
    "lookback",
    "model_kwargs",
)
