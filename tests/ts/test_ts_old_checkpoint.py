"""A forecaster saved before ts moved onto the core kit still loads and forecasts the same.

``fixtures/dlinear_before_kit.safetensors`` was written by ``ts-forecast train --data series.csv
--model dlinear --lookback 24 --horizon 8 --epochs 2`` with the code before the kit, and
``dlinear_before_kit_forecast.csv`` is that code's ``predict`` on the same series (below)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from panspectra_ts.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def _series(path: Path) -> Path:
    t = np.arange(400)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=400, freq="h"),
            "a": np.sin(2 * np.pi * t / 24),
            "b": np.cos(2 * np.pi * t / 24) + 0.01 * t,
            "c": (t % 7) / 7.0,
        }
    )
    frame.to_csv(path, index=False)
    return path


def test_checkpoint_from_before_the_kit_predicts_the_same(tmp_path):
    data = _series(tmp_path / "series.csv")
    out = tmp_path / "forecast.csv"
    argv = ["predict", "--checkpoint", str(FIXTURES / "dlinear_before_kit.safetensors")]
    assert main([*argv, "--data", str(data), "--output", str(out), "-q"]) == 0
    got = pd.read_csv(out)
    expected = pd.read_csv(FIXTURES / "dlinear_before_kit_forecast.csv")
    assert list(got.columns) == list(expected.columns) and got["date"].equals(expected["date"])
    np.testing.assert_allclose(got[["a", "b", "c"]], expected[["a", "b", "c"]], rtol=1e-6)
