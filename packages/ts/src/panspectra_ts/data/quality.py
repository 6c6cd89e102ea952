"""Check and repair the time axis of a series: order, duplicates, frequency, gaps and NaNs.

Nothing is repaired silently. :func:`inspect_series` lists every problem with file row numbers;
:func:`clean_series` either refuses (default policies ``"error"``, a one-line
:class:`~panspectra_core.errors.UserError` naming file, column, rows and the flag that fixes it)
or applies the policy the user chose and records what it did in the report.

Fill policies (``--fill``), for missing timestamps (gaps) and missing values — NaN, ``inf``
and stray text cells in a numeric column (``oops``) are all treated as missing values:

- ``error``: refuse (default);
- ``ffill``: put gaps on the regular grid, carry the last value forward (leading NaNs: first value);
- ``interpolate``: put gaps on the grid, interpolate linearly in time (ends: nearest value);
- ``zero``: put gaps on the grid, fill with 0;
- ``drop``: drop rows with NaNs, keep gaps and off-grid timestamps as they are (windows may
  then span a gap: the report says how many gaps remain).

Duplicate timestamps (``--duplicates``): ``error`` (default), ``first``, ``last``, ``mean``.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from panspectra_core.errors import UserError
from panspectra_ts.data.table import SeriesTable

FILL_POLICIES = ("error", "ffill", "interpolate", "zero", "drop")
DUPLICATE_POLICIES = ("error", "first", "last", "mean")
_SHOWN = 5  # row numbers listed in one-line messages


def _rows_text(rows: list[int]) -> str:
    text = ", ".join(str(r) for r in rows[:_SHOWN])
    return f"{text} ... ({len(rows)} in all)" if len(rows) > _SHOWN else text


@dataclass
class QualityReport:
    """What is wrong with (and what was done to) a series' time axis. Rows are 1-based file rows.

    Attributes:
        rows: data rows in the file.
        freq: pandas offset alias of the sampling frequency (``"h"``, ``"15min"``, ``"D"`` ...).
        unsorted_rows: rows whose timestamp is earlier than the previous row's.
        duplicate_rows: rows repeating an earlier timestamp.
        gaps: ``{"after_row", "start", "missing"}`` per run of missing timestamps on the grid.
        off_grid_rows: rows whose timestamp is not on the regular grid from the first timestamp.
        nan_rows: column → rows with a NaN value (an empty cell).
        inf_rows: column → rows with an infinite value (``inf``, ``-inf``).
        text_cells: column → rows whose cell in a numeric column is not a number.
        actions: what :func:`clean_series` changed (empty when nothing was needed).
    """

    rows: int
    freq: str | None
    unsorted_rows: list[int] = field(default_factory=list)
    duplicate_rows: list[int] = field(default_factory=list)
    gaps: list[dict] = field(default_factory=list)
    off_grid_rows: list[int] = field(default_factory=list)
    nan_rows: dict[str, list[int]] = field(default_factory=dict)
    inf_rows: dict[str, list[int]] = field(default_factory=dict)
    text_cells: dict[str, list[int]] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)

    @property
    def missing_timestamps(self) -> int:
        return sum(g["missing"] for g in self.gaps)

    @property
    def is_clean(self) -> bool:
        return not (
            self.unsorted_rows
            or self.duplicate_rows
            or self.gaps
            or self.off_grid_rows
            or self.nan_rows
            or self.inf_rows
            or self.text_cells
        )

    @property
    def has_missing_values(self) -> bool:
        """NaN, inf or stray text cells: what the fill policies repair."""
        return bool(self.nan_rows or self.inf_rows or self.text_cells)

    def issues(self) -> list[str]:
        """One human-readable line per problem found."""
        lines = []
        if self.unsorted_rows:
            lines.append(f"timestamps go back in time at rows {_rows_text(self.unsorted_rows)}")
        if self.duplicate_rows:
            lines.append(f"duplicated timestamps at rows {_rows_text(self.duplicate_rows)}")
        if self.gaps:
            first = self.gaps[0]
            lines.append(
                f"{self.missing_timestamps} missing timestamp(s) at frequency {self.freq} in "
                f"{len(self.gaps)} gap(s), first after row {first['after_row']} "
                f"({first['missing']} step(s) from {first['start']})"
            )
        if self.off_grid_rows:
            lines.append(
                f"timestamps off the {self.freq} grid at rows {_rows_text(self.off_grid_rows)}"
            )
        for column, rows in self.nan_rows.items():
            lines.append(f"column {column!r} has NaN at rows {_rows_text(rows)}")
        for column, rows in self.inf_rows.items():
            lines.append(f"column {column!r} has inf at rows {_rows_text(rows)}")
        for column, rows in self.text_cells.items():
            lines.append(f"column {column!r} has non-numeric cells at rows {_rows_text(rows)}")
        return lines

    def to_dict(self) -> dict:
        """JSON-ready summary (row lists truncated to 100 entries)."""
        out = asdict(self)
        for key in ("unsorted_rows", "duplicate_rows", "off_grid_rows"):
            out[key] = out[key][:100]
        out["gaps"] = out["gaps"][:100]
        for key in ("nan_rows", "inf_rows", "text_cells"):
            out[key] = {k: v[:100] for k, v in out[key].items()}
        out["missing_timestamps"] = self.missing_timestamps
        return out


def _infer_freq(dates: pd.DatetimeIndex) -> pd.DateOffset | None:
    """``pd.infer_freq`` as an offset (pandas 3 warns that it will return offsets itself)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alias = pd.infer_freq(dates)
    return to_offset(alias) if alias is not None else None


