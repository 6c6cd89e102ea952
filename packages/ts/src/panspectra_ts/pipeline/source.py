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
    split: tuple[float, float] | None = None  # (train, test) fractions for files


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
        train, test = options.split
        if not (0 < train < 1 and 0 < test < 1 and train + test < 1):
            raise UserError(
                f"--split {train},{test}: expected train,test fractions summing below 1"
            )
        protocol = {"kind": "ratio", "train": train, "test": test}
    cleaned, report = clean_series(
        table, fill=options.fill, duplicates=options.duplicates, freq=freq
    )
    return LoadedSource(cleaned, report, protocol, name, dataset)
