"""Turn a cleaned table into the three normalized splits a forecaster trains and is scored on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from panspectra_ts.data.calendar import calendar_features, step_index
from panspectra_ts.data.protocol import SplitBorders, StandardScaler, split_borders
from panspectra_ts.data.quality import QualityReport
from panspectra_ts.data.table import SeriesTable
from panspectra_ts.data.windows import ForecastWindows

SPLITS = ("train", "val", "test")
EVAL_SPLITS = (*SPLITS, "all")  # "all": every window of the series


@dataclass
class PreparedSeries:
    """A cleaned series with its split borders and the scaler fitted on the training rows.

    Attributes:
        table: cleaned table (regular grid unless ``--fill drop``).
        report: quality report of the original file (with the actions taken).
        freq: pandas frequency alias.
        borders: row ranges of train / val / test (val and test include ``lookback`` context).
        scaler: per-channel scaler fitted on ``borders.train`` rows only.
        normalized: ``(rows, channels)`` float32 scaled values (targets, then covariates).
        marks: ``(rows, features)`` float32 calendar features.
        time_index: ``(rows,)`` int64 steps since 1970 at ``freq`` (:func:`step_index`).
        lookback, horizon: window sizes ``L`` and ``H``.
        name: dataset name or file path.
        protocol: the ``[protocol]`` table used for the borders.
    """

    table: SeriesTable
    report: QualityReport
    freq: str
    borders: SplitBorders
    scaler: StandardScaler
    normalized: np.ndarray
    marks: np.ndarray
    time_index: np.ndarray
    lookback: int
    horizon: int
    name: str
    protocol: dict[str, Any]

    @property
    def num_targets(self) -> int:
        return len(self.table.targets)

    @property
    def num_channels(self) -> int:
        return len(self.table.columns)

    def rows(self, split: str) -> tuple[int, int]:
        """Row range ``[start, end)`` of ``split`` (one of :data:`EVAL_SPLITS`)."""
        if split not in EVAL_SPLITS:
            raise ValueError(f"split must be one of {EVAL_SPLITS}, got {split!r}")
        return (0, len(self.normalized)) if split == "all" else getattr(self.borders, split)

    def windows(self, split: str, *, with_marks: bool = False) -> ForecastWindows:
        """All stride-1 windows of ``split`` (``"train"``, ``"val"``, ``"test"`` or ``"all"``)."""
        start, end = self.rows(split)
        marks = self.marks[start:end] if with_marks else None
        return ForecastWindows(
            self.normalized[start:end],
            self.lookback,
            self.horizon,
            num_targets=self.num_targets,
            marks=marks,
            time_index=self.time_index[start:end],
        )


def prepare_series(
    table: SeriesTable,
    report: QualityReport,
    *,
    lookback: int,
    horizon: int,
    protocol: dict[str, Any] | None = None,
    name: str | None = None,
) -> PreparedSeries:
    """Split ``table`` by ``protocol`` (see :func:`~panspectra_ts.data.protocol.split_borders`),
    fit the scaler on the training rows only and normalize every row with it."""
    if lookback < 1 or horizon < 1:
        raise ValueError(f"lookback and horizon must be positive, got {lookback}, {horizon}")
    protocol = dict(protocol or {"kind": "ratio", "train": 0.7, "test": 0.2})
    values = table.values
    borders = split_borders(protocol, len(values), lookback, horizon, source=table.source)
    start, end = borders.scaler
    scaler = StandardScaler.fit(values[start:end])
    normalized = scaler.transform(values).astype(np.float32)
    return PreparedSeries(
        table=table,
        report=report,
        freq=report.freq,
        borders=borders,
        scaler=scaler,
        normalized=normalized,
        marks=calendar_features(table.dates, report.freq),
        time_index=step_index(table.dates, report.freq),
        lookback=lookback,
        horizon=horizon,
        name=name or table.source,
        protocol=protocol,
    )
