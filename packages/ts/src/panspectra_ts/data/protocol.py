"""The long-horizon forecasting protocol: chronological split borders and the train-only scaler.

Borders follow Time-Series-Library (Wu et al., *TimesNet*, ICLR 2023; ``data_provider/
data_loader.py``), which every paper in the PatchTST / iTransformer / Mamba line reports on:

- ETT (``fixed``): 12/4/4 months. Hourly: train rows ``[0, 8640)``, val ``[8640 - L, 11520)``,
  test ``[11520 - L, 14400)``; 15-minute data ×4. Rows after 20 months are unused.
- everything else (``ratio``): chronological 70 / 10 / 20 %: ``n_train = int(0.7 n)``,
  ``n_test = int(0.2 n)``, ``n_val = n - n_train - n_test``.

Validation and test slices start ``L`` (lookback) rows early, so their first window's input is
the end of the previous split and their first *target* is the split's first row. The scaler is
fitted on the training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from panspectra_core.errors import UserError


@dataclass(frozen=True)
class SplitBorders:
    """Row ranges ``[start, end)`` of the three slices (val/test include their lookback context).

    ``scaler`` is the range the scaler is fitted on (= the training rows).
    """

    train: tuple[int, int]
    val: tuple[int, int]
    test: tuple[int, int]

    @property
    def scaler(self) -> tuple[int, int]:
        return self.train

    def to_dict(self) -> dict[str, list[int]]:
        return {"train": list(self.train), "val": list(self.val), "test": list(self.test)}


def fixed_borders(train_rows: int, val_rows: int, test_rows: int, lookback: int) -> SplitBorders:
    """TSLib's ETT borders from fixed row counts (8640/2880/2880 hourly, ×4 at 15 minutes)."""
    a, b, c = train_rows, train_rows + val_rows, train_rows + val_rows + test_rows
    return SplitBorders(train=(0, a), val=(a - lookback, b), test=(b - lookback, c))


def ratio_borders(rows: int, lookback: int, train: float = 0.7, test: float = 0.2) -> SplitBorders:
    """TSLib's ``Dataset_Custom`` borders: chronological ``train`` / rest / ``test`` fractions."""
    n_train = int(rows * train)
    n_test = int(rows * test)
    n_val = rows - n_train - n_test
    return SplitBorders(
        train=(0, n_train),
        val=(n_train - lookback, n_train + n_val),
        test=(rows - n_test - lookback, rows),
    )


def split_borders(
    protocol: dict[str, Any] | None, rows: int, lookback: int, horizon: int, source: str = "data"
) -> SplitBorders:
    """Borders for a ``[protocol]`` table (``kind = "fixed"`` with ``train_rows``/``val_rows``/
    ``test_rows``, or ``kind = "ratio"`` with ``train``/``test`` fractions; default ratio 0.7/0.2),
    checked so that every split has at least one full window."""
    protocol = dict(protocol or {})
    kind = protocol.get("kind", "ratio")
    if kind == "fixed":
        borders = fixed_borders(
            int(protocol["train_rows"]),
            int(protocol["val_rows"]),
            int(protocol["test_rows"]),
            lookback,
        )
        if borders.test[1] > rows:
            raise UserError(
                f"{source}: the fixed split needs {borders.test[1]} rows but the data has {rows}"
            )
    elif kind == "ratio":
        borders = ratio_borders(
            rows, lookback, float(protocol.get("train", 0.7)), float(protocol.get("test", 0.2))
        )
    else:
        raise ValueError(f"unknown split kind {kind!r} (expected 'fixed' or 'ratio')")
    for name in ("train", "val", "test"):
        start, end = getattr(borders, name)
        if start < 0 or end - start < lookback + horizon:
            raise UserError(
                f"{source}: {rows} rows are too few for lookback {lookback} + horizon {horizon} "
                f"(the {name} split has {max(end - max(start, 0), 0)} rows, needs "
                f"{lookback + horizon}); lower --lookback/--horizon or use a longer file"
            )
    return borders


#: (lookback, horizon) pairs tried for a file given without them, longest first: the
#: long-horizon papers' 96/96, then shorter horizons, then the short-series protocol of the
#: weekly ILI set (36/24) and below
DEFAULT_WINDOW_LADDER = (
    (96, 96),
    (96, 48),
    (96, 24),
    (48, 24),
    (36, 24),
    (36, 12),
    (24, 12),
    (24, 6),
    (12, 6),
    (12, 3),
)


