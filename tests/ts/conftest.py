"""Fixtures for the time-series tests (helpers live in ts_test_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from ts_test_helpers import make_series_frame


@pytest.fixture
def series_frame() -> pd.DataFrame:
    return make_series_frame()


@pytest.fixture
def series_csv(tmp_path: Path, series_frame: pd.DataFrame) -> Path:
    path = tmp_path / "series.csv"
    series_frame.to_csv(path, index=False)
    return path
