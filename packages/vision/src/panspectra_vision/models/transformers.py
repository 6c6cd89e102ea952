"""Registered token-mixing image classifiers, sized for 32×32 inputs (timm-style names).

Every builder takes ``num_classes``, ``in_channels`` (default 3), ``image_size`` (default 32)
and overrides of :class:`~.blocks.TokenNet` arguments. Families:

- ViT (Dosovitskiy et al. 2021), patch 4 → 8×8 tokens, class token;
- CCT (Hassani et al. 2021): convolutional tokenizer + sequence pooling; ``cct_7_3x1_32`` is
  7 layers, one 3×3 conv layer (dim 256, 4 heads, MLP ×2), ``cct_2_3x2_32`` 2 layers, two conv
  layers (dim 128, 2 heads, MLP ×1), as in the paper's CIFAR models;
- GFNet (Rao et al. 2021): every block a 2-D global Fourier filter;
- SpectFormer (Patro et al. 2023): global-filter blocks first, attention blocks after;
- FNet-style mixer (Lee-Thorp et al. 2022): parameter-free Fourier mixing;
- Vision Mamba (Zhu et al. 2024): bidirectional Mamba blocks over the patch sequence;
- Swin-style (Liu et al. 2021): 4×4 windows with relative position bias, shifted every other
  block (one stage, no patch merging: the 8×8 grid is already small);
- hybrids ``*_cct_*``: CCT's conv tokenizer feeding global-filter or Mamba blocks (and
  ``vit_fastconv_32`` in :mod:`.hybrid`).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from panspectra_core.registry import register_model

from .blocks import TokenNet

DOMAIN = "vision"
#: AdamW, warm-up + cosine (one-cycle), label smoothing, TrivialAugment, mixup/cutmix, EMA
TRANSFORMER_RECIPE = {
    "optimizer": "adamw",
    "scheduler": "onecycle",
    "lr": 1e-3,
    "weight_decay": 0.05,
    "batch_size": 128,
    "epochs": 100,
    "label_smoothing": 0.1,
    "trivial_augment": True,
    "mixup_alpha": 0.8,
    "cutmix_alpha": 1.0,
    "mix_prob": 0.5,
    "erase_prob": 0.25,
    "ema_decay": 0.999,
    "tta": "flip",
}


def _recipe(**changes: Any) -> dict[str, Any]:
    return {**TRANSFORMER_RECIPE, **changes}


def _net(
    defaults: dict[str, Any],
    num_classes: int,
    in_channels: int,
    image_size: int,
    overrides: dict[str, Any],
) -> nn.Module:
    return TokenNet(num_classes, in_channels, image_size, **{**defaults, **overrides})


def _register(name: str, tags: tuple[str, ...], recipe: dict[str, Any], **defaults: Any) -> None:
    def builder(
        num_classes: int, in_channels: int = 3, image_size: int = 32, **overrides: Any
    ) -> nn.Module:
        return _net(defaults, num_classes, in_channels, image_size, overrides)

    builder.__name__ = name
    family = tags[0]
    builder.__doc__ = f"{family}: " + ", ".join(
        f"{k}={v}" for k, v in defaults.items() if k != "mixers"
    )
    register_model(name, domain=DOMAIN, tags=("classify", *tags), recipe=recipe)(builder)


_MIXED = {"spectformer": lambda depth, k: ["gfnet"] * k + ["attention"] * (depth - k)}

_register(
    "vit_tiny_patch4_32",
    ("vit", "transformer", "attention"),
    _recipe(),
    dim=192,
    depth=9,
    heads=3,
    mlp_ratio=2.0,
)
_register(
    "vit_micro_patch4_32",
    ("vit", "transformer", "attention"),
    _recipe(),
    dim=128,
    depth=6,
    heads=4,
    mlp_ratio=2.0,
)
_register(
    "vit_micro_rms_swiglu_patch4_32",
    ("vit", "transformer", "attention"),
    _recipe(),
    dim=128,
    depth=6,
    heads=4,
    mlp_ratio=2.0,
    norm="rms",
    swiglu=True,
)
_register(
    "cct_7_3x1_32",
    ("cct", "transformer", "attention"),
    _recipe(),
    stem="conv",
    conv_layers=1,
    dim=256,
    depth=7,
    heads=4,
    mlp_ratio=2.0,
    pool="seq",
)
_register(
    "cct_2_3x2_32",
    ("cct", "transformer", "attention"),
    _recipe(),
    stem="conv",
    conv_layers=2,
    dim=128,
    depth=2,
    heads=2,
    mlp_ratio=1.0,
    pool="seq",
)
_register(
    "gfnet_xs_32",
    ("gfnet", "spectral"),
    _recipe(),
    dim=192,
    depth=8,
    mlp_ratio=3.0,
    mixers=["gfnet"] * 8,
    pool="mean",
)
_register(
    "gfnet_cct_32",
    ("gfnet", "spectral", "hybrid"),
    _recipe(),
    stem="conv",
    conv_layers=2,
    dim=192,
    depth=6,
    mlp_ratio=2.0,
    mixers=["gfnet"] * 6,
    pool="seq",
)
_register(
    "spectformer_xs_32",
    ("spectformer", "spectral", "attention"),
    _recipe(),
    dim=192,
    depth=8,
    heads=3,
    mlp_ratio=3.0,
    mixers=_MIXED["spectformer"](8, 4),
    pool="mean",
)
_register(
    "fnet_xs_32",
    ("fnet", "spectral"),
    _recipe(),
    dim=192,
    depth=8,
    mlp_ratio=3.0,
    mixers=["fnet"] * 8,
    pool="mean",
)
_register(
    "vim_tiny_32",
    ("vim", "mamba", "ssm"),
    _recipe(),
    dim=128,
    depth=8,
    mlp_ratio=0.0,
    mixers=["mamba"] * 8,
    pool="mean",
    drop_path=0.05,
)
_register(
    "vim_cct_32",
    ("vim", "mamba", "ssm", "hybrid"),
    _recipe(),
    stem="conv",
    conv_layers=2,
    dim=128,
    depth=6,
    mlp_ratio=0.0,
    mixers=["mamba"] * 6,
    pool="seq",
    drop_path=0.05,
)
_register(
    "swin_local_tiny_32",
    ("swin", "transformer", "attention"),
    _recipe(),
    dim=192,
    depth=8,
    heads=3,
    mlp_ratio=2.0,
    mixers=["window", "window_shift"] * 4,
    pool="mean",
    window=4,
)
