"""Helpers for the time-series tests: synthetic series and a stand-in linear forecaster."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from panspectra_core.registry import MODELS, register_model

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("PANSPECTRA_DATA", REPO.parent / "shared" / "data"))
STAND_IN = "ts_test_linear"


class StandInLinear(nn.Module):
    """One linear map over time shared by channels: (B, L, C) → (B, H, C)."""

    def __init__(self, lookback: int, horizon: int, num_channels: int) -> None:
        super().__init__()
        self.proj = nn.Linear(lookback, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x.transpose(1, 2)).transpose(1, 2)


if STAND_IN not in MODELS:

    @register_model(STAND_IN, domain="ts", tags=("test",))
    def ts_test_linear(lookback: int, horizon: int, num_channels: int, **overrides) -> nn.Module:
        """Stand-in linear forecaster for the pipeline tests."""
        return StandInLinear(lookback, horizon, num_channels)


def make_series_frame(rows: int = 400, seed: int = 0, start: str = "2024-01-01") -> pd.DataFrame:
    """Hourly sines + noise: columns date, a, b, c (targets) and temp (covariate-like)."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows, dtype=np.float64)
    return pd.DataFrame(
        {
            "date": pd.date_range(start, periods=rows, freq="h"),
            "a": np.sin(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(rows),
            "b": 2 * np.cos(2 * np.pi * t / 12) + 5 + 0.1 * rng.standard_normal(rows),
            "c": 0.01 * t + np.sin(2 * np.pi * t / 48) + 0.1 * rng.standard_normal(rows),
            "temp": 20 + 3 * np.sin(2 * np.pi * t / 24 + 1) + 0.1 * rng.standard_normal(rows),
        }
    )


def write_csv(tmp_path: Path, frame: pd.DataFrame, name: str = "data.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def ett_file(name: str) -> Path:
    path = SHARED_DATA / "timeseries" / name / f"{name}.csv"
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path
