"""Conv stems feeding attention: ``vit_fastconv_32`` and ``vit_fastconv3_32``.

The patch-whitened conv groups of ``fastconv_small_32`` (airbench94, Jordan 2024; 2×2 whitening,
then conv groups of 32 and 128 channels: 32×32 → 7×7 maps) feed two pre-norm attention blocks
(core ``MultiHeadAttention``, 4 heads) over the 49 tokens, CCT's sequence pooling and a linear
head — a hybrid in the sense of Xiao et al. 2021 ("Early Convolutions Help Transformers See
Better") and CCT (Hassani et al. 2021). Its recipe is made for runs of a few tens of epochs:
AdamW with one-cycle, crop + flip only, lookahead averaging and flip-and-translate TTA as
fastconv, bf16 autocast where the hardware has bf16 units.

``vit_fastconv3_32`` keeps all three conv groups of ``fastconv_32`` (64/256/256 channels:
32×32 → 3×3 maps) and puts one attention block (width 256, 4 heads) over those 9 tokens in
place of its global max-pool, followed by sequence pooling — convolutions for the local
features, attention for the last, global stage, as in CoAtNet (Dai et al. 2021, conv stages
first, transformer stages at the coarsest resolution) and BoTNet (Srinivas et al. 2021).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from panspectra_core.registry import register_model

from .blocks import TokenNet
from .conv import with_fast_precision
from .transformers import DOMAIN, TRANSFORMER_RECIPE

SHORT_BUDGET_RECIPE = {
    **TRANSFORMER_RECIPE,
    "batch_size": 256,
    "lr": 2e-3,
    "epochs": 30,
    "label_smoothing": 0.2,
    "crop_padding": 2,
    "trivial_augment": False,
    "mixup_alpha": 0.0,
    "cutmix_alpha": 0.0,
    "mix_prob": 0.0,
    "erase_prob": 0.0,
    "ema_decay": 0.95**5,
    "lookahead": True,
    "tta": "flip_translate",
    "channels_last": True,
}

#: what the conv-stem hybrids share: the whitened stem, 4 heads, MLP ratio 2, sequence pooling
HYBRID = {"stem": "whitened", "heads": 4, "mlp_ratio": 2.0, "pool": "seq", "drop_path": 0.0}


@register_model(
    domain=DOMAIN,
    tags=("classify", "vit", "transformer", "attention", "hybrid"),
    recipe=with_fast_precision(SHORT_BUDGET_RECIPE),
)
def vit_fastconv_32(
    num_classes: int, in_channels: int = 3, image_size: int = 32, **overrides: Any
) -> nn.Module:
    """vit: fastconv_small's whitened conv stem (32/128) → 2 attention blocks (dim 128)"""
    widths = {"stem_widths": (32,), "dim": 128, "depth": 2}
    return TokenNet(num_classes, in_channels, image_size, **{**HYBRID, **widths, **overrides})


@register_model(
    domain=DOMAIN,
    tags=("classify", "vit", "transformer", "attention", "hybrid"),
    recipe=with_fast_precision(SHORT_BUDGET_RECIPE),
)
def vit_fastconv3_32(
    num_classes: int, in_channels: int = 3, image_size: int = 32, **overrides: Any
) -> nn.Module:
    """vit: fastconv_32's three whitened conv groups (64/256/256) → 1 attention block (dim 256)"""
    widths = {"stem_widths": (64, 256), "dim": 256, "depth": 1}
    return TokenNet(num_classes, in_channels, image_size, **{**HYBRID, **widths, **overrides})
