"""Recipes: every ts model carries one, it builds its model, uses a known loss/scheduler, and
matches the papers' headline settings; the CLI merges it under the user's flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import panspectra_ts.models  # noqa: F401
from panspectra_core.kit import SCHEDULERS
from panspectra_core.registry import create_model, get_recipe, list_models, model_entry
from panspectra_core.training.batch import forward_batch
from panspectra_ts.cli import app
from panspectra_ts.models.recipes import DEFAULT_MODEL
from panspectra_ts.options import LOSSES, SETTINGS_KEYS

DATASETS = [None, "ETTh1", "ETTh2", "ETTm1", "weather"]
MODELS = [  # the shipped learned models (the naive baselines need no recipe)
    name
    for name in list_models(domain="ts")
    if model_entry(name).builder.__module__.startswith("panspectra_ts.")
    and not {"baseline", "ensemble"} & set(model_entry(name).tags)
]


def test_every_shipped_model_has_a_recipe():
    assert DEFAULT_MODEL in MODELS and len(MODELS) >= 7
    assert all(model_entry(name).recipe is not None for name in MODELS)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_recipe_is_usable(name, dataset):
    recipe = get_recipe(name, horizon=96, dataset=dataset)
    assert set(SETTINGS_KEYS) <= set(recipe)
    assert recipe["loss"] in LOSSES and recipe["scheduler"] in SCHEDULERS
    assert recipe["epochs"] > 0 and recipe["lr"] > 0 and recipe["batch_size"] > 0
    torch.manual_seed(0)
    model = create_model(
        name, lookback=recipe["lookback"], horizon=24, num_channels=3, **recipe["model_kwargs"]
    ).eval()
    with torch.no_grad():
        batch = {"x": torch.randn(2, recipe["lookback"], 3), "time_index": torch.tensor([0, 9])}
        assert forward_batch(model, batch).shape == (2, 24, 3)


def test_recipes_follow_the_papers():
    xpatch = get_recipe("xpatch", horizon=96, dataset="ETTh1")
    assert xpatch["loss"] == "arctan" and xpatch["model_kwargs"]["alpha"] == 0.3
    assert (xpatch["scheduler"], xpatch["lr"], xpatch["batch_size"]) == ("sigmoid", 5e-4, 2048)
    assert get_recipe("dlinear", horizon=96, dataset="ETTh1")["model_kwargs"]["kernel_size"] == 25
    # ETTm1: the 10-epoch cosine recipe picked on validation loss (docs/ts.md)
    short = get_recipe("xpatch", horizon=96, dataset="ETTm1")
    assert (short["scheduler"], short["lr"], short["batch_size"], short["epochs"]) == (
        "cosine",
        1e-3,
        256,
        10,
    )
    assert (short["loss"], short["weight_decay"]) == ("arctan", 0.0)
    assert get_recipe("xpatch", horizon=720, dataset="ETTm1")["lr"] == 3e-4
    assert get_recipe("xpatch", horizon=96, dataset="ETTm2")["scheduler"] == "sigmoid"
    keys = ("d_model", "num_heads", "d_ff", "dropout")
    etth = get_recipe("patchtst", horizon=336, dataset="ETTh1")["model_kwargs"]
    ettm = get_recipe("patchtst", horizon=336, dataset="ETTm1")["model_kwargs"]
    assert tuple(etth[k] for k in keys) == (16, 4, 128, 0.3)
    assert tuple(ettm[k] for k in keys) == (128, 16, 256, 0.2)


def test_recipe_copies_are_independent():
    first = get_recipe("xpatch", horizon=96)
    first["model_kwargs"]["alpha"] = 0.9
    assert get_recipe("xpatch", horizon=96)["model_kwargs"]["alpha"] == 0.3


def _resolved(**flags):
    verb = app.verbs["train"]
    explicit = {k: verb.options[k].convert(v) for k, v in flags.items()}
    return app.resolve(verb, explicit)


def test_cli_merges_recipe_under_flags(tmp_path):
    assert _resolved(dataset="ETTh1", horizon="96", output="x").model == DEFAULT_MODEL
    cfg = _resolved(
        dataset="ETTh1",
        horizon="96",
        output="x",
        model="xpatch",
        lr="0.01",
        model_kwargs='{"alpha": 0.5}',
    )
    assert cfg.lr == 0.01 and cfg.sources["lr"] == "user"
    assert cfg.batch_size == 2048 and cfg.sources["batch_size"] == "recipe"
    assert cfg.model_kwargs == {"patch_len": 16, "stride": 8, "alpha": 0.5}
    dlinear = _resolved(dataset="ETTh2", horizon="96", output="x", model="dlinear")
    # the recipe's lr; the lookback of ETTh2's standard protocol (96) over the recipe's 336
    assert (dlinear.lr, dlinear.lookback, dlinear.sources["lookback"]) == (0.05, 96, "dataset")
    long_file, short_file = tmp_path / "long.csv", tmp_path / "short.csv"
    for path, rows in ((long_file, 4000), (short_file, 1000)):
        dates = pd.date_range("2020-01-01", periods=rows, freq="h")
        pd.DataFrame({"date": dates, "a": np.arange(rows) % 7}).to_csv(path, index=False)
    # a file's own lookback wins over the recipe's: 336 where the file affords it, else 96
    on_file = _resolved(data=str(long_file), horizon="96", output="x", model="dlinear")
    assert (on_file.lookback, on_file.sources["lookback"]) == (336, "dataset")
    short = _resolved(data=str(short_file), horizon="96", output="x", model="dlinear")
    assert short.lookback == 96
    own = _resolved(dataset="ETTh2", horizon="96", output="x", model="dlinear", lookback="48")
    assert own.lookback == 48
