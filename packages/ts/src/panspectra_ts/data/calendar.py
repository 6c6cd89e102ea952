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


_EPOCH = pd.Timestamp("1970-01-01")
_PER_YEAR = {"quarter": 4, "month": 12, "week": 52, "year": 1}


def _calendar_unit(freq: pd.DateOffset) -> str:
    """The unit a non-fixed frequency counts in: quarter, month, week, year or day."""
    if isinstance(freq, offsets.QuarterBegin | offsets.QuarterEnd):
        return "quarter"
    resolution = frequency_resolution(freq)
    return resolution if resolution in ("month", "week", "year") else "day"


def step_index(dates: pd.DatetimeIndex, freq: pd.DateOffset | str) -> np.ndarray:
    """``(len(dates),)`` int64: how many ``freq`` steps each timestamp lies after 1970-01-01.

    The position of a row on an absolute time grid, so that the same timestamp gets the same
    index in the training file and in a later file given to ``predict`` (row numbers would not),
    and gaps kept by ``--fill drop`` count as the steps they are. Fixed-length frequencies
    (``h``, ``15min``, ``D``…) count whole steps of that length; calendar frequencies count
    periods (months for ``MS``/``ME``, quarters, years, weeks); business days count days.
    Timezone-aware dates are counted in UTC.
    """
    freq = to_offset(freq) if isinstance(freq, str) else freq
    dates = pd.DatetimeIndex(dates)
    if dates.tz is not None:
        dates = dates.tz_convert("UTC").tz_localize(None)
    if isinstance(freq, offsets.Tick):
        # Timedelta floor division is unit-aware (datetime64[us] and [ns] indexes alike)
        return np.asarray((dates - _EPOCH) // pd.Timedelta(freq), dtype=np.int64)
    unit = _calendar_unit(freq)
    years = dates.year - 1970
    periods = {
        "quarter": lambda: years * 4 + (dates.month - 1) // 3,
        "month": lambda: years * 12 + dates.month - 1,
        "year": lambda: years,
        "week": lambda: (dates - _EPOCH).days // 7,
        "day": lambda: (dates - _EPOCH).days,
    }[unit]()
    n = max(int(getattr(freq, "n", 1)), 1)
    return np.asarray(periods, dtype=np.int64) // n


def default_cycle_length(freq: pd.DateOffset | str) -> int:
    """The length, in steps, of the main recurring cycle of data sampled at ``freq``.

    One day for sub-daily sampling when a day is a whole number of steps (24 for hourly data,
    96 for 15-minute data: the cycles CycleNet uses for ETT), one week for daily data (5
    business days), one year for weekly, monthly and quarterly data; 1 (no cycle) otherwise.
    Data with a weekly rhythm at hourly sampling (electricity, traffic: 168) should say so with
    ``cycle=``.
    """
    freq = to_offset(freq) if isinstance(freq, str) else freq
    if isinstance(freq, offsets.Tick):
        seconds = pd.Timedelta(freq).total_seconds()
        if seconds < 86400 and 86400 % seconds == 0:
            return int(86400 // seconds)
        return 7 if seconds == 86400 else 1
    unit = _calendar_unit(freq)
    if unit == "day":
        return 5 if isinstance(freq, offsets.BusinessDay) else 7
    per_year, n = _PER_YEAR[unit], max(int(getattr(freq, "n", 1)), 1)
    return per_year // n if per_year > 1 and per_year % n == 0 else 1
