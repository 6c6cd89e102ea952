"""Training recipes: each model's paper defaults per dataset and horizon, so that
``ts-forecast train --model xpatch`` reproduces the paper without twenty flags.

Field names mirror the pipeline's ``TrainSettings`` (epochs, lr, batch_size, patience, loss,
scheduler, weight_decay, lookback, model_kwargs). ``scheduler`` uses the core task names:
``"halving"`` (Time-Series-Library ``type1``: lr · 0.5^epoch), ``"onecycle"`` (PatchTST's
``TST``), ``"sigmoid"`` (xPatch's, core :func:`panspectra_core.training.tasks.sigmoid_lr_factor`),
``"decay90"`` (PatchTST's and CycleNet's ``type3``), ``"cosine"``, ``"none"``.

Sources, the official scripts of: DLinear (cure-lab/LTSF-Linear), PatchTST (yuqinie98/PatchTST,
PatchTST/42), iTransformer (thuml/iTransformer), S-Mamba (wzhwzhwzh0921/S-D-Mamba), TSMixer
(google-research/tsmixer), xPatch (stitsyuk/xPatch), CycleNet (ACAT-SCUT/CycleNet).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_MODEL = "xpatch"
"""The model the ts pipeline trains when none is named (best average MSE in our ETT checks)."""


@dataclass(frozen=True)
class Recipe:
    """How to train one model on one dataset/horizon.

    Attributes:
        epochs: maximum epochs; patience: early-stopping patience on validation loss (None: off).
        lr: peak learning rate; batch_size: windows per batch; weight_decay: optimizer decay.
        loss: ``"mse" | "mae" | "huber" | "arctan"``; scheduler: see the module docstring.
        lookback: input length L the paper used with these settings.
        model_kwargs: overrides passed to the model builder.
        source: where the numbers come from.
    """

    epochs: int = 10
    lr: float = 1e-4
    batch_size: int = 32
    patience: int | None = 3
    loss: str = "mse"
    scheduler: str = "halving"
    weight_decay: float = 0.0
    lookback: int = 96
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    source: str = ""


def _family(dataset: str | None) -> str:
    """``"ETTh1" -> "etth1"``; unknown or None datasets map to ``"default"``."""
    return (dataset or "default").lower()


def _dlinear(horizon: int, dataset: str) -> Recipe:
    lr = {"etth1": 0.005, "etth2": 0.05, "ettm1": 0.0001, "ettm2": 0.001}.get(dataset, 0.005)
    return Recipe(
        epochs=10,
        lr=lr,
        batch_size=32,
        patience=3,
        scheduler="halving",
        lookback=336,
        model_kwargs={"kernel_size": 25, "individual": False},
        source="LTSF-Linear scripts (Zeng et al. 2023)",
    )


def _patchtst(horizon: int, dataset: str) -> Recipe:
    if dataset in ("etth1", "etth2", "default"):
        kwargs = {"d_model": 16, "num_heads": 4, "d_ff": 128, "num_layers": 3, "dropout": 0.3}
    else:  # ETTm and the larger datasets
        kwargs = {"d_model": 128, "num_heads": 16, "d_ff": 256, "num_layers": 3, "dropout": 0.2}
    return Recipe(
        epochs=100,
        lr=1e-4,
        batch_size=128,
        patience=20,
        scheduler="onecycle",
        lookback=336,
        model_kwargs=kwargs,
        source="PatchTST/42 scripts (Nie et al. 2023)",
    )


def _variate_token_recipe(dataset: str, block_kwargs: dict, source: str) -> Recipe:
    """iTransformer and S-Mamba share their official scripts' training settings."""
    width = 256 if dataset in ("etth1", "default") else 128
    return Recipe(
        epochs=10,
        lr=1e-4,
        batch_size=32,
        patience=3,
        scheduler="halving",
        lookback=96,
        model_kwargs={"d_model": width, "d_ff": width, "num_layers": 2, **block_kwargs},
        source=source,
    )


def _itransformer(horizon: int, dataset: str) -> Recipe:
    return _variate_token_recipe(
        dataset, {"num_heads": 8}, "iTransformer scripts (Liu et al. 2024)"
    )


