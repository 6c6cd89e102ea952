"""CycleNet and what it needs: absolute step indices from timestamps, the cycle length from the
sampling frequency, windows that carry their first step, and models that take batch entries."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from ts_test_helpers import make_series_frame, write_csv

from panspectra_core.training.batch import forward_batch
from panspectra_core.training.tasks import decay90_factor
from panspectra_ts.cli import main
from panspectra_ts.data.calendar import default_cycle_length, step_index
from panspectra_ts.data.windows import ForecastWindows
from panspectra_ts.models.cyclenet import CycleNet, RecurrentCycle
from panspectra_ts.pipeline.forecast import predict_future


def test_step_index_counts_steps_from_the_timestamps():
    hourly = pd.date_range("2016-07-01", periods=50, freq="h")
    steps = step_index(hourly, "h")
    assert steps.dtype.name == "int64"
    assert (steps[1:] - steps[:-1] == 1).all()
    assert steps[0] % 24 == 0 and steps[5] % 24 == 5  # phase of the day = hour of the day
    quarter = step_index(pd.date_range("2016-07-01 00:45", periods=3, freq="15min"), "15min")
    assert list(quarter % 96) == [3, 4, 5]
    # a gap kept by --fill drop counts as the steps it spans
    gapped = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 05:00"])
    assert list(step_index(gapped, "h") - step_index(gapped, "h")[0]) == [0, 1, 5]
    months = step_index(pd.date_range("2023-11-01", periods=4, freq="MS"), "MS")
    assert list(months % 12) == [10, 11, 0, 1]
    aware = pd.date_range("2024-01-01", periods=3, freq="h", tz="Europe/Berlin")
    assert list(step_index(aware, "h") % 24) == [23, 0, 1]  # counted in UTC


@pytest.mark.parametrize(
    ("freq", "cycle"),
    [("h", 24), ("15min", 96), ("10min", 144), ("7min", 1), ("D", 7), ("W", 52), ("MS", 12)],
)
def test_default_cycle_length_is_a_day_a_week_or_a_year(freq, cycle):
    assert default_cycle_length(freq) == cycle


def test_windows_carry_the_step_of_their_first_input_row():
    values = torch.randn(30, 2).numpy()
    steps = torch.arange(100, 130).numpy()
    windows = ForecastWindows(values, lookback=6, horizon=3, time_index=steps)
    assert int(windows[0]["time_index"]) == 100 and int(windows[7]["time_index"]) == 107
    with pytest.raises(ValueError, match="time_index has 29 rows"):
        ForecastWindows(values, 6, 3, time_index=steps[:-1])


def test_recurrent_cycle_matches_an_explicit_roll():
    """Q[(phase + t) mod W] equals rolling the cycle to the phase and tiling it (the paper's
    original implementation)."""
    torch.manual_seed(0)
    cycle = RecurrentCycle(5, 3)
    with torch.no_grad():
        cycle.data.normal_()
    phase = torch.tensor([0, 3, 4])
    got = cycle(phase, 12)
    for row, p in enumerate(phase.tolist()):
        rolled = torch.roll(cycle.data, shifts=-p, dims=0)
        expected = rolled.repeat(3, 1)[:12]
        torch.testing.assert_close(got[row], expected, rtol=0, atol=0)


def test_cyclenet_depends_on_the_phase_only_modulo_the_cycle():
    torch.manual_seed(0)
    model = CycleNet(lookback=10, horizon=4, num_channels=2, cycle=6).eval()
    with torch.no_grad():
        model.cycle.data.normal_()
    x = torch.randn(3, 10, 2)
    start = torch.tensor([0, 7, 13])
    with torch.no_grad():
        base = model(x, start)
        torch.testing.assert_close(model(x, start + 6 * 11), base, rtol=0, atol=0)
        assert not torch.allclose(model(x, start + 1), base)
    with pytest.raises(ValueError, match="needs time_index"):
        model(x)


def test_forward_batch_passes_only_what_the_model_asks_for():
    model = CycleNet(lookback=8, horizon=2, num_channels=1, cycle=4)
    batch = {"x": torch.randn(2, 8, 1), "y": torch.zeros(2, 2, 1)}
    with pytest.raises(KeyError, match="CycleNet needs batch\\['time_index'\\]"):
        forward_batch(model, batch)
    plain = torch.nn.Linear(1, 1)  # takes x alone; the extra entry is not passed
    assert forward_batch(plain, {**batch, "time_index": torch.zeros(2)}).shape == (2, 8, 1)


def test_decay90_is_constant_for_four_epochs_then_decays():
    assert [decay90_factor(e) for e in range(4)] == [1.0, 1.0, 1.0, 1.0]
    assert decay90_factor(4) == pytest.approx(0.9) and decay90_factor(6) == pytest.approx(0.729)


def test_cyclenet_trains_and_predicts_on_the_timestamp_phase(tmp_path, capsys):
    """Train on a CSV through the CLI, then forecast from two later files that end at the same
    timestamp but start at different rows: the forecasts agree (the phase comes from the dates,
    not from row numbers), and the cycle length came from the hourly frequency."""
    frame = make_series_frame(rows=400)
    data = write_csv(tmp_path, frame)
    out = tmp_path / "run"
    argv = ["train", "--data", str(data), "--targets", "a,b", "--model", "cyclenet"]
    argv += ["--lookback", "30", "--horizon", "12", "--epochs", "3", "--output", str(out)]
    assert main([*argv, "--quiet", "--no-plot", "--accelerator", "cpu"]) == 0
    capsys.readouterr()
    checkpoint = out / "model.safetensors"
    long_file = write_csv(tmp_path, frame.iloc[:350], "long.csv")
    short_file = write_csv(tmp_path, frame.iloc[350 - 30 - 5 : 350], "short.csv")
    long_forecast = predict_future(checkpoint, long_file)
    short_forecast = predict_future(checkpoint, short_file)
    pd.testing.assert_frame_equal(long_forecast, short_forecast)
    assert long_forecast["date"].iloc[0] == frame["date"].iloc[350]
    from panspectra_core.checkpoint import load_checkpoint

    loaded = load_checkpoint(checkpoint)
    assert loaded.meta.model_kwargs["cycle"] == 24
    assert json.loads((out / "metrics.json").read_text())["model_kwargs"]["cycle"] == 24
    assert loaded.model.cycle.data.abs().sum() > 0  # the cycle was learned


@pytest.mark.parametrize("kwargs", ['{"cycle": 0}', '{"backbone": "rnn"}', '{"no_such": 1}'])
def test_bad_model_kwargs_are_a_one_line_error(tmp_path, capsys, kwargs):
    data = write_csv(tmp_path, make_series_frame(rows=200))
    argv = ["train", "--data", str(data), "--model", "cyclenet", "--horizon", "6"]
    argv += ["--output", str(tmp_path / "run"), "--model-kwargs", kwargs, "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert ": error: --model-kwargs for cyclenet:" in err and "\n" not in err
    assert not (tmp_path / "run").exists()
