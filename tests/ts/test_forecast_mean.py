"""The mean of trained forecasters (``forecast_mean``): what it computes, what it refuses, and a
saved mean evaluated and used for prediction like any other checkpoint."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from ts_test_helpers import STAND_IN

from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.registry import create_model
from panspectra_core.training.batch import forward_batch
from panspectra_ts.cli import main
from panspectra_ts.eval.evaluate import evaluate_split
from panspectra_ts.pipeline.forecast import checkpoint_series, evaluate_checkpoint, load_forecaster
from panspectra_ts.pipeline.source import SourceOptions

SIZES = {"lookback": 48, "horizon": 12, "num_channels": 3}
FLAGS = ["--lookback", "48", "--horizon", "12", "--quiet", "--no-plot", "--accelerator", "cpu"]


def test_the_mean_forecast_averages_members_that_take_different_batch_entries():
    torch.manual_seed(0)
    members = [{"model": "cyclenet", "kwargs": {"cycle": 24}}, {"model": "dlinear"}]
    mean = create_model("forecast_mean", **SIZES, members=members)
    assert mean.batch_inputs == ("time_index",)  # CycleNet's, passed to CycleNet only
    batch = {"x": torch.randn(5, 48, 3), "time_index": torch.arange(5) * 7}
    y = forward_batch(mean, batch)
    expected = (forward_batch(mean.members[0], batch) + forward_batch(mean.members[1], batch)) / 2
    torch.testing.assert_close(y, expected)
    assert y.shape == (5, 12, 3)
    y.square().mean().backward()
    for member in mean.members:  # both members learn through the mean
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in member.parameters())


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (None, "two or more"),
        ([{"model": "dlinear"}], "two or more"),
        ([{"model": "dlinear"}, "xpatch"], r"members\[1\]: expected"),
        ([{"model": "dlinear"}, {"model": "cyclenet", "kwargs": {"cycle": 0}}], r"members\[1\]"),
        ([{"model": "dlinear", "kwargs": {"no_such": 1}}, {"model": "xpatch"}], "no_such"),
        ([{"model": "forecast_mean"}, {"model": "xpatch"}], "itself a mean"),
    ],
)
def test_malformed_members_are_refused_naming_the_member(members, message):
    with pytest.raises(ValueError, match=message):
        create_model("forecast_mean", **SIZES, members=members)


def test_a_saved_mean_evaluates_and_predicts_like_any_checkpoint(tmp_path, series_csv):
    run = tmp_path / "linear"
    train = ["train", "--data", str(series_csv), "--model", STAND_IN, "--epochs", "2"]
    assert main([*train, *FLAGS, "--output", str(run)]) == 0
    linear = load_forecaster(run / "model.safetensors")
    members = [
        {"model": STAND_IN, "kwargs": linear.meta.model_kwargs},
        {"model": "last_value", "kwargs": {}},
    ]
    kwargs = {**SIZES, "num_channels": linear.meta.model_kwargs["num_channels"], "members": members}
    mean = create_model("forecast_mean", **kwargs)
    mean.members[0].load_state_dict(linear.model.state_dict())
    path = tmp_path / "mean" / "model.safetensors"
    path.parent.mkdir()
    save_checkpoint(
        path,
        mean,
        model_name="forecast_mean",
        model_kwargs=kwargs,
        domain="ts",
        preprocessing=linear.meta.preprocessing,
    )

    options = SourceOptions(data=str(series_csv))
    _, data = checkpoint_series(linear, options)
    scored = evaluate_checkpoint(path, options)
    assert scored["model"] == "forecast_mean"
    assert scored["mse"] == pytest.approx(evaluate_split(mean, data, "test")["mse"], rel=1e-6)
    alone = evaluate_split(linear.model, data, "test")["mse"]
    assert scored["mse"] != pytest.approx(alone)  # the last-value member counts

    out = tmp_path / "forecast.csv"
    predict = ["predict", "--checkpoint", str(path), "--data", str(series_csv), "-q"]
    assert main([*predict, "--output", str(out)]) == 0
    forecast = pd.read_csv(out)
    assert len(forecast) == 12 and forecast.drop(columns="date").notna().all().all()
    assert json.loads((run / "metrics.json").read_text())["model"] == STAND_IN
