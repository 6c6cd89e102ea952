"""Data integrity of a user's series: inf cells and stray text cells are findings, never silent.

Issue 21, items 3 and 4: one ``inf`` cell used to pass ``--fill error`` (and train to NaN); one
``oops`` in a numeric column used to drop the column from the default targets without a word.
"""

from __future__ import annotations

import numpy as np
import pytest
from ts_test_helpers import write_csv

from panspectra_core.errors import UserError
from panspectra_ts.data import clean_series, load_table


def _with_cells(tmp_path, series_frame, cells: dict[int, object], column: str = "b"):
    frame = series_frame.copy().astype({column: object})
    for row, value in cells.items():
        frame.loc[row, column] = value
    return write_csv(tmp_path, frame)


@pytest.mark.parametrize("value", [np.inf, -np.inf, "inf", "-Infinity"])
def test_inf_cell_is_refused_under_fill_error(tmp_path, series_frame, value):
    path = _with_cells(tmp_path, series_frame, {10: value})
    table = load_table(path)
    with pytest.raises(UserError) as info:
        clean_series(table)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message and "'b'" in message and "inf" in message
    assert "row 12" in message or "rows 12" in message  # data row 10 = file row 12
    assert "--fill" in message


@pytest.mark.parametrize("fill", ["ffill", "interpolate", "zero", "drop"])
def test_inf_cells_are_repaired_and_reported_by_fill_policies(tmp_path, series_frame, fill):
    path = _with_cells(tmp_path, series_frame, {10: np.inf, 20: -np.inf})
    cleaned, report = clean_series(load_table(path), fill=fill)
    assert np.isfinite(cleaned.values).all()
    assert report.inf_rows == {"b": [12, 22]}
    assert any("inf" in action for action in report.actions)
    assert report.to_dict()["inf_rows"] == {"b": [12, 22]}
    if fill == "ffill":
        assert cleaned.frame["b"].iloc[10] == series_frame["b"].iloc[9]


def test_stray_text_cell_keeps_the_column_and_is_refused_naming_it(tmp_path, series_frame):
    path = _with_cells(tmp_path, series_frame, {5: "oops", 7: "n/a?"})
    table = load_table(path)
    assert table.targets == ["a", "b", "c", "temp"]  # not silently 3 channels
    with pytest.raises(UserError) as info:
        clean_series(table)
    message = str(info.value)
    assert "\n" not in message
    assert "'b'" in message and "'oops'" in message and "7, 9" in message
    assert "--fill" in message and "--targets" in message


@pytest.mark.parametrize("fill", ["ffill", "interpolate", "zero", "drop"])
def test_stray_text_cells_are_repaired_by_the_chosen_fill(tmp_path, series_frame, fill):
    path = _with_cells(tmp_path, series_frame, {5: "oops"})
    cleaned, report = clean_series(load_table(path), fill=fill)
    assert np.isfinite(cleaned.values).all()
    assert report.text_cells == {"b": [7]}
    assert "b" not in report.nan_rows  # named as text, not as a NaN the file had
    assert any("non-numeric" in action and "'b'" in action for action in report.actions)
    expected_rows = 399 if fill == "drop" else 400
    assert cleaned.values.shape == (expected_rows, 4)


def test_explicit_target_with_stray_text_is_a_finding_not_a_crash(tmp_path, series_frame):
    path = _with_cells(tmp_path, series_frame, {3: "x"})
    table = load_table(path, targets=["b"])
    with pytest.raises(UserError, match=r"'b'.*non-numeric.*rows? 5"):
        clean_series(table)


def test_a_text_column_is_still_refused_as_a_target_and_skipped_by_default(tmp_path, series_frame):
    frame = series_frame.copy()
    frame["site"] = ["north", "south"] * 200
    path = write_csv(tmp_path, frame)
    assert "site" not in load_table(path).targets
    with pytest.raises(UserError, match="'site' is not numeric"):
        load_table(path, targets=["site"])
