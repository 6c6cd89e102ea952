"""Naive forecasts every result is compared with: repeat the last value, or the last season.

They have no parameters and need no training. Papers call the first "Repeat" (Zeng et al. 2023,
*Are Transformers Effective for Time Series Forecasting?*, Table 2); the seasonal naive forecast
is the standard benchmark of Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*
(3rd ed., §5.2). On data whose recent past is the best guess (daily exchange rates, random
walks) no learned model beats them, and a run says so.
"""

from __future__ import annotations

import torch
from torch import nn

from panspectra_core.registry import register_model


class LastValue(nn.Module):
    """``x (B, L, C)`` → ``(B, H, C)``: every future step equals the last observed value."""

    def __init__(self, horizon: int) -> None:
        super().__init__()
        self.horizon = horizon

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1:, :].expand(-1, self.horizon, -1)


class SeasonalNaive(nn.Module):
    """``x (B, L, C)`` → ``(B, H, C)``: step ``h`` repeats the value one season before it,
    ``ŷ_{T+h} = x_{T+h-s·(⌊(h-1)/s⌋+1)}`` (the last observed season, tiled over the horizon).

    Args:
        horizon: H.
        season: s in steps (at most the lookback); 1 is the last-value forecast.
    """

    def __init__(self, horizon: int, season: int) -> None:
        super().__init__()
        if season < 1:
            raise ValueError(f"season must be >= 1, got {season}")
        self.horizon = horizon
        self.season = season

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.season > x.shape[1]:
            raise ValueError(f"season {self.season} is longer than the lookback {x.shape[1]}")
        last_season = x[:, -self.season :, :]
        repeats = -(-self.horizon // self.season)
        return last_season.repeat(1, repeats, 1)[:, : self.horizon, :]


@register_model(domain="ts", tags=("baseline",))
def last_value(lookback: int, horizon: int, num_channels: int, **_: object) -> LastValue:
    """Repeat the last value (no training; the "Repeat" row of forecasting papers)."""
    return LastValue(horizon)


@register_model(domain="ts", tags=("baseline", "periodic"))
def seasonal_naive(
    lookback: int, horizon: int, num_channels: int, cycle: int = 1, **_: object
) -> SeasonalNaive:
    """Repeat the last season (no training; the season comes from the sampling frequency)."""
    return SeasonalNaive(horizon, min(cycle, lookback))
