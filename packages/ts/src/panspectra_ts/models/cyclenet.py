"""CycleNet (Lin et al. 2024, "CycleNet: Enhancing Time Series Forecasting through Modeling
Periodic Patterns", NeurIPS), Residual Cycle Forecasting (RCF).

One learnable cycle ``Q`` of shape ``(W, C)`` (W = the data's period in steps, e.g. 24 for
hourly data) holds each channel's recurring pattern. A window's input has the cycle segment it
covers subtracted, a channel-shared backbone (one linear layer, or a two-layer MLP) forecasts
the residual, and the cycle segment of the forecast steps is added back. Which segment a window
covers comes from its absolute time step (``time_index`` of the batch,
:func:`panspectra_ts.data.calendar.step_index`) modulo ``W`` — from the timestamps, not from the
row number, so a forecast from a later file lands on the same phase.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from panspectra_core.registry import register_model
from panspectra_ts.models.recipes import recipe

from .revin import RevIN


class RecurrentCycle(nn.Module):
    """The learnable cycle ``Q`` (``(cycle, channels)``, zeros at start, as in the paper).

    Shapes: ``phase`` (batch,) int64 in ``[0, cycle)``; returns ``(batch, length, channels)``
    with row ``t`` equal to ``Q[(phase + t) mod cycle]``.
    """

    def __init__(self, cycle: int, num_channels: int) -> None:
        super().__init__()
        if cycle < 1:
            raise ValueError(f"cycle must be >= 1, got {cycle}")
        self.cycle = cycle
        self.data = nn.Parameter(torch.zeros(cycle, num_channels))

    def forward(self, phase: Tensor, length: int) -> Tensor:
        steps = torch.arange(length, device=phase.device)
        return self.data[(phase.view(-1, 1) + steps.view(1, -1)) % self.cycle]


class CycleNet(nn.Module):
    """RCF with a linear or MLP backbone over time, shared by all channels.

    Args:
        lookback: L; horizon: H; num_channels: C.
        cycle: W, the period in steps (24 for hourly ETT, 96 for 15-minute ETT; the pipeline
            sets it from the sampling frequency unless given).
        backbone: ``"linear"`` (CycleNet/Linear) or ``"mlp"`` (CycleNet/MLP: L → d_model →
            H with ReLU).
        d_model: hidden width of the MLP backbone (paper: 512).
        revin: instance normalization of each window (paper: on).

    Shapes: ``x`` (batch, L, C), ``time_index`` (batch,) int64 absolute step of the first
    input row → (batch, H, C).
    """

    batch_inputs = ("time_index",)

    def __init__(
        self,
        lookback: int,
        horizon: int,
        num_channels: int,
        cycle: int = 24,
        backbone: str = "linear",
        d_model: int = 512,
        revin: bool = True,
    ) -> None:
        super().__init__()
        self.lookback, self.horizon = lookback, horizon
        self.cycle = RecurrentCycle(cycle, num_channels)
        if backbone == "linear":
            self.backbone = nn.Linear(lookback, horizon)
        elif backbone == "mlp":
            self.backbone = nn.Sequential(
                nn.Linear(lookback, d_model), nn.ReLU(), nn.Linear(d_model, horizon)
            )
        else:
            raise ValueError(f"backbone must be 'linear' or 'mlp', got {backbone!r}")
        self.revin = RevIN(num_channels, affine=False) if revin else None

    def forward(self, x: Tensor, time_index: Tensor | None = None) -> Tensor:
        if time_index is None:
            raise ValueError("CycleNet needs time_index, the absolute step of each window")
        phase = torch.remainder(time_index.to(torch.long).view(-1), self.cycle.cycle)
        if self.revin is not None:
            x = self.revin.normalize(x)
        residual = x - self.cycle(phase, self.lookback)
        y = self.backbone(residual.transpose(1, 2)).transpose(1, 2)
        y = y + self.cycle(phase + self.lookback, self.horizon)
        return self.revin.denormalize(y) if self.revin is not None else y


def cyclenet_recipe(horizon: int, dataset: str | None = None) -> dict:
    """CycleNet/Linear scripts, input 96 (Lin et al. 2024).

    ACAT-SCUT/CycleNet scripts/CycleNet/{Linear,MLP}-Input-96: batch 256, 30 epochs, patience
    5, lr 0.01 (Linear) / 0.005 (MLP), lradj type3, Adam without weight decay, RevIN; the
    cycle W comes from the sampling frequency (24 hourly, 96 at 15 minutes, as the scripts).
    """
    return recipe(
        epochs=30,
        lr=0.01,
        batch_size=256,
        patience=5,
        scheduler="decay90",
        weight_decay=0.0,
        lookback=96,
        model_kwargs={"backbone": "linear"},
        recipe_source="CycleNet/Linear scripts, input 96 (Lin et al. 2024)",
    )


@register_model(domain="ts", tags=("linear", "mlp", "periodic"), recipe=cyclenet_recipe)
def cyclenet(lookback: int, horizon: int, num_channels: int, **overrides) -> CycleNet:
    """CycleNet (Lin et al. 2024): learnable recurrent cycle + linear/MLP residual forecast."""
    return CycleNet(lookback, horizon, num_channels, **overrides)
