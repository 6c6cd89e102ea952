"""DLinear (Zeng et al. 2023, "Are Transformers Effective for Time Series Forecasting?", AAAI).

The lookback is split by a moving average (kernel 25) into trend and seasonal parts; each is
mapped to the horizon by one linear layer over time, shared across channels or individual per
channel, and the two forecasts are added.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from panspectra_core.registry import register_model
from panspectra_ts.models.recipes import family, recipe

from .decomposition import MovingAverageDecomposition
from .revin import RevIN


class TemporalLinear(nn.Module):
    """Linear map over the time axis, shared by all channels or one per channel.

    Shapes: x (batch, L, C) -> (batch, H, C).
    """

    def __init__(self, lookback: int, horizon: int, num_channels: int, individual: bool) -> None:
        super().__init__()
        self.individual = individual
        channels = num_channels if individual else 1
        bound = 1.0 / lookback**0.5  # nn.Linear's default init
        self.weight = nn.Parameter(torch.empty(channels, horizon, lookback).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(channels, horizon).uniform_(-bound, bound))

    def forward(self, x: Tensor) -> Tensor:
        return torch.einsum("blc,chl->bhc", x, self.weight.expand(x.shape[-1], -1, -1)) + (
            self.bias.expand(x.shape[-1], -1).transpose(0, 1)
        )


class DLinear(nn.Module):
    """Decomposition-linear forecaster.

    Args:
        lookback: L; horizon: H; num_channels: C.
        kernel_size: moving-average window of the trend (paper: 25).
        individual: one linear layer per channel instead of one shared.
        revin: wrap in RevIN (not in the paper; off by default).

    Shapes: x (batch, L, C) -> (batch, H, C).
    """

    def __init__(
        self,
        lookback: int,
        horizon: int,
        num_channels: int,
        kernel_size: int = 25,
        individual: bool = False,
        revin: bool = False,
    ) -> None:
        super().__init__()
        self.decomposition = MovingAverageDecomposition(kernel_size)
        self.seasonal = TemporalLinear(lookback, horizon, num_channels, individual)
        self.trend = TemporalLinear(lookback, horizon, num_channels, individual)
        self.revin = RevIN(num_channels, affine=False) if revin else None

    def forward(self, x: Tensor) -> Tensor:
        if self.revin is not None:
            x = self.revin.normalize(x)
        seasonal, trend = self.decomposition(x)
        y = self.seasonal(seasonal) + self.trend(trend)
        return self.revin.denormalize(y) if self.revin is not None else y


def dlinear_recipe(horizon: int, dataset: str | None = None) -> dict:
    """LTSF-Linear scripts (Zeng et al. 2023): 10 epochs, lookback 336, lr per dataset."""
    lr = {"etth1": 0.005, "etth2": 0.05, "ettm1": 0.0001, "ettm2": 0.001}.get(
        family(dataset), 0.005
    )
    return recipe(
        epochs=10,
        lr=lr,
        batch_size=32,
        patience=3,
        scheduler="halving",
        lookback=336,
        model_kwargs={"kernel_size": 25, "individual": False},
        recipe_source="LTSF-Linear scripts (Zeng et al. 2023)",
    )


@register_model(domain="ts", tags=("linear", "decomposition"), recipe=dlinear_recipe)
def dlinear(lookback: int, horizon: int, num_channels: int, **overrides) -> DLinear:
    """DLinear (Zeng et al. 2023): moving-average decomposition + linear trend/seasonal maps."""
    return DLinear(lookback, horizon, num_channels, **overrides)
