"""Read a user's CSV/Parquet file into a typed multivariate series (dates + numeric columns).

The reader only parses and selects columns; checking the time axis (frequency, gaps, duplicates,
NaNs) is :mod:`panspectra_ts.data.quality`'s job. Every mistake is a one-line
:class:`~panspectra_core.errors.UserError` naming the file, the column and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from panspectra_core.errors import UserError

DATE_COLUMN_NAMES = ("date", "datetime", "timestamp", "time", "ds", "date_time")
SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq", ".tsv", ".txt")


@dataclass
class SeriesTable:
    """A multivariate series as read from a file.

    Attributes:
        source: the file it came from (used in error messages).
        date_column: name of the timestamp column in the file.
        dates: ``(rows,)`` timestamps (parsed, in file order, not yet validated).
        frame: ``(rows, targets + covariates)`` float64 values, columns = targets then covariates.
        targets: names of the columns to forecast.
        covariates: names of extra input-only columns (observed, not forecast in the metrics).
        first_row: file row number (1-based, header = row 1) of ``frame``'s first row, so
            reports can name the lines a user sees in an editor.
        text_cells: column → ``[(position, raw text)]`` of the cells of a numeric column that
            are not numbers (stray text, ``oops``); they are NaN in ``frame`` and a finding for
            :func:`~panspectra_ts.data.quality.clean_series` (refused or repaired by ``--fill``).
        provenance: for a named dataset, ``{"file", "path", "source", "sha256"}`` of the file
            read (:meth:`panspectra_core.datasets.ResolvedFile.to_dict`), for ``metrics.json``.
    """

    source: str
    date_column: str
    dates: pd.DatetimeIndex
    frame: pd.DataFrame
    targets: list[str]
    covariates: list[str]
    first_row: int = 2
    text_cells: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    provenance: list[dict[str, str]] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """Model channel order: targets, then covariates."""
        return [*self.targets, *self.covariates]

    @property
    def values(self) -> np.ndarray:
        """``(rows, channels)`` float64 array in :attr:`columns` order."""
        return self.frame[self.columns].to_numpy(dtype=np.float64)

    def __len__(self) -> int:
        return len(self.dates)

    def file_rows(self, positions: Sequence[int] | np.ndarray) -> list[int]:
        """Map 0-based positions in :attr:`frame` to 1-based file line numbers."""
        return [int(p) + self.first_row for p in positions]


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TSV/Parquet file with pandas (UserError for a missing or unreadable file)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file; pass an existing CSV or Parquet file to --data")
    if path.is_dir():
        raise UserError(f"{path} is a directory; pass a CSV or Parquet file to --data")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UserError(
            f"{path}: unsupported file type {suffix!r}; "
            f"expected one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".tsv", ".txt"):  # sniff the delimiter
            frame = pd.read_csv(path, sep=None, engine="python")
        else:
            frame = pd.read_csv(path)
    except Exception as exc:  # pandas raises many types for malformed files
        raise UserError(
            f"{path}: cannot be read as {suffix[1:]} ({type(exc).__name__}: {exc})"
        ) from None
    if frame.empty:
        raise UserError(f"{path}: the file has no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


NUMERIC_SHARE = 0.5
"""A text column is numeric with stray cells when at least this share of its non-empty cells
parse as numbers (otherwise it is a text column: skipped by default, refused as a target)."""


def numeric_column(column: pd.Series) -> tuple[pd.Series, list[tuple[int, str]]] | None:
    """``column`` as float64 and its stray (non-numeric) cells ``[(position, raw text)]``;
    None for a text column (fewer than :data:`NUMERIC_SHARE` of its non-empty cells are
    numbers). Stray cells become NaN in the returned series."""
    if pd.api.types.is_numeric_dtype(column) or column.isna().all():
        return column.astype(np.float64), []
    if pd.api.types.is_datetime64_any_dtype(column) or pd.api.types.is_bool_dtype(column):
        return None
    numeric = pd.to_numeric(column, errors="coerce")
    present = column.notna() & (column.astype(str).str.strip() != "")
    bad = np.flatnonzero((numeric.isna() & present).to_numpy())
    if present.sum() == 0 or (present.sum() - bad.size) / present.sum() < NUMERIC_SHARE:
        return None
    return numeric.astype(np.float64), [(int(p), str(column.iloc[p])) for p in bad]


def detect_date_column(frame: pd.DataFrame, source: str) -> str:
    """The timestamp column: a conventional name (date, time, timestamp, ...) or else the first
    non-numeric column whose values all parse as dates."""
    by_lower = {c.lower(): c for c in frame.columns}
    for name in DATE_COLUMN_NAMES:
        if name in by_lower:
            return by_lower[name]
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            return column
        if pd.api.types.is_numeric_dtype(series):
            continue
        parsed = pd.to_datetime(series.head(200), errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.95:
            return column
    raise UserError(
        f"{source}: no date column found (columns: {', '.join(frame.columns)}); "
        "pass --date-column NAME"
    )


def _check_columns(names: Sequence[str], frame: pd.DataFrame, source: str, flag: str) -> None:
    for name in names:
        if name not in frame.columns:
            raise UserError(
                f"{source}: column {name!r} given in {flag} does not exist "
                f"(columns: {', '.join(frame.columns)})"
            )


def _parse_dates(column: pd.Series, source: str, name: str) -> pd.DatetimeIndex:
    if pd.api.types.is_datetime64_any_dtype(column):
        dates = pd.DatetimeIndex(column)
    else:
        dates = pd.DatetimeIndex(pd.to_datetime(column, errors="coerce", format="mixed"))
    bad = np.flatnonzero(dates.isna())
    if bad.size:
        rows = ", ".join(str(r + 2) for r in bad[:5])
        raise UserError(
            f"{source}: column {name!r} has {bad.size} value(s) that are not dates "
            f"(file rows {rows}{' ...' if bad.size > 5 else ''}); fix or remove those rows"
        )
    if dates.tz is not None:  # forecasting runs on wall-clock time; keep the zone out of the math
        dates = dates.tz_convert(None)
    return dates


def load_table(
    path: str | Path,
    *,
    date_column: str | None = None,
    targets: Sequence[str] | None = None,
    covariates: Sequence[str] = (),
) -> SeriesTable:
    """Read ``path`` and select the date, target and covariate columns.

    Args:
        path: CSV/TSV/Parquet file with one timestamp column and numeric series columns.
        date_column: timestamp column name (default: auto-detected).
        targets: columns to forecast (default: every numeric column except the covariates).
        covariates: extra numeric input columns.

    Returns:
        SeriesTable with ``frame`` of shape ``(rows, len(targets) + len(covariates))``.
    """
    source = str(path)
    frame = read_frame(path)
    if date_column is None:
        date_column = detect_date_column(frame, source)
    else:
        _check_columns([date_column], frame, source, "--date-column")
    covariates = list(covariates)
    _check_columns(covariates, frame, source, "--covariates")
    if targets:
        targets = list(targets)
        _check_columns(targets, frame, source, "--targets")
    else:
        targets = [
            c
            for c in frame.columns
            if c != date_column and c not in covariates and numeric_column(frame[c]) is not None
        ]
        if not targets:
            raise UserError(f"{source}: no numeric columns to forecast; pass --targets")
    overlap = sorted(set(targets) & set(covariates))
    if overlap:
        raise UserError(
            f"{source}: column(s) {', '.join(overlap)} given as both target and covariate"
        )
    if date_column in targets or date_column in covariates:
        raise UserError(
            f"{source}: the date column {date_column!r} cannot be a target or covariate"
        )
    selected, text_cells = {}, {}
    for name in [*targets, *covariates]:
        converted = numeric_column(frame[name])
        if converted is None:
            column = frame[name]
            nan = np.flatnonzero(pd.to_numeric(column, errors="coerce").isna().to_numpy())
            first = int(nan[0]) if nan.size else 0
            raise UserError(
                f"{source}: column {name!r} is not numeric (e.g. {column.iloc[first]!r} at "
                f"file row {first + 2}); choose numeric columns with --targets"
            )
        selected[name], stray = converted
        if stray:
            text_cells[name] = stray
    dates = _parse_dates(frame[date_column], source, date_column)
    values = pd.DataFrame(selected, index=pd.RangeIndex(len(frame)))
    return SeriesTable(
        source, date_column, dates, values, targets, covariates, text_cells=text_cells
    )
