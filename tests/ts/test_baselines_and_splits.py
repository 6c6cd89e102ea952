"""Naive baselines in every result, the fallback to them, fixed-border splits for a user's own
file, and a named dataset's protocol defaults."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from panspectra_core.errors import UserError
from panspectra_ts.cli import app, dataset_protocol_defaults, main
from panspectra_ts.models.baselines import LastValue, SeasonalNaive
from panspectra_ts.pipeline.source import split_protocol

FLAGS = ["--lookback", "48", "--horizon", "12", "--quiet", "--no-plot", "--accelerator", "cpu"]


def test_last_value_and_seasonal_naive_forecasts():
    x = torch.arange(2 * 10 * 1, dtype=torch.float32).reshape(2, 10, 1)
    assert torch.equal(LastValue(3)(x), x[:, -1:].expand(-1, 3, -1))
    season = SeasonalNaive(horizon=7, season=3)(x)[0, :, 0]
    assert season.tolist() == [7, 8, 9, 7, 8, 9, 7]
    torch.testing.assert_close(SeasonalNaive(4, 1)(x), LastValue(4)(x))
    with pytest.raises(ValueError, match="longer than the lookback"):
        SeasonalNaive(4, 11)(x)


def test_every_run_reports_baselines_and_a_pure_season_is_repeated(tmp_path, series_csv):
    out = tmp_path / "run"
    argv = ["train", "--data", str(series_csv), "--targets", "a", "--model", "seasonal_naive"]
    assert main([*argv, *FLAGS, "--season", "24", "--output", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 0 and metrics["train_seconds"] == 0.0
    base = metrics["baselines"]
    assert set(base) == {"last_value", "seasonal_naive"} and base["seasonal_naive"]["season"] == 24
    # the model is the seasonal baseline itself: same test error, so it does not beat it
    assert metrics["mse"] == pytest.approx(base["seasonal_naive"]["mse"])
    assert base["seasonal_naive"]["mse"] < base["last_value"]["mse"]  # "a" has a 24-h cycle
    assert metrics["beats_baselines"] is False


def test_a_model_worse_than_the_baseline_says_so_and_predict_can_fall_back(
    tmp_path, series_csv, capsys
):
    out = tmp_path / "run"
    argv = ["train", "--data", str(series_csv), "--targets", "a", "--model", "ts_test_linear"]
    argv += [*FLAGS, "--epochs", "1", "--lr", "1e-6", "--season", "24", "--output", str(out)]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["beats_baselines"] is False and metrics["best_baseline"] == "seasonal_naive"
    assert "does not beat the seasonal_naive baseline" in capsys.readouterr().err
    plain, fallback = tmp_path / "plain.csv", tmp_path / "fallback.csv"
    predict = [
        "predict",
        "--checkpoint",
        str(out / "model.safetensors"),
        "--data",
        str(series_csv),
        "-q",
    ]
    assert main([*predict, "--output", str(plain)]) == 0
    assert main([*predict, "--output", str(fallback), "--fallback-to-baseline"]) == 0
    history = pd.read_csv(series_csv)["a"].to_numpy()
    expected = np.tile(history[-24:], 1)[:12]  # the last day, repeated
    np.testing.assert_allclose(pd.read_csv(fallback)["a"], expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(pd.read_csv(plain)["a"], expected, atol=1e-3)


def test_a_chance_win_over_the_last_value_on_a_random_walk_is_not_called_a_win(tmp_path, capsys):
    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-01", periods=730, freq="D").strftime("%Y-%m-%d")
    walk = 100 + np.cumsum(rng.normal(0, 1, (730, 3)), axis=0)
    path = tmp_path / "walk.csv"
    pd.DataFrame({"date": dates, "a": walk[:, 0], "b": walk[:, 1], "c": walk[:, 2]}).to_csv(
        path, index=False
    )
    out = tmp_path / "run"
    argv = ["train", "--data", str(path), "--model", "cyclenet", "--quiet", "--no-plot"]
    assert main([*argv, "--accelerator", "cpu", "--output", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    test = metrics["baseline_test"]
    assert metrics["beats_baselines"] is False
    assert test["p_value"] > test["significance"] and test["windows"] > 10
    assert "baseline on the" in capsys.readouterr().err


def test_split_units_reproduce_the_ett_borders():
    dates = pd.date_range("2016-07-01", periods=17420, freq="h")
    months = split_protocol((12, 4, 4), "months", dates)
    assert months == {"kind": "fixed", "train_rows": 8640, "val_rows": 2880, "test_rows": 2880}
    assert split_protocol((8640, 2880, 2880), "rows", dates) == months
    assert split_protocol((0.7, 0.2), "fraction", dates)["kind"] == "ratio"
    weeks = split_protocol((2, 1, 1), "weeks", dates)
    assert (weeks["train_rows"], weeks["val_rows"]) == (336, 168)
    with pytest.raises(UserError, match="three positive values"):
        split_protocol((12, 4), "months", dates)
    with pytest.raises(UserError, match="sum above 1"):
        split_protocol((0.7, 0.2, 0.2), "fraction", dates)


def test_user_split_in_months_trains_on_the_fixed_borders(tmp_path, series_csv):
    out = tmp_path / "run"
    argv = ["train", "--data", str(series_csv), "--targets", "a", "--model", "last_value"]
    argv += [*FLAGS, "--split", "10,3,3", "--split-unit", "days", "--output", str(out)]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_windows"] == 3 * 24 - 12 + 1  # 72 test rows, every window scored


def test_named_dataset_protocol_defaults_fill_lookback_and_horizon():
    assert dataset_protocol_defaults({"dataset": "ETTh1"}) == {"lookback": 96, "horizon": 96}
    assert dataset_protocol_defaults({"dataset": "illness"}) == {"lookback": 36, "horizon": 24}
    assert dataset_protocol_defaults({"data": "x.csv", "lookback": 48, "horizon": 24}) == {}
    with pytest.raises(UserError, match="no such file"):  # lengths for a file come from it
        dataset_protocol_defaults({"data": "x.csv"})
    verb = app.verbs["train"]
    cfg = app.resolve(verb, {"dataset": "illness", "output": "x", "model": "dlinear"})
    assert (cfg.lookback, cfg.horizon) == (36, 24)
    assert (cfg.sources["lookback"], cfg.sources["horizon"]) == ("dataset", "dataset")
    own = app.resolve(verb, {"dataset": "illness", "output": "x", "lookback": 104})
    assert own.lookback == 104


def test_a_small_file_gets_a_batch_with_several_steps_per_epoch(tmp_path, series_csv):
    out = tmp_path / "run"
    argv = ["train", "--data", str(series_csv), "--targets", "a", "--model", "ts_test_linear"]
    argv += [*FLAGS, "--epochs", "1", "--batch-size", "512", "--output", str(out / "fixed")]
    assert main(argv) == 0  # an explicit batch is kept
    fixed = json.loads((out / "fixed" / "metrics.json").read_text())
    assert fixed["settings"]["batch_size"] == 512 and "adapted_to_data" not in fixed
    argv = ["train", "--data", str(series_csv), "--targets", "a", "--model", "xpatch", *FLAGS]
    assert main([*argv, "--epochs", "1", "--output", str(out / "recipe")]) == 0
    adapted = json.loads((out / "recipe" / "metrics.json").read_text())
    assert adapted["settings"]["batch_size"] == 32  # the recipe's 2048: one step per epoch
    assert adapted["adapted_to_data"]["batch_size"] == {"recipe": 2048, "adapted": 32}
    assert adapted["settings"]["lr"] == pytest.approx(5e-4 * (32 / 2048) ** 0.5)


def test_a_budget_too_small_for_the_recipe_gets_a_smaller_batch(tmp_path, series_csv, monkeypatch):
    import panspectra_core.training as training

    costs = []

    def probe(task, batches, *, clock, steps=2):  # a measured cost, fixed for the test
        costs.append(clock)
        return 1.0  # seconds per window: the recipe's epochs cannot fit 3 s

    monkeypatch.setattr(training, "seconds_per_sample", probe, raising=False)
    argv = ["train", "--data", str(series_csv), "--targets", "a", "--model", "xpatch", *FLAGS]
    argv += ["--epochs", "2", "--budget-clock", "cpu"]
    out = tmp_path / "budget"
    assert main([*argv, "--max-train-minutes", "0.05", "--output", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert costs == ["cpu"]  # probed once, on the budget's clock
    adapted = metrics["adapted_to_data"]
    assert adapted["batch_size"] == {"recipe": 2048, "adapted": 8}  # data: 32, budget: 8
    assert "budget" in adapted["reason"] and adapted["affordable_epochs"] < 1
    assert metrics["settings"]["batch_size"] == 8
    assert metrics["settings"]["lr"] == pytest.approx(5e-4 * (8 / 2048) ** 0.5)
    assert main([*argv, "--output", str(tmp_path / "no_budget")]) == 0
    assert costs == ["cpu"]  # no budget: no probe, the data adaptation only


@pytest.mark.data
def test_named_dataset_run_reproduces_the_repeat_row_and_records_its_file(tmp_path):
    out = tmp_path / "run"
    argv = ["train", "--dataset", "ETTh1", "--model", "last_value", "--no-plot", "-q"]
    assert main([*argv, "--output", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["lookback"], metrics["horizon"]) == (96, 96)  # the manifest's protocol
    assert metrics["test_windows"] == 2785
    # the "Repeat" row of Zeng et al. 2023 (Table 2), ETTh1 H=96: MSE 1.295
    assert metrics["mse"] == pytest.approx(1.295, abs=5e-3)
    (record,) = metrics["data_files"]
    assert record["source"] == "PANSPECTRA_DATA" and len(record["sha256"]) == 64


def test_default_window_lengths_fit_the_file_and_keep_the_users_values():
    from panspectra_ts.data.protocol import default_window_lengths

    assert default_window_lengths(None, 17420) == (336, 96)  # a long file: the longer lookback
    assert default_window_lengths(None, 17420, lookback=96) == (96, 96)  # the user's papers' L
    assert default_window_lengths(None, 3000) == (96, 96)  # 336 would cost 13 % of the windows
    assert default_window_lengths(None, 726) == (96, 24)  # a daily file of two years
    assert default_window_lengths(None, 966) == (96, 48)  # H=96 would leave 2 val windows
    assert default_window_lengths(None, 300) == (36, 12)
    assert default_window_lengths(None, 150) == (24, 6)
    assert default_window_lengths(None, 726, horizon=30) == (96, 30)  # the user's H is kept
    assert default_window_lengths(None, 726, lookback=200) == (200, 24)
    assert default_window_lengths(None, 10) == (96, 96)  # nothing fits: split_borders explains


def test_select_keeps_the_candidate_with_the_lowest_validation_mse(tmp_path, series_csv, capsys):
    out = tmp_path / "run"
    argv = ["train", "--data", str(series_csv), "--targets", "a", *FLAGS, "--epochs", "2"]
    argv += ["--select", "ts_test_linear,seasonal_naive", "--season", "24"]
    assert main([*argv, "--output", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    # the verdict is said of the kept model only: the seasonal_naive candidate never beats
    # itself, and says so only when it is the model the run keeps
    said = [line for line in capsys.readouterr().err.splitlines() if "baseline on the" in line]
    assert said == ([] if metrics["beats_baselines"] else [said[0]])
    assert all(line.startswith(f"{metrics['model']} ") for line in said)
    candidates = metrics["selection"]["candidates"]
    assert set(candidates) == {"ts_test_linear", "seasonal_naive", "forecast_mean"}
    chosen = min(candidates, key=lambda name: candidates[name]["val_mse"])
    assert metrics["selection"]["chosen"] == metrics["model"] == chosen
    assert metrics["val_mse"] == pytest.approx(candidates[chosen]["val_mse"])
    trained = [c for name, c in candidates.items() if name != "forecast_mean"]
    total = sum(c["train_seconds"] for c in trained)
    assert metrics["train_seconds"] == pytest.approx(total)  # the cost of all candidates
    assert candidates["forecast_mean"]["train_seconds"] == pytest.approx(total)
    if metrics["model"] == "forecast_mean":  # stopped by the budget when a member was
        assert metrics["time_limit_reached"] is False and metrics["epochs"] is None
    # the MSE of the mean forecast is at most the mean of the MSEs (Jensen's inequality)
    mean_of_mses = sum(c["val_mse"] for c in trained) / len(trained)
    assert candidates["forecast_mean"]["val_mse"] <= mean_of_mses + 1e-9
    both = [*argv, "--model", "dlinear", "--output", str(tmp_path / "both")]
    assert main(both) == 2 and not (tmp_path / "both").exists()  # contradicting flags
    unknown = [*argv[:-4], "--select", "ts_test_linear,nosuch", "--output", str(tmp_path / "u")]
    assert main(unknown) == 2 and not (tmp_path / "u").exists()  # refused before any training


def test_the_default_selects_cyclenet_or_xpatch_only_under_a_budget(tmp_path, series_csv):
    argv = ["train", "--data", str(series_csv), "--targets", "a", *FLAGS, "--epochs", "1"]
    budgeted = tmp_path / "budgeted"
    assert main([*argv, "--max-train-minutes", "0.1", "--output", str(budgeted)]) == 0
    metrics = json.loads((budgeted / "metrics.json").read_text())
    assert set(metrics["selection"]["candidates"]) == {"cyclenet", "xpatch", "forecast_mean"}
    assert metrics["model"] == metrics["selection"]["chosen"]
    assert not (budgeted / "train").exists()  # the candidates' work folders are removed
    plain = tmp_path / "plain"
    assert main([*argv, "--output", str(plain)]) == 0
    metrics = json.loads((plain / "metrics.json").read_text())
    assert metrics["model"] == "cyclenet" and "selection" not in metrics
