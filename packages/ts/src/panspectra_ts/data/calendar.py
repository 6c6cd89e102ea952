"""Calendar features from timestamps, scaled to [-0.5, 0.5] ("timeF" of Informer / TSLib).

Reference: Zhou et al., *Informer*, AAAI 2021, and Time-Series-Library
``utils/timefeatures.py``: each feature is ``value / (period - 1) - 0.5``; which features are
used depends on the sampling frequency (finer sampling → more features).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries import offsets
from pandas.tseries.frequencies import to_offset

# name → function(DatetimeIndex) → float array in [-0.5, 0.5]
FEATURES = {
    "second_of_minute": lambda d: d.second / 59.0 - 0.5,
    "minute_of_hour": lambda d: d.minute / 59.0 - 0.5,
    "hour_of_day": lambda d: d.hour / 23.0 - 0.5,
    "day_of_week": lambda d: d.day_of_week / 6.0 - 0.5,
    "day_of_month": lambda d: (d.day - 1) / 30.0 - 0.5,
    "day_of_year": lambda d: (d.day_of_year - 1) / 365.0 - 0.5,
    "month_of_year": lambda d: (d.month - 1) / 11.0 - 0.5,
    "week_of_year": lambda d: (d.isocalendar().week.to_numpy(dtype=np.float64) - 1) / 52.0 - 0.5,
}

_BY_RESOLUTION = {
    "second": [
        "second_of_minute",
        "minute_of_hour",
        "hour_of_day",
        "day_of_week",
        "day_of_month",
        "day_of_year",
    ],
    "minute": ["minute_of_hour", "hour_of_day", "day_of_week", "day_of_month", "day_of_year"],
    "hour": ["hour_of_day", "day_of_week", "day_of_month", "day_of_year"],
    "day": ["day_of_week", "day_of_month", "day_of_year"],
    "week": ["day_of_month", "week_of_year"],
    "month": ["month_of_year"],
    "year": [],
}


def frequency_resolution(freq: pd.DateOffset | str) -> str:
    """Coarse resolution of a pandas offset: second, minute, hour, day, week, month or year."""
    freq = to_offset(freq) if isinstance(freq, str) else freq
    if isinstance(freq, offsets.Tick):
        seconds = pd.Timedelta(freq).total_seconds()
        for name, limit in (("second", 60), ("minute", 3600), ("hour", 86400)):
            if seconds < limit:
                return name
        return "day" if seconds < 7 * 86400 else "week"
    if isinstance(freq, offsets.Week):
        return "week"
    if isinstance(freq, offsets.YearBegin | offsets.YearEnd):
        return "year"
    if isinstance(
        freq,
        offsets.MonthBegin
        | offsets.MonthEnd
        | offsets.QuarterBegin
        | offsets.QuarterEnd
        | offsets.BusinessMonthBegin
        | offsets.BusinessMonthEnd,
    ):
        return "month"
    return "day"  # business days and other day-like offsets


def feature_names(freq: pd.DateOffset | str) -> list[str]:
    """Names of the calendar features used for sampling frequency ``freq`` (TSLib's choice)."""
    return list(_BY_RESOLUTION[frequency_resolution(freq)])


def calendar_features(dates: pd.DatetimeIndex, freq: pd.DateOffset | str) -> np.ndarray:
    """``(len(dates), n_features)`` float32 array of timeF features for ``freq``.

    Yearly data has no features: the array then has 0 columns.
    """
    names = feature_names(freq)
    columns = [np.asarray(FEATURES[name](dates), dtype=np.float64) for name in names]
    if not columns:
        return np.zeros((len(dates), 0), dtype=np.float32)
    return np.stack(columns, axis=1).astype(np.float32)
