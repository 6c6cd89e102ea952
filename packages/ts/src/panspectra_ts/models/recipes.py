"""Helpers of the ts training recipes, and the default model.

Each model's recipe lives beside its builder (``register_model(..., recipe=fn)``), as a function
of the horizon and the dataset returning option values (epochs, lr, batch_size, patience, loss,
scheduler, weight_decay, lookback, model_kwargs, recipe_source), so ``ts-forecast train --model
xpatch`` reproduces the paper without twenty flags. ``scheduler`` uses the core task names:
``"halving"`` (Time-Series-Library ``type1``: lr · 0.5^epoch), ``"onecycle"`` (PatchTST's
``TST``), ``"sigmoid"`` (xPatch's), ``"decay90"`` (PatchTST's and CycleNet's ``type3``),
``"cosine"``, ``"none"``.

Sources, the official scripts of: DLinear (cure-lab/LTSF-Linear), PatchTST (yuqinie98/PatchTST,
PatchTST/42), iTransformer (thuml/iTransformer), S-Mamba (wzhwzhwzh0921/S-D-Mamba), TSMixer
(google-research/tsmixer), xPatch (stitsyuk/xPatch), CycleNet (ACAT-SCUT/CycleNet).
"""

from __future__ import annotations

from typing import Any

DEFAULT_MODEL = "cyclenet"
"""The model ``ts-forecast train`` trains when none is named and no budget is given: within
0.5 % of the best average MSE on ETTh1 and ETTm1 at 2 CPU-minutes per run (docs/ts.md, "Which
model at a fixed CPU budget"), finishing in seconds to a minute where xPatch's recipe takes a
quarter of an hour."""

DEFAULT_SELECTION = ("cyclenet", "xpatch")
"""What the default trains under ``--max-train-minutes``: both models inside the budget, and
whichever of the two or the mean of their forecasts has the lowest validation MSE is kept
(``--select``): the lowest average on every dataset of the 2-CPU-minute table and its best
average rank (docs/ts.md)."""


def default_model(values: dict[str, Any]) -> str | tuple[str, dict[str, Any]]:
    """The kit's default-model choice: :data:`DEFAULT_SELECTION` chosen on validation when the
    run has a time budget, else :data:`DEFAULT_MODEL`."""
    if values.get("max_train_minutes"):
        return DEFAULT_MODEL, {"select": list(DEFAULT_SELECTION)}
    return DEFAULT_MODEL


#: the values of a recipe that leaves something unset (Time-Series-Library-like defaults)
_BASE: dict[str, Any] = {
    "epochs": 10,
    "lr": 1e-4,
    "batch_size": 32,
    "patience": 3,
    "loss": "mse",
    "scheduler": "halving",
    "weight_decay": 0.0,
    "lookback": 96,
    "model_kwargs": {},
}


def family(dataset: str | None) -> str:
    """``"ETTh1" -> "etth1"``; unknown or None datasets map to ``"default"``."""
    return (dataset or "default").lower()


def recipe(**values: Any) -> dict[str, Any]:
    """A complete recipe: ``values`` over the base settings (a fresh ``model_kwargs`` copy)."""
    out = {**_BASE, **values}
    out["model_kwargs"] = dict(out["model_kwargs"])
    return out


def variate_token_recipe(dataset: str | None, block_kwargs: dict, source: str) -> dict[str, Any]:
    """iTransformer and S-Mamba share their official scripts' training settings."""
    width = 256 if family(dataset) in ("etth1", "default") else 128
    return recipe(
        epochs=10,
        lr=1e-4,
        batch_size=32,
        patience=3,
        scheduler="halving",
        lookback=96,
        model_kwargs={"d_model": width, "d_ff": width, "num_layers": 2, **block_kwargs},
        recipe_source=source,
    )
