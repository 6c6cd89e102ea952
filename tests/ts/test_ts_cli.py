"""End-to-end tests of ``ts-forecast`` run in-process on a small synthetic hourly CSV."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from ts_test_helpers import STAND_IN, make_series_frame, write_csv

from panspectra_ts.cli import main

TRAIN_FLAGS = [
    "--model",
    STAND_IN,
    "--lookback",
    "24",
    "--horizon",
    "12",
    "--epochs",
    "2",
    "--quiet",
    "--accelerator",
    "cpu",
]


def _run_error(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "error:" in err and "Traceback" not in err
    return err


def test_wrong_path_is_exit_2_without_output(tmp_path, capsys):
    out = tmp_path / "run"
    err = _run_error(
        capsys,
        [
            "train",
            "--data",
            str(tmp_path / "missing.csv"),
            "--horizon",
            "12",
            "--output",
            str(out),
            *TRAIN_FLAGS[:2],
        ],
    )
    assert "missing.csv: no such file" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_bad_column_is_exit_2_without_output(tmp_path, capsys, series_csv):
    out = tmp_path / "run"
    err = _run_error(
        capsys,
        [
            "train",
            "--data",
            str(series_csv),
            "--targets",
            "a,nope",
            "--output",
            str(out),
            *TRAIN_FLAGS,
        ],
    )
    assert "'nope'" in err and "--targets" in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["series.csv"]


def test_gap_without_fill_policy_is_refused(tmp_path, capsys):
    frame = make_series_frame(300).drop(index=[100])
    path = write_csv(tmp_path, frame)
    err = _run_error(
        capsys, ["train", "--data", str(path), "--output", str(tmp_path / "run"), *TRAIN_FLAGS]
    )
    assert "after row 101" in err and "--fill" in err


def test_existing_output_is_refused_before_work(tmp_path, capsys, series_csv):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    err = _run_error(
        capsys, ["train", "--data", str(series_csv), "--output", str(out), *TRAIN_FLAGS]
    )
    assert "--overwrite" in err and (out / "keep.txt").read_text() == "x"


def test_info_reports_file_summary(tmp_path, capsys):
    frame = make_series_frame(300).drop(index=[10, 11])
    path = write_csv(tmp_path, frame)
    assert (
        main(
            [
                "info",
                "--data",
                str(path),
                "--fill",
                "interpolate",
                "--lookback",
                "24",
                "--horizon",
                "12",
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 300 and summary["frequency"] == "h"
    assert summary["quality"]["gaps"][0]["missing"] == 2
    assert summary["split"]["test"]["windows"] == 60 - 12 + 1


def test_list_models_includes_registered(capsys):
    assert main(["list-models"]) == 0
    assert STAND_IN in capsys.readouterr().out


@pytest.mark.slow
def test_train_evaluate_predict_round_trip(tmp_path, capsys, series_frame):
    data = write_csv(tmp_path, series_frame)
    out = tmp_path / "run"
    argv = [
        "train",
        "--data",
        str(data),
        "--targets",
        "a,b",
        "--covariates",
        "temp",
        "--output",
        str(out),
        "--seed",
        "0",
        *TRAIN_FLAGS,
    ]
    assert main(argv) == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    test_rows = int(400 * 0.2) + 24
    assert metrics["test_windows"] == test_rows - 24 - 12 + 1
    assert set(metrics["per_target"]) == {"a", "b"}
    assert metrics["mse"] > 0 and metrics["train_seconds"] > 0
    assert (out / "model.safetensors").is_file() and (out / "forecast.png").stat().st_size > 0
    capsys.readouterr()

    assert (
        main(
            [
                "evaluate",
                "--checkpoint",
                str(out / "model.safetensors"),
                "--data",
                str(data),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["mse"] == pytest.approx(metrics["mse"], rel=1e-5)
    assert evaluated["test_windows"] == metrics["test_windows"]

    recent = write_csv(tmp_path, series_frame.iloc[-50:], "recent.csv")
    forecast_path = tmp_path / "forecast.csv"
    assert (
        main(
            [
                "predict",
                "--checkpoint",
                str(out / "model.safetensors"),
                "--data",
                str(recent),
                "--output",
                str(forecast_path),
            ]
        )
        == 0
    )
    forecast = pd.read_csv(forecast_path, parse_dates=["date"])
    assert list(forecast.columns) == ["date", "a", "b"]
    expected = pd.date_range(series_frame["date"].iloc[-1], periods=13, freq="h")[1:]
    assert forecast["date"].tolist() == expected.tolist()
    assert forecast[["a", "b"]].notna().all().all()
    capsys.readouterr()

    short = write_csv(tmp_path, series_frame.iloc[-10:], "short.csv")
    err = _run_error(
        capsys,
        [
            "predict",
            "--checkpoint",
            str(out / "model.safetensors"),
            "--data",
            str(short),
            "--output",
            str(tmp_path / "f2.csv"),
        ],
    )
    assert "needs the last 24 rows" in err and not (tmp_path / "f2.csv").exists()
    err = _run_error(
        capsys,
        [
            "predict",
            "--checkpoint",
            str(out / "model.safetensors"),
            "--data",
            str(recent),
            "--output",
            str(forecast_path),
        ],
    )
    assert "--overwrite" in err


@pytest.mark.slow
def test_same_seed_same_metrics_and_seed_summary(tmp_path, capsys, series_csv):
    base = ["train", "--data", str(series_csv), "--targets", "a,b,c", *TRAIN_FLAGS, "--no-plot"]
    assert main([*base, "--seed", "3", "--output", str(tmp_path / "x")]) == 0
    assert main([*base, "--seeds", "3,4", "--output", str(tmp_path / "y")]) == 0
    single = json.loads((tmp_path / "x" / "metrics.json").read_text())
    multi = json.loads((tmp_path / "y" / "metrics.json").read_text())
    again = json.loads((tmp_path / "y" / "seed_3" / "metrics.json").read_text())
    assert again["mse"] == single["mse"] and again["mae"] == single["mae"]
    assert multi["seeds"] == [3, 4] and multi["model"] == single["model"]
    assert multi["seed_summary"]["mse"]["values"][0] == single["mse"]
    assert multi["mse"] == pytest.approx(sum(multi["seed_summary"]["mse"]["values"]) / 2)
    assert (tmp_path / "y" / "seed_4" / "model.safetensors").is_file()
    assert yaml.safe_load((tmp_path / "y" / "seed_4" / "config.yaml").read_text())["seed"] == 4


@pytest.mark.data
def test_named_dataset_info_uses_ett_borders(capsys, monkeypatch):
    from ts_test_helpers import SHARED_DATA, ett_file

    ett_file("ETTh1")
    monkeypatch.setenv("PANSPECTRA_DATA", str(SHARED_DATA))
    assert main(["info", "--dataset", "etth1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 17420 and summary["frequency"] == "h"
    assert summary["split"]["test"] == {"rows": [11424, 14400], "windows": 2785}
    assert summary["split"]["train"]["rows"] == [0, 8640]


def test_time_budget_stops_training_and_is_recorded(tmp_path, capsys, series_csv):
    argv = ["train", "--data", str(series_csv), "--targets", "a,b,c", *TRAIN_FLAGS, "--no-plot"]
    argv[argv.index("--epochs") + 1] = "100000"
    argv += ["--patience", "100000", "--max-train-minutes", "0.02", "--output", str(tmp_path / "t")]
    assert main(argv) == 0
    metrics = json.loads((tmp_path / "t" / "metrics.json").read_text())
    assert metrics["time_limit_reached"] is True
    assert 0 < metrics["epochs"] < 100000
    assert metrics["train_cpu_seconds"] > 0
    assert (
        metrics["train_seconds"] < 30
    )  # the 1.2 s budget, plus the last step and Lightning's exit


@pytest.mark.parametrize("clock", ["wall", "cpu"])
def test_time_budget_is_measured_on_the_chosen_clock(tmp_path, capsys, series_csv, clock):
    """``--budget-clock`` reaches the trainer: a CPU-time budget gets the CPU timer."""
    from lightning.pytorch.callbacks import Timer

    from panspectra_core.training import trainer as core_trainer
    from panspectra_core.training.clock import CPUTimer

    timers = []
    original = core_trainer.build_trainer

    def recording_build_trainer(*args, **kwargs):
        built = original(*args, **kwargs)
        timers.extend(c for c in built.callbacks if isinstance(c, Timer))
        return built

    argv = ["train", "--data", str(series_csv), "--targets", "a", *TRAIN_FLAGS, "--no-plot"]
    argv += ["--max-train-minutes", "5", "--budget-clock", clock, "--output", str(tmp_path / "t")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(core_trainer, "build_trainer", recording_build_trainer)
        assert main(argv) == 0
    assert len(timers) == 1 and isinstance(timers[0], CPUTimer) == (clock == "cpu")
    config = json.loads((tmp_path / "t" / "metrics.json").read_text())["config"]
    assert config["budget_clock"] == clock


def test_schedule_and_weight_decay_flags_override_the_recipe(tmp_path, capsys, series_csv):
    out = tmp_path / "s"
    argv = ["train", "--data", str(series_csv), "--targets", "a,b", *TRAIN_FLAGS, "--no-plot"]
    argv += ["--scheduler", "onecycle", "--weight-decay", "0.05", "--output", str(out)]
    assert main(argv) == 0
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert settings["scheduler"] == "onecycle" and settings["weight_decay"] == 0.05


def test_a_file_without_lookback_and_horizon_gets_lengths_that_fit_it(tmp_path, series_csv):
    """``ts-forecast train --data FILE`` needs no --horizon: the longest standard pair that the
    file's split holds is used and recorded in the run's config."""
    from panspectra_ts.data.protocol import default_window_lengths

    rows = len(pd.read_csv(series_csv))
    argv = ["train", "--data", str(series_csv), "--targets", "a", "--model", STAND_IN]
    argv += ["--epochs", "1", "--quiet", "--no-plot", "--output", str(tmp_path / "d")]
    assert main(argv) == 0
    metrics = json.loads((tmp_path / "d" / "metrics.json").read_text())
    assert (metrics["lookback"], metrics["horizon"]) == default_window_lengths(None, rows)
    assert metrics["config"]["horizon"] == metrics["horizon"]