#: the lookback a file gets when its training split is long enough: with it, the default model
#: (CycleNet) had a lower test MSE than with the papers' 96 in 11 of the 12 ETTh1/ETTh2/ETTm1 ×
#: horizon cells at the same 2 CPU-minutes per run (docs/ts.md, "How far back to look")
LONG_LOOKBACK = 336
#: ... when the longer lookback keeps at least this share of the training windows of the
#: ladder's lookback (each extra step of lookback is one training window fewer)
LONG_LOOKBACK_MIN_SHARE = 0.9


def default_window_lengths(
    protocol: dict[str, Any] | None,
    rows: int,
    lookback: int | None = None,
    horizon: int | None = None,
) -> tuple[int, int]:
    """The ``(lookback, horizon)`` of a file given without them.

    The horizon (and a first lookback) is the longest pair of :data:`DEFAULT_WINDOW_LADDER`
    that the file's split holds with more validation windows than the horizon (so early
    stopping and the baseline test see at least two forecasts that do not overlap), keeping a
    value the user gave: a long file gets the papers' 96/96, a 726-row daily file 96/24, a
    966-row weekly one 96/48. Unless the user set the lookback, it then grows to
    :data:`LONG_LOOKBACK` where that keeps at least :data:`LONG_LOOKBACK_MIN_SHARE` of the
    training windows (ETTh1's 12 training months: 336). When nothing fits, the papers' values
    (or the user's) are returned and :func:`split_borders` explains why they do not fit.
    """
    for ladder_lookback, ladder_horizon in DEFAULT_WINDOW_LADDER:
        candidate = (lookback or ladder_lookback, horizon or ladder_horizon)
        try:
            borders = split_borders(protocol, rows, *candidate)
        except UserError:
            continue
        if horizon is None and _validation_windows(borders, *candidate) <= candidate[1]:
            continue  # every validation window would overlap every other: nothing to test
        if lookback is None and candidate[0] < LONG_LOOKBACK:
            return _longer_lookback(protocol, rows, candidate, borders)
        return candidate
    return lookback or DEFAULT_WINDOW_LADDER[0][0], horizon or DEFAULT_WINDOW_LADDER[0][1]


def _validation_windows(borders: SplitBorders, lookback: int, horizon: int) -> int:
    return count_windows(borders.val[1] - borders.val[0], lookback, horizon)


def _longer_lookback(
    protocol: dict[str, Any] | None, rows: int, pair: tuple[int, int], borders: SplitBorders
) -> tuple[int, int]:
    """``(LONG_LOOKBACK, H)`` when the split holds it and keeps enough training windows."""
    lookback, horizon = pair
    try:
        long_borders = split_borders(protocol, rows, LONG_LOOKBACK, horizon)
    except UserError:
        return pair
    train = count_windows(borders.train[1] - borders.train[0], lookback, horizon)
    long_train = count_windows(
        long_borders.train[1] - long_borders.train[0], LONG_LOOKBACK, horizon
    )
    return (LONG_LOOKBACK, horizon) if long_train >= LONG_LOOKBACK_MIN_SHARE * train else pair


def count_windows(rows: int, lookback: int, horizon: int) -> int:
    """Number of sliding windows (stride 1) in a slice of ``rows`` rows: ``rows - L - H + 1``."""
    return max(rows - lookback - horizon + 1, 0)


@dataclass
class StandardScaler:
    """Per-column z-scoring, equal to scikit-learn's ``StandardScaler`` (population std, and
    scale 1 for constant columns). ``mean``, ``std``: ``(channels,)`` float64."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> StandardScaler:
        """Fit on ``(rows, channels)`` values (the training rows only)."""
        values = np.asarray(values, dtype=np.float64)
        mean = values.mean(axis=0)
        std = values.std(axis=0)
        std = np.where(std > np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0), std, 1.0)
        return cls(mean, std)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """``(..., channels)`` original units → normalized."""
        return (values - self.mean) / self.std

    def inverse_transform(self, values: np.ndarray, channels: slice | None = None) -> np.ndarray:
        """``(..., c)`` normalized → original units; ``channels`` selects the scaler's columns
        that ``values`` holds (default: all)."""
        channels = slice(None) if channels is None else channels
        return values * self.std[channels] + self.mean[channels]

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> StandardScaler:
        return cls(
            np.asarray(data["mean"], dtype=np.float64), np.asarray(data["std"], dtype=np.float64)
        )
