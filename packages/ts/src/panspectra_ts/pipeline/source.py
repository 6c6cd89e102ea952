"""Where a series comes from: a named benchmark dataset or the user's own file, checked alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from panspectra_core.errors import UserError
from panspectra_ts.data.named import load_named_table
from panspectra_ts.data.quality import QualityReport, clean_series, parse_frequency
from panspectra_ts.data.table import SeriesTable, load_table

DEFAULT_PROTOCOL = {"kind": "ratio", "train": 0.7, "test": 0.2}


@dataclass
class SourceOptions:
    """How to read and check a series (the CLI's data flags).

    Exactly one of ``dataset`` (manifest name) and ``data`` (CSV/Parquet path) is set.
    """

    dataset: str | None = None
    data: str | None = None
    date_column: str | None = None
    targets: list[str] | None = None
    covariates: list[str] = field(default_factory=list)
    fill: str = "error"
    duplicates: str = "error"
    freq: str | None = None
    split: tuple[float, ...] | None = None  # see split_protocol
    split_unit: str = "fraction"


@dataclass
class LoadedSource:
    """A cleaned table, its quality report, the split protocol and a display name."""

    table: SeriesTable
    report: QualityReport
    protocol: dict[str, Any]
    name: str
    dataset: str | None = None


def load_source(options: SourceOptions) -> LoadedSource:
    """Read, select columns, check and (by explicit policy only) repair the series."""
    if (options.dataset is None) == (options.data is None):
        raise UserError("give exactly one of --dataset NAME or --data FILE")
    freq = parse_frequency(options.freq) if options.freq else None
    if options.dataset is not None:
        table, manifest = load_named_table(
            options.dataset, targets=options.targets, covariates=options.covariates
        )
        protocol = dict(manifest.protocol or DEFAULT_PROTOCOL)
        name, dataset = manifest.name, manifest.name
        if freq is None and (manifest.format or {}).get("freq"):
            freq = parse_frequency(manifest.format["freq"])
    else:
        table = load_table(
            options.data,
            date_column=options.date_column,
            targets=options.targets,
            covariates=options.covariates,
        )
        protocol = dict(DEFAULT_PROTOCOL)
        name, dataset = str(options.data), None
    if options.split is not None:
        protocol = split_protocol(options.split, options.split_unit, table.dates)
    cleaned, report = clean_series(
        table, fill=options.fill, duplicates=options.duplicates, freq=freq
    )
    return LoadedSource(cleaned, report, protocol, name, dataset)


#: the length of one unit of ``--split-unit`` (a month is 30 days, as Time-Series-Library's ETT
#: borders: 12/4/4 months = 8640/2880/2880 hourly rows)
SPLIT_UNITS = {"days": 1, "weeks": 7, "months": 30}


def split_protocol(split: tuple[float, ...], unit: str, dates) -> dict[str, Any]:
    """The protocol of ``--split`` / ``--split-unit`` for a file with timestamps ``dates``.

    - ``fraction`` with ``TRAIN,TEST``: chronological fractions, validation in between
      (Time-Series-Library's ``Dataset_Custom``); with ``TRAIN,VAL,TEST``: those shares of
      the rows.
    - ``rows`` with ``TRAIN,VAL,TEST``: row counts from the start.
    - ``days``, ``weeks`` or ``months`` with ``TRAIN,VAL,TEST``: the rows whose timestamps
      fall in the first TRAIN units from the first timestamp, then VAL, then TEST units (so a
      user's copy of ETTh1 with ``--split 12,4,4 --split-unit months`` gets the standard
      borders).

    Raises:
        UserError: a count that does not match the unit, or shares that do not fit.
    """
    text = ",".join(f"{v:g}" for v in split)
    if unit == "fraction" and len(split) == 2:
        train, test = split
        if not (0 < train < 1 and 0 < test < 1 and train + test < 1):
            raise UserError(f"--split {text}: expected train,test fractions summing below 1")
        return {"kind": "ratio", "train": train, "test": test}
    if len(split) != 3 or any(v <= 0 for v in split):
        raise UserError(
            f"--split {text} --split-unit {unit}: expected three positive values TRAIN,VAL,TEST"
        )
    rows = len(dates)
    if unit == "fraction":
        if sum(split) > 1 + 1e-9:
            raise UserError(f"--split {text}: the three fractions sum above 1")
        counts = [int(rows * v) for v in split]
    elif unit == "rows":
        counts = [int(v) for v in split]
    else:
        counts = _rows_per_period(split, SPLIT_UNITS[unit], dates)
    return {"kind": "fixed", "train_rows": counts[0], "val_rows": counts[1], "test_rows": counts[2]}


def _rows_per_period(split: tuple[float, ...], days: int, dates) -> list[int]:
    """Rows in consecutive periods of ``split[i] * days`` days from the first timestamp."""
    import numpy as np
    import pandas as pd

    start = pd.Timestamp(dates[0])
    ends = np.cumsum(split) * days
    edges = [start + pd.Timedelta(days=float(e)) for e in ends]
    positions = np.searchsorted(
        np.asarray(dates, dtype="datetime64[ns]"),
        np.asarray(edges, dtype="datetime64[ns]"),
        side="left",
    )
    bounds = [0, *(int(p) for p in positions)]
    return [bounds[i + 1] - bounds[i] for i in range(3)]
