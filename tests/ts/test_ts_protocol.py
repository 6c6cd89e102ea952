"""Protocol tests: TSLib borders, train-only scaler, all test windows counted, calendar features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from ts_test_helpers import ett_file, make_series_frame

from panspectra_core.errors import UserError
from panspectra_ts.data import (
    ForecastWindows,
    StandardScaler,
    calendar_features,
    clean_series,
    count_windows,
    fixed_borders,
    load_table,
    make_loader,
    prepare_series,
    ratio_borders,
)
from panspectra_ts.data.table import SeriesTable

ETT_HOURLY = {"kind": "fixed", "train_rows": 8640, "val_rows": 2880, "test_rows": 2880}


def _table(rows: int = 400) -> SeriesTable:
    frame = make_series_frame(rows)
    return SeriesTable(
        "synthetic",
        "date",
        pd.DatetimeIndex(frame["date"]),
        frame[["a", "b", "c"]].reset_index(drop=True),
        ["a", "b", "c"],
        [],
    )


def _prepared(rows: int = 400, lookback: int = 48, horizon: int = 24, **kw):
    table, report = clean_series(_table(rows))
    return prepare_series(table, report, lookback=lookback, horizon=horizon, **kw)


def test_ett_borders_match_time_series_library():
    borders = fixed_borders(8640, 2880, 2880, lookback=96)
    assert borders.train == (0, 8640)
    assert borders.val == (8640 - 96, 11520)
    assert borders.test == (11520 - 96, 14400)
    minute = fixed_borders(4 * 8640, 4 * 2880, 4 * 2880, lookback=96)
    assert minute.test == (4 * 11520 - 96, 4 * 14400)


def test_ratio_borders_match_dataset_custom():
    rows, L = 26304, 96  # electricity
    borders = ratio_borders(rows, L)
    n_train, n_test = int(rows * 0.7), int(rows * 0.2)
    assert borders.train == (0, n_train)
    assert borders.val == (n_train - L, rows - n_test)
    assert borders.test == (rows - n_test - L, rows)


def test_scaler_uses_no_row_after_training_split():
    data = _prepared()
    train_end = data.borders.train[1]
    values = data.table.values
    np.testing.assert_allclose(data.scaler.mean, values[:train_end].mean(0))
    np.testing.assert_allclose(data.scaler.std, values[:train_end].std(0))
    # changing every val/test row leaves the scaler and the training inputs unchanged
    table = data.table
    poisoned = table.frame.copy()
    poisoned.iloc[train_end:] = 1e6
    table2 = SeriesTable(table.source, table.date_column, table.dates, poisoned, table.targets, [])
    data2 = prepare_series(table2, data.report, lookback=48, horizon=24)
    np.testing.assert_array_equal(data2.scaler.mean, data.scaler.mean)
    np.testing.assert_array_equal(data2.normalized[:train_end], data.normalized[:train_end])


def test_scaler_round_trip_and_constant_column():
    values = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    scaler = StandardScaler.fit(values)
    assert scaler.std[1] == 1.0  # like scikit-learn: constant column keeps scale 1
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(values)), values)
    assert StandardScaler.from_dict(scaler.to_dict()).to_dict() == scaler.to_dict()


@pytest.mark.parametrize(("lookback", "horizon"), [(48, 24), (24, 1), (60, 17)])
def test_window_counts_and_contents(lookback, horizon):
    data = _prepared(lookback=lookback, horizon=horizon)
    for split in ("train", "val", "test"):
        start, end = data.rows(split)
        windows = data.windows(split)
        assert (
            len(windows)
            == end - start - lookback - horizon + 1
            == count_windows(end - start, lookback, horizon)
        )
    test = data.windows("test")
    start = data.rows("test")[0]
    last = test[len(test) - 1]
    np.testing.assert_array_equal(last["y"].numpy(), data.normalized[-horizon:])
    np.testing.assert_array_equal(test[0]["x"].numpy(), data.normalized[start : start + lookback])
    # the first test target is the first row after the validation split
    assert start + lookback == data.borders.val[1]
    with pytest.raises(IndexError):
        test[len(test)]


def test_eval_loader_keeps_last_partial_batch():
    windows = ForecastWindows(np.zeros((100, 2)), lookback=10, horizon=5)
    assert len(windows) == 86
    sizes = [len(b["x"]) for b in make_loader(windows, batch_size=32)]
    assert sizes == [32, 32, 22]
    train_sizes = [len(b["x"]) for b in make_loader(windows, batch_size=32, shuffle=True)]
    assert train_sizes == [32, 32]


def test_shuffle_order_depends_only_on_seed():
    windows = ForecastWindows(np.arange(200.0)[:, None], lookback=4, horizon=2)
    first = [b["x"][:, 0, 0] for b in make_loader(windows, 16, shuffle=True, seed=3)]
    torch.manual_seed(123)  # global RNG must not matter
    second = [b["x"][:, 0, 0] for b in make_loader(windows, 16, shuffle=True, seed=3)]
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_covariates_are_inputs_not_targets():
    frame = make_series_frame(300)
    table = SeriesTable(
        "s", "date", pd.DatetimeIndex(frame["date"]), frame[["a", "temp"]], ["a"], ["temp"]
    )
    data = prepare_series(table, clean_series(table)[1], lookback=24, horizon=12)
    item = data.windows("train")[0]
    assert item["x"].shape == (24, 2) and item["y"].shape == (12, 1)


def test_too_short_series_is_a_user_error():
    with pytest.raises(UserError, match=r"too few for lookback 96 \+ horizon 96"):
        _prepared(rows=300, lookback=96, horizon=96)


def test_calendar_features_match_timef():
    dates = pd.DatetimeIndex(["2021-03-07 13:00", "2021-12-31 23:00"])
    features = calendar_features(dates, "h")  # hour, weekday, day of month, day of year
    expected = (
        np.array([[13 / 23, 6 / 6, 6 / 30, 65 / 365], [1.0, 4 / 6, 30 / 30, 364 / 365]]) - 0.5
    )
    np.testing.assert_allclose(features, expected, rtol=1e-6)
    assert calendar_features(dates, "15min").shape == (2, 5)
    assert calendar_features(dates, "MS").shape == (2, 1)
    assert np.all(
        np.abs(calendar_features(pd.date_range("2020", periods=500, freq="7h"), "h")) <= 0.5
    )


@pytest.mark.data
def test_etth1_protocol_window_counts():
    table, report = clean_series(load_table(ett_file("ETTh1")))
    data = prepare_series(table, report, lookback=96, horizon=96, protocol=ETT_HOURLY)
    assert report.freq == "h" and report.is_clean
    assert (len(data.windows("train")), len(data.windows("val")), len(data.windows("test"))) == (
        8449,
        2785,
        2785,
    )
    raw = pd.read_csv(ett_file("ETTh1")).iloc[:8640, 1:].to_numpy()
    np.testing.assert_allclose(data.scaler.mean, raw.mean(0))