def _s_mamba(horizon: int, dataset: str) -> Recipe:
    return _variate_token_recipe(dataset, {"d_state": 2}, "S-Mamba scripts (Wang et al. 2024)")


def _tsmixer(horizon: int, dataset: str) -> Recipe:
    blocks = {"etth1": 2, "etth2": 4, "ettm1": 6, "ettm2": 2}.get(dataset, 2)
    # The paper trains 100 epochs at lr 1e-4 (Table 9); on a CPU budget a 20-epoch cosine run at
    # lr 1e-3 reaches the paper's ETTh1 H=96 error (docs/ts_models.md), so that is the default.
    return Recipe(
        epochs=20,
        lr=1e-3,
        batch_size=128,
        patience=5,
        scheduler="cosine",
        lookback=512,
        model_kwargs={"num_blocks": blocks, "ff_dim": 64, "dropout": 0.9},
        source="TSMixer (Chen et al. 2023) architecture of Table 9, 20-epoch cosine schedule",
    )


def _xpatch(horizon: int, dataset: str) -> Recipe:
    # stitsyuk/xPatch scripts/xPatch_unified.sh (L=96): batch 2048, lr 5e-4 (ETTm2 1e-4), lradj
    # sigmoid, run.py defaults of 100 epochs and patience 10, AdamW at torch's default weight
    # decay 0.01, arctan-weighted MAE, RevIN, EMA alpha 0.3, patch 16 / stride 8.
    unified = Recipe(
        epochs=100,
        lr=1e-4 if dataset == "ettm2" else 5e-4,
        batch_size=2048,
        patience=10,
        loss="arctan",
        scheduler="sigmoid",
        weight_decay=0.01,
        lookback=96,
        model_kwargs={"patch_len": 16, "stride": 8, "alpha": 0.3},
        source="xPatch unified-setting scripts (Stitsyuk & Choi 2025)",
    )
    if dataset != "ettm1":
        return unified
    # The unified run needs more epochs than the 30-minute CPU budget allows on ETTm1's 34k
    # training windows; this 10-epoch cosine run has the lower *validation* loss at every
    # horizon (docs/ts.md, "xPatch on ETTm1"), test MSE avg 0.385 vs 0.404.
    return replace(
        unified,
        epochs=10,
        lr=3e-4 if horizon >= 720 else 1e-3,
        batch_size=256,
        patience=4,
        scheduler="cosine",
        weight_decay=0.0,
        source="xPatch (Stitsyuk & Choi 2025), 10-epoch cosine schedule picked on validation",
    )


def _cyclenet(horizon: int, dataset: str) -> Recipe:
    # ACAT-SCUT/CycleNet scripts/CycleNet/{Linear,MLP}-Input-96: batch 256, 30 epochs, patience
    # 5, lr 0.01 (Linear) / 0.005 (MLP), lradj type3, Adam without weight decay, RevIN; the
    # cycle W comes from the sampling frequency (24 hourly, 96 at 15 minutes, as the scripts).
    return Recipe(
        epochs=30,
        lr=0.01,
        batch_size=256,
        patience=5,
        scheduler="decay90",
        weight_decay=0.0,
        lookback=96,
        model_kwargs={"backbone": "linear"},
        source="CycleNet/Linear scripts, input 96 (Lin et al. 2024)",
    )


_RECIPES = {
    "cyclenet": _cyclenet,
    "dlinear": _dlinear,
    "patchtst": _patchtst,
    "itransformer": _itransformer,
    "s_mamba": _s_mamba,
    "tsmixer": _tsmixer,
    "xpatch": _xpatch,
}


def available_recipes() -> list[str]:
    """Names of the models that have a recipe."""
    return sorted(_RECIPES)


def get_recipe(name: str, horizon: int, dataset: str | None = None) -> Recipe:
    """The paper recipe of model ``name`` for ``horizon`` on ``dataset`` (None: generic data).

    Raises:
        KeyError: ``name`` has no recipe.
        ValueError: ``horizon`` is not positive.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    try:
        build = _RECIPES[name]
    except KeyError:
        raise KeyError(f"no recipe for model {name!r}; recipes: {available_recipes()}") from None
    recipe = build(horizon, _family(dataset))
    return replace(recipe, model_kwargs=dict(recipe.model_kwargs))
