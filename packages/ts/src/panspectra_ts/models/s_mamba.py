"""S-Mamba (Wang et al. 2024, "Is Mamba Effective for Time Series Forecasting?",
Neurocomputing 2025 / arXiv:2403.11144).

Like iTransformer, variates are tokens: each channel's normalised lookback is embedded by a
linear layer. Each encoder layer mixes the variate tokens with a bidirectional Mamba (core
:class:`panspectra_core.ssm.BiMambaBlock`, the two directions summed), then a feed-forward network,
both post-norm residual with LayerNorm; a linear projection maps every token to the horizon.
"""

from __future__ import annotations

from torch import Tensor, nn

from panspectra_core.registry import register_model
from panspectra_core.ssm import BiMambaBlock
from panspectra_ts.models.recipes import variate_token_recipe

from .encoder import FeedForward
from .revin import RevIN


class SMambaLayer(nn.Module):
    """Bidirectional-Mamba token mixing + feed-forward, post-norm.

    Shapes: x (batch, C, d_model) -> (batch, C, d_model).
    """

    def __init__(
        self, d_model: int, d_ff: int, d_state: int, d_conv: int, expand: int, dropout: float
    ) -> None:
        super().__init__()
        self.mixer = BiMambaBlock(d_model, d_state=d_state, d_conv=d_conv, expand=expand)
        self.ffn = FeedForward(d_model, d_ff, dropout, activation="relu")
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.drop1, self.drop2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm1(x + self.drop1(self.mixer(x)))
        return self.norm2(x + self.drop2(self.ffn(x)))


class SMamba(nn.Module):
    """Variate-token bidirectional Mamba forecaster.

    Args:
        lookback: L; horizon: H; num_channels: C.
        d_model, d_ff, num_layers: sizes (official ETTh1: 256, 256, 2).
        d_state, d_conv, expand: Mamba sizes (official: 2 for ETT, 2, 1).
        dropout: embedding/encoder dropout; revin: per-window standardisation (no affine).

    Shapes: x (batch, L, C) -> (batch, H, C).
    """

    def __init__(
        self,
        lookback: int,
        horizon: int,
        num_channels: int,
        d_model: int = 256,
        d_ff: int = 256,
        num_layers: int = 2,
        d_state: int = 2,
        d_conv: int = 2,
        expand: int = 1,
        dropout: float = 0.1,
        revin: bool = True,
    ) -> None:
        super().__init__()
        self.revin = RevIN(num_channels, affine=False) if revin else None
        self.embed = nn.Sequential(nn.Linear(lookback, d_model), nn.Dropout(dropout))
        self.layers = nn.Sequential(
            *(
                SMambaLayer(d_model, d_ff, d_state, d_conv, expand, dropout)
                for _ in range(num_layers)
            )
        )
        self.final_norm = nn.LayerNorm(d_model)
        self.project = nn.Linear(d_model, horizon)

    def forward(self, x: Tensor) -> Tensor:
        if self.revin is not None:
            x = self.revin.normalize(x)
        tokens = self.final_norm(self.layers(self.embed(x.transpose(1, 2))))  # (B, C, d)
        y = self.project(tokens).transpose(1, 2)
        return self.revin.denormalize(y) if self.revin is not None else y


def s_mamba_recipe(horizon: int, dataset: str | None = None) -> dict:
    """S-Mamba scripts (Wang et al. 2024)."""
    return variate_token_recipe(dataset, {"d_state": 2}, "S-Mamba scripts (Wang et al. 2024)")


@register_model(domain="ts", tags=("ssm", "mamba", "variate-tokens"), recipe=s_mamba_recipe)
def s_mamba(lookback: int, horizon: int, num_channels: int, **overrides) -> SMamba:
    """S-Mamba (Wang et al. 2024): variate tokens, bidirectional Mamba + FFN encoder."""
    return SMamba(lookback, horizon, num_channels, **overrides)
