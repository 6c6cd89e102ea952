"""Loader tests: column selection, date detection, and one-line errors naming file/column/rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ts_test_helpers import write_csv

from panspectra_core.errors import UserError
from panspectra_ts.data import clean_series, infer_frequency, inspect_series, load_table


def test_default_targets_are_all_numeric_columns(series_csv):
    table = load_table(series_csv)
    assert table.date_column == "date"
    assert table.targets == ["a", "b", "c", "temp"]
    assert table.values.shape == (400, 4)


def test_targets_and_covariates_order_channels(series_csv):
    table = load_table(series_csv, targets=["b", "a"], covariates=["temp"])
    assert table.columns == ["b", "a", "temp"]
    np.testing.assert_allclose(table.values[:, 0], pd.read_csv(series_csv)["b"].to_numpy())


def test_date_column_detected_by_content(tmp_path, series_frame):
    frame = series_frame.rename(columns={"date": "when"})[["a", "when", "b"]]
    assert load_table(write_csv(tmp_path, frame)).date_column == "when"


def test_parquet_is_read(tmp_path, series_frame):
    path = tmp_path / "series.parquet"
    series_frame.to_parquet(path)
    table = load_table(path, targets=["a"])
    np.testing.assert_allclose(table.values[:, 0], series_frame["a"].to_numpy())
    assert table.dates.equals(pd.DatetimeIndex(series_frame["date"]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"targets": ["nope"]}, "column 'nope' given in --targets does not exist"),
        ({"covariates": ["zzz"]}, "column 'zzz' given in --covariates"),
        ({"date_column": "when"}, "--date-column"),
        ({"targets": ["a"], "covariates": ["a"]}, "both target and covariate"),
    ],
)
def test_bad_columns_are_user_errors(series_csv, kwargs, message):
    with pytest.raises(UserError, match=message) as info:
        load_table(series_csv, **kwargs)
    assert str(series_csv) in str(info.value)


def test_missing_file_and_bad_suffix(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        load_table(tmp_path / "absent.csv")
    (tmp_path / "x.xlsx").write_text("nope")
    with pytest.raises(UserError, match="unsupported file type"):
        load_table(tmp_path / "x.xlsx")


def test_non_numeric_target_names_row(tmp_path, series_frame):
    frame = series_frame.astype({"a": object})
    frame.loc[7, "a"] = "oops"
    table = load_table(write_csv(tmp_path, frame), targets=["a", "b"])
    with pytest.raises(UserError, match=r"'a' is numeric except.*'oops'.*rows 9"):
        clean_series(table)  # a stray cell is a finding, not a reason to drop the column
    assert load_table(write_csv(tmp_path, frame)).targets == ["a", "b", "c", "temp"]


def test_unparseable_dates_name_rows(tmp_path, series_frame):
    frame = series_frame.astype({"date": str})
    frame.loc[3, "date"] = "not a date"
    with pytest.raises(UserError, match=r"not dates \(file rows 5\)"):
        load_table(write_csv(tmp_path, frame))


def test_clean_file_passes_unchanged(series_csv):
    table = load_table(series_csv)
    cleaned, report = clean_series(table)
    assert report.is_clean and report.freq == "h" and report.actions == []
    np.testing.assert_array_equal(cleaned.values, table.values)


def test_duplicates_refused_with_rows_then_merged(tmp_path, series_frame):
    frame = pd.concat([series_frame.iloc[:10], series_frame.iloc[[9]], series_frame.iloc[10:]])
    frame.iloc[10, 1] = 100.0  # the duplicate carries a different value
    table = load_table(write_csv(tmp_path, frame))
    with pytest.raises(
        UserError, match=r"duplicated timestamps in 'date' at rows 12;.*--duplicates"
    ):
        clean_series(table)
    cleaned, report = clean_series(table, duplicates="mean")
    assert len(cleaned) == 400 and report.duplicate_rows == [12]
    assert cleaned.values[9, 0] == pytest.approx((series_frame["a"][9] + 100.0) / 2)
    first, _ = clean_series(table, duplicates="first")
    assert first.values[9, 0] == series_frame["a"][9]


def test_gap_refused_then_filled(tmp_path, series_frame):
    frame = series_frame.drop(index=[50, 51, 52])
    table = load_table(write_csv(tmp_path, frame))
    report = inspect_series(table)
    assert report.gaps == [{"after_row": 51, "start": "2024-01-03 02:00:00", "missing": 3}]
    with pytest.raises(UserError, match=r"3 missing timestamp\(s\).*after row 51.*--fill"):
        clean_series(table)
    filled, report = clean_series(table, fill="interpolate")
    assert len(filled) == 400 and filled.dates.equals(pd.DatetimeIndex(series_frame["date"]))
    a = series_frame["a"].to_numpy()
    expected = a[49] + (a[53] - a[49]) * np.array([1, 2, 3]) / 4
    np.testing.assert_allclose(filled.values[50:53, 0], expected)
    assert any("inserted 3" in action for action in report.actions)
    ffilled, _ = clean_series(table, fill="ffill")
    np.testing.assert_allclose(ffilled.values[50:53, 0], a[49])
    kept, report = clean_series(table, fill="drop")
    assert len(kept) == 397 and any("kept 1 gap" in action for action in report.actions)


def test_nans_refused_then_filled(tmp_path, series_frame):
    frame = series_frame.copy()
    frame.loc[[0, 20], "b"] = np.nan
    table = load_table(write_csv(tmp_path, frame))
    with pytest.raises(UserError, match=r"column 'b' has NaN at rows 2, 22; pass --fill"):
        clean_series(table)
    zero, _ = clean_series(table, fill="zero")
    assert zero.values[20, 1] == 0.0
    ffilled, _ = clean_series(table, fill="ffill")
    b = series_frame["b"].to_numpy()
    assert ffilled.values[20, 1] == b[19] and ffilled.values[0, 1] == b[1]  # leading: back-filled
    dropped, _ = clean_series(table, fill="drop")
    assert len(dropped) == 398 and not np.isnan(dropped.values).any()


def test_unsorted_and_off_grid_refused(tmp_path, series_frame):
    swapped = series_frame.iloc[[0, 1, 3, 2, *range(4, 400)]]
    with pytest.raises(UserError, match=r"go back in time at rows 5; sort the file"):
        clean_series(load_table(write_csv(tmp_path, swapped, "swap.csv")))
    shifted = series_frame.copy()
    shifted.loc[100, "date"] += pd.Timedelta(minutes=17)
    table = load_table(write_csv(tmp_path, shifted, "shift.csv"))
    with pytest.raises(UserError, match=r"off the h grid at rows 102"):
        clean_series(table)


def test_all_nan_column_refused(tmp_path, series_frame):
    frame = series_frame.assign(b=np.nan)
    with pytest.raises(UserError, match="'b' is empty"):
        clean_series(load_table(write_csv(tmp_path, frame)), fill="ffill")


@pytest.mark.parametrize("freq", ["h", "15min", "D", "W-SUN", "MS"])
def test_frequency_inferred_despite_gaps(freq):
    dates = pd.date_range("2020-01-05", periods=60, freq=freq)
    assert infer_frequency(dates) == pd.tseries.frequencies.to_offset(freq)
    assert infer_frequency(dates.delete([10, 11, 30])) == pd.tseries.frequencies.to_offset(freq)
