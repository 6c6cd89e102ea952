"""iTransformer (Liu et al. 2024, "iTransformer: Inverted Transformers Are Effective for Time
Series Forecasting", ICLR).

Variates are the tokens: each channel's whole normalised lookback is embedded by one linear layer,
a LayerNorm post-norm transformer mixes the variates, and a linear projection maps every token to
the horizon. Series are standardised per window (mean/std, no affine), as the official
``use_norm`` does.
"""

from __future__ import annotations

from torch import Tensor, nn

from panspectra_core.registry import register_model
from panspectra_ts.models.recipes import variate_token_recipe

from .encoder import Encoder
from .revin import RevIN


class ITransformer(nn.Module):
    """Inverted transformer: attention across variates.

    Args:
        lookback: L; horizon: H; num_channels: C.
        d_model, num_heads, d_ff, num_layers: encoder size (ETTh1 official: 256, 8, 256, 2).
        dropout: embedding and encoder dropout; activation: feed-forward activation.
        revin: per-window standardisation; affine: learn RevIN's affine parameters.

    Shapes: x (batch, L, C) -> (batch, H, C).
    """

    def __init__(
        self,
        lookback: int,
        horizon: int,
        num_channels: int,
        d_model: int = 256,
        num_heads: int = 8,
        d_ff: int = 256,
        num_layers: int = 2,
        dropout: float = 0.1,
        activation: str = "gelu",
        revin: bool = True,
        affine: bool = False,
    ) -> None:
        super().__init__()
        self.revin = RevIN(num_channels, affine=affine) if revin else None
        self.embed = nn.Sequential(nn.Linear(lookback, d_model), nn.Dropout(dropout))
        self.encoder = Encoder(
            num_layers,
            d_model,
            num_heads,
            d_ff,
            dropout,
            norm="layer",
            activation=activation,
            final_norm=True,
        )
        self.project = nn.Linear(d_model, horizon)

    def forward(self, x: Tensor) -> Tensor:
        if self.revin is not None:
            x = self.revin.normalize(x)
        tokens = self.encoder(self.embed(x.transpose(1, 2)))  # (B, C, d)
        y = self.project(tokens).transpose(1, 2)  # (B, H, C)
        return self.revin.denormalize(y) if self.revin is not None else y


def itransformer_recipe(horizon: int, dataset: str | None = None) -> dict:
    """iTransformer scripts (Liu et al. 2024)."""
    return variate_token_recipe(dataset, {"num_heads": 8}, "iTransformer scripts (Liu et al. 2024)")


@register_model(domain="ts", tags=("transformer", "variate-tokens"), recipe=itransformer_recipe)
def itransformer(lookback: int, horizon: int, num_channels: int, **overrides) -> ITransformer:
    """iTransformer (Liu et al. 2024): variates as tokens, LayerNorm encoder, linear projection."""
    return ITransformer(lookback, horizon, num_channels, **overrides)
