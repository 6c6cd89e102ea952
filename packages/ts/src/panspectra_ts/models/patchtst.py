"""PatchTST (Nie et al. 2023, "A Time Series is Worth 64 Words: Long-term Forecasting with
Transformers", ICLR).

Channel independence: every variate is forecast on its own by the same network. Each RevIN-
normalised series is cut into patches (length 16, stride 8, one end-padded patch), patches are
linearly embedded with a learned positional embedding, encoded by a BatchNorm post-norm
transformer, flattened and mapped to the horizon by a linear head.

Not reproduced: the "residual attention" option of the official code (pre-softmax scores carried
between layers), since the core attention op does not expose scores.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from panspectra_core.layers import PatchEmbed1d
from panspectra_core.registry import register_model
from panspectra_ts.models.recipes import family, recipe

from .encoder import Encoder
from .revin import RevIN


class PatchTST(nn.Module):
    """Channel-independent patch transformer.

    Args:
        lookback: L; horizon: H; num_channels: C.
        patch_len, stride: patching (paper: 16, 8).
        d_model, num_heads, d_ff, num_layers: encoder size (ETTh: 16, 4, 128, 3).
        dropout: encoder dropout; head_dropout: dropout before the flatten head;
        embed_dropout: dropout after the positional embedding (official code: = dropout).
        revin, affine, subtract_last: RevIN options (paper: on, affine, mean).

    Shapes: x (batch, L, C) -> (batch, H, C).
    """

    def __init__(
        self,
        lookback: int,
        horizon: int,
        num_channels: int,
        patch_len: int = 16,
        stride: int = 8,
        d_model: int = 16,
        num_heads: int = 4,
        d_ff: int = 128,
        num_layers: int = 3,
        dropout: float = 0.3,
        head_dropout: float = 0.0,
        embed_dropout: float | None = None,
        attn_dropout: float = 0.0,
        revin: bool = True,
        affine: bool = True,
        subtract_last: bool = False,
    ) -> None:
        super().__init__()
        self.horizon = horizon
        self.revin = (
            RevIN(num_channels, affine=affine, subtract_last=subtract_last) if revin else None
        )
        self.embed = PatchEmbed1d(patch_len, stride, d_model, pad_end=True)
        self.num_patches = self.embed.num_patches(lookback)
        self.position = nn.Parameter(torch.empty(self.num_patches, d_model).uniform_(-0.02, 0.02))
        self.embed_dropout = nn.Dropout(dropout if embed_dropout is None else embed_dropout)
        self.encoder = Encoder(
            num_layers, d_model, num_heads, d_ff, dropout, attn_dropout, norm="batch"
        )
        self.head = nn.Sequential(
            nn.Flatten(start_dim=-2),
            nn.Dropout(head_dropout),
            nn.Linear(self.num_patches * d_model, horizon),
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.revin is not None:
            x = self.revin.normalize(x)
        batch, _, channels = x.shape
        tokens = self.embed(x.transpose(1, 2)).flatten(0, 1)  # (B*C, N, d)
        tokens = self.encoder(self.embed_dropout(tokens + self.position))
        y = self.head(tokens).reshape(batch, channels, self.horizon).transpose(1, 2)
        return self.revin.denormalize(y) if self.revin is not None else y


def patchtst_recipe(horizon: int, dataset: str | None = None) -> dict:
    """PatchTST/42 scripts (Nie et al. 2023): small model on ETTh, larger on ETTm and others."""
    if family(dataset) in ("etth1", "etth2", "default"):
        kwargs = {"d_model": 16, "num_heads": 4, "d_ff": 128, "num_layers": 3, "dropout": 0.3}
    else:  # ETTm and the larger datasets
        kwargs = {"d_model": 128, "num_heads": 16, "d_ff": 256, "num_layers": 3, "dropout": 0.2}
    return recipe(
        epochs=100,
        lr=1e-4,
        batch_size=128,
        patience=20,
        scheduler="onecycle",
        lookback=336,
        model_kwargs=kwargs,
        recipe_source="PatchTST/42 scripts (Nie et al. 2023)",
    )


@register_model(
    domain="ts", tags=("transformer", "patch", "channel-independent"), recipe=patchtst_recipe
)
def patchtst(lookback: int, horizon: int, num_channels: int, **overrides) -> PatchTST:
    """PatchTST (Nie et al. 2023): RevIN, patches of 16/stride 8, channel-independent encoder."""
    return PatchTST(lookback, horizon, num_channels, **overrides)
