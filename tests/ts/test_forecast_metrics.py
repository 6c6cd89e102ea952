"""Metric tests: streaming accumulation equals the reference; every test window is scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from ts_test_helpers import make_series_frame

from panspectra_ts.data import StandardScaler, clean_series, prepare_series
from panspectra_ts.data.table import SeriesTable
from panspectra_ts.eval import (
    ForecastMetrics,
    evaluate_split,
    forecast_errors_reference,
    sample_forecasts,
)


def test_streaming_metrics_equal_reference():
    rng = np.random.default_rng(0)
    pred, true = rng.standard_normal((2, 37, 8, 3))
    scaler = StandardScaler(np.array([1.0, -2.0, 5.0, 9.0]), np.array([0.5, 2.0, 3.0, 7.0]))
    names = ["x", "y", "z"]
    reference = forecast_errors_reference(pred, true, scaler, names)
    metrics = ForecastMetrics(scaler, names)
    for start in range(0, 37, 10):  # uneven last batch
        metrics.update(
            torch.from_numpy(pred[start : start + 10]).float(),
            torch.from_numpy(true[start : start + 10]).float(),
        )
    streamed = metrics.compute()
    assert streamed["test_windows"] == reference["test_windows"] == 37
    for key in ("mse", "mae"):
        assert streamed[key] == pytest.approx(reference[key], rel=1e-6)
    for name in names:
        for stat in ("mae", "rmse"):
            assert streamed["per_target"][name][stat] == pytest.approx(
                reference["per_target"][name][stat], rel=1e-6
            )
    # original-unit errors scale with the column's std
    assert reference["per_target"]["z"]["mae"] == pytest.approx(
        3.0 * np.abs(pred[..., 2] - true[..., 2]).mean()
    )


class _Persistence(nn.Module):
    def __init__(self, horizon: int) -> None:
        super().__init__()
        self.horizon = horizon
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1:, :].expand(-1, self.horizon, -1) + self.dummy


@pytest.mark.parametrize("batch_size", [7, 64, 1000])
def test_evaluate_split_scores_all_windows_independent_of_batch(batch_size):
    frame = make_series_frame(300)
    table = SeriesTable(
        "s", "date", pd.DatetimeIndex(frame["date"]), frame[["a", "b"]], ["a", "b"], []
    )
    data = prepare_series(table, clean_series(table)[1], lookback=24, horizon=12)
    metrics = evaluate_split(_Persistence(12), data, "test", batch_size=batch_size)
    start, end = data.rows("test")
    assert metrics["test_windows"] == end - start - 24 - 12 + 1
    # reference: persistence forecast over every window, by hand
    z = data.normalized[start:end]
    errors = [z[i + 24 : i + 36] - z[i + 23] for i in range(metrics["test_windows"])]
    assert metrics["mse"] == pytest.approx(np.mean(np.square(errors)), rel=1e-5)
    # max_windows scores only the first windows (the drop_last diagnostic of the benchmark)
    first = evaluate_split(_Persistence(12), data, "test", batch_size=batch_size, max_windows=10)
    assert first["test_windows"] == 10
    assert first["mse"] == pytest.approx(np.mean(np.square(errors[:10])), rel=1e-5)
    samples = sample_forecasts(_Persistence(12), data, "test", count=3)
    assert samples["forecast"].shape == (3, 12, 2)
    np.testing.assert_allclose(
        samples["history"][0],
        frame[["a", "b"]].to_numpy()[start : start + 24],
        rtol=1e-5,
        atol=1e-5,
    )
