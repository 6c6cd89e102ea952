"""Time-series data: file loading, time-axis checks, calendar features, split protocol, windows.

- :func:`load_table` reads any CSV/Parquet (date column auto-detected, targets and covariates);
- :func:`clean_series` refuses or repairs (explicit ``fill`` / ``duplicates`` policies) gaps,
  duplicated timestamps, off-grid rows and NaNs, reporting file row numbers;
- :func:`prepare_series` applies the Time-Series-Library borders and the train-only scaler;
- :class:`ForecastWindows` yields every stride-1 window of a split as ``{"x", "y"}`` dicts.
"""

from panspectra_ts.data.calendar import calendar_features, feature_names
from panspectra_ts.data.named import available_datasets, load_named_table, resolve_dataset_name
from panspectra_ts.data.prepare import EVAL_SPLITS, SPLITS, PreparedSeries, prepare_series
from panspectra_ts.data.protocol import (
    SplitBorders,
    StandardScaler,
    count_windows,
    fixed_borders,
    ratio_borders,
    split_borders,
)
from panspectra_ts.data.quality import (
    DUPLICATE_POLICIES,
    FILL_POLICIES,
    QualityReport,
    clean_series,
    infer_frequency,
    inspect_series,
    parse_frequency,
)
from panspectra_ts.data.table import SeriesTable, load_table, read_frame
from panspectra_ts.data.windows import ForecastWindows, make_loader

__all__ = [
    "DUPLICATE_POLICIES",
    "EVAL_SPLITS",
    "FILL_POLICIES",
    "SPLITS",
    "ForecastWindows",
    "PreparedSeries",
    "QualityReport",
    "SeriesTable",
    "SplitBorders",
    "StandardScaler",
    "available_datasets",
    "calendar_features",
    "clean_series",
    "count_windows",
    "feature_names",
    "fixed_borders",
    "infer_frequency",
    "inspect_series",
    "load_named_table",
    "load_table",
    "make_loader",
    "parse_frequency",
    "prepare_series",
    "ratio_borders",
    "read_frame",
    "resolve_dataset_name",
    "split_borders",
]