def infer_frequency(dates: pd.DatetimeIndex) -> pd.DateOffset | None:
    """The sampling frequency of sorted, unique ``dates``, robust to a few gaps.

    ``pd.infer_freq`` on the whole index when it is regular; otherwise the most common answer
    of ``pd.infer_freq`` over short chunks (a gap spoils only its chunk); otherwise the modal
    time step. ``None`` when fewer than 3 distinct timestamps exist.
    """
    unique = pd.DatetimeIndex(dates.unique()).sort_values()
    if len(unique) < 3:
        return None
    offset = _infer_freq(unique)
    if offset is not None:
        return offset
    votes: Counter[str] = Counter()
    chunk = 8
    stride = max(1, (len(unique) - chunk) // 64)
    for start in range(0, max(1, len(unique) - chunk + 1), stride):
        part = unique[start : start + chunk]
        if len(part) >= 3 and (guess := _infer_freq(part)) is not None:
            votes[guess.freqstr] += 1
    if votes:
        return to_offset(votes.most_common(1)[0][0])
    steps = np.diff(unique.asi8)
    values, counts = np.unique(steps, return_counts=True)
    return to_offset(pd.Timedelta(int(values[np.argmax(counts)])))


def parse_frequency(text: str) -> pd.DateOffset:
    """``--freq`` text (pandas alias such as ``h``, ``15min``, ``D``, ``MS``) → offset."""
    try:
        return to_offset(text)
    except ValueError:
        raise UserError(
            f"--freq {text!r} is not a pandas frequency alias (examples: h, 15min, D, W, MS)"
        ) from None


def inspect_series(table: SeriesTable, freq: pd.DateOffset | None = None) -> QualityReport:
    """Find every time-axis problem of ``table`` without changing it."""
    dates = table.dates
    positions = np.arange(len(dates))
    steps = np.diff(dates.asi8)
    unsorted = positions[1:][steps < 0]
    duplicated = positions[dates.duplicated(keep="first")]
    if freq is None:
        freq = infer_frequency(dates)
    report = QualityReport(
        rows=len(dates),
        freq=freq.freqstr if freq is not None else None,
        unsorted_rows=table.file_rows(unsorted),
        duplicate_rows=table.file_rows(duplicated),
    )
    for column in table.columns:
        values = table.frame[column].to_numpy(dtype=np.float64)
        text = [position for position, _ in table.text_cells.get(column, [])]
        nan_positions = np.setdiff1d(np.flatnonzero(np.isnan(values)), text)
        if nan_positions.size:
            report.nan_rows[column] = table.file_rows(nan_positions)
        if (inf_positions := np.flatnonzero(np.isinf(values))).size:
            report.inf_rows[column] = table.file_rows(inf_positions)
        if text:
            report.text_cells[column] = table.file_rows(text)
    if freq is None or unsorted.size:
        return report
    grid = pd.date_range(dates[0], dates[-1], freq=freq)
    on_grid = dates.isin(grid)
    report.off_grid_rows = table.file_rows(positions[~on_grid])
    present = grid.isin(dates)
    missing = np.flatnonzero(~present)
    if missing.size:
        run_starts = missing[np.r_[True, np.diff(missing) > 1]]
        run_ends = missing[np.r_[np.diff(missing) > 1, True]]
        for start, end in zip(run_starts, run_ends):
            previous = grid[start - 1]
            after = int(np.flatnonzero(dates == previous)[0]) if start > 0 else -1
            report.gaps.append(
                {
                    "after_row": table.file_rows([after])[0] if after >= 0 else None,
                    "start": str(grid[start]),
                    "missing": int(end - start + 1),
                }
            )
    return report


def _resolve_duplicates(table: SeriesTable, policy: str) -> SeriesTable:
    frame = table.frame.copy()
    frame.index = table.dates
    grouped = frame.groupby(level=0, sort=False)
    merged = {"first": grouped.first, "last": grouped.last, "mean": grouped.mean}[policy]()
    return replace(table, dates=pd.DatetimeIndex(merged.index), frame=merged.reset_index(drop=True))


def _fill_values(frame: pd.DataFrame, dates: pd.DatetimeIndex, policy: str) -> pd.DataFrame:
    if policy == "ffill":
        return frame.ffill().bfill()
    if policy == "zero":
        return frame.fillna(0.0)
    if policy == "interpolate":
        timed = frame.set_axis(dates)
        return timed.interpolate(method="time", limit_direction="both").reset_index(drop=True)
    raise ValueError(policy)


_FILL_FLAGS = "pass --fill ffill|interpolate|zero|drop"


def _refuse_missing_values(table: SeriesTable, report: QualityReport) -> None:
    """One-line UserError for the first column with stray text, inf or NaN cells."""
    src = table.source
    for column, cells in table.text_cells.items():
        rows = report.text_cells[column]
        raise UserError(
            f"{src}: column {column!r} is numeric except for {len(rows)} non-numeric cell(s) "
            f"(e.g. {cells[0][1]!r}) at rows {_rows_text(rows)}; fix them, {_FILL_FLAGS} to "
            "treat them as missing, or choose other columns with --targets"
        )
    for column, rows in report.inf_rows.items():
        raise UserError(
            f"{src}: column {column!r} has inf at rows {_rows_text(rows)}; fix them or "
            f"{_FILL_FLAGS} to treat them as missing"
        )
    for column, rows in report.nan_rows.items():
        raise UserError(
            f"{src}: column {column!r} has NaN at rows {_rows_text(rows)}; {_FILL_FLAGS}"
        )


def _missing_as_nan(
    table: SeriesTable, report: QualityReport
) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """The frame with inf set to NaN (stray text cells already are), the actions recorded."""
    frame = table.frame
    for column, rows in report.text_cells.items():
        report.actions.append(
            f"treated {len(rows)} non-numeric cell(s) in column {column!r} as missing "
            f"(rows {_rows_text(rows)})"
        )
    if report.inf_rows:
        frame = frame.replace([np.inf, -np.inf], np.nan)
        count = sum(len(rows) for rows in report.inf_rows.values())
        columns = ", ".join(repr(c) for c in report.inf_rows)
        report.actions.append(f"treated {count} inf value(s) in {columns} as missing")
    return frame, table.dates


def clean_series(
    table: SeriesTable,
    *,
    fill: str = "error",
    duplicates: str = "error",
    freq: pd.DateOffset | None = None,
) -> tuple[SeriesTable, QualityReport]:
    """Validate ``table`` and apply the chosen repair policies (see module docstring).

    Returns:
        (cleaned table on a regular grid unless ``fill="drop"``, report of the ORIGINAL file
        with ``actions`` listing what was changed). Raises UserError for a refused problem.
    """
    if fill not in FILL_POLICIES:
        raise UserError(f"--fill {fill!r}: expected one of {', '.join(FILL_POLICIES)}")
    if duplicates not in DUPLICATE_POLICIES:
        raise UserError(
            f"--duplicates {duplicates!r}: expected one of {', '.join(DUPLICATE_POLICIES)}"
        )
    src, date_col = table.source, table.date_column
    report = inspect_series(table, freq)
    if report.unsorted_rows:
        raise UserError(
            f"{src}: timestamps in {date_col!r} go back in time at rows "
            f"{_rows_text(report.unsorted_rows)}; sort the file by {date_col!r}"
        )
    for column, rows in report.nan_rows.items():
        if len(rows) + len(report.text_cells.get(column, [])) == len(table):
            raise UserError(f"{src}: column {column!r} is empty (all NaN); drop it from --targets")
    if report.freq is None:
        raise UserError(f"{src}: cannot infer a frequency from fewer than 3 timestamps")
    offset = to_offset(report.freq)
    if report.duplicate_rows:
        if duplicates == "error":
            raise UserError(
                f"{src}: duplicated timestamps in {date_col!r} at rows "
                f"{_rows_text(report.duplicate_rows)}; pass --duplicates first|last|mean"
            )
        table = _resolve_duplicates(table, duplicates)
        report.actions.append(
            f"merged {len(report.duplicate_rows)} duplicated row(s) ({duplicates})"
        )
    if report.off_grid_rows and fill != "drop":
        raise UserError(
            f"{src}: timestamps off the {report.freq} grid at rows "
            f"{_rows_text(report.off_grid_rows)}; resample the file, set --freq, or pass "
            "--fill drop to use the rows as an ordered sequence"
        )
    if report.gaps and fill == "error":
        first = report.gaps[0]
        raise UserError(
            f"{src}: {report.missing_timestamps} missing timestamp(s) at frequency {report.freq} "
            f"(first gap after row {first['after_row']}: {first['missing']} step(s) from "
            f"{first['start']}); pass --fill ffill|interpolate|zero to fill, "
            "or --fill drop to keep the gaps"
        )
    if fill == "error":
        _refuse_missing_values(table, report)
    frame, dates = _missing_as_nan(table, report)
    if fill == "drop":
        keep = frame.notna().all(axis=1).to_numpy()
        if not keep.all():
            report.actions.append(f"dropped {int((~keep).sum())} row(s) with NaN")
        frame, dates = frame[keep].reset_index(drop=True), dates[keep]
        if report.gaps or report.off_grid_rows:
            report.actions.append(
                f"kept {len(report.gaps)} gap(s) and {len(report.off_grid_rows)} "
                "off-grid row(s) as is"
            )
    elif report.gaps or report.has_missing_values:
        grid = pd.date_range(dates[0], dates[-1], freq=offset)
        if len(grid) != len(dates):
            frame = frame.set_axis(dates).reindex(grid).reset_index(drop=True)
            report.actions.append(f"inserted {len(grid) - len(dates)} missing timestamp(s)")
            dates = grid
        filled = int(frame.isna().to_numpy().sum())
        frame = _fill_values(frame, dates, fill)
        report.actions.append(f"filled {filled} missing value(s) ({fill})")
    return replace(table, dates=pd.DatetimeIndex(dates), frame=frame), report
