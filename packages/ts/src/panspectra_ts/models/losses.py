"""Forecasting losses not in the core: xPatch's arctan-weighted loss (Stitsyuk & Choi 2025).

The error at horizon step i (0-based) is weighted by ρ(i) = 1 − arctan(i + 1) + π/4, which starts
at 1 and decreases slowly towards 1 − π/4 ≈ 0.21, so near-term errors count more; xPatch trains
with the weighted MAE.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def arctan_weights(horizon: int, device=None, dtype=None) -> Tensor:
    """ρ(i) = −arctan(i + 1) + π/4 + 1 for i in [0, horizon). Shape: (horizon,)."""
    steps = torch.arange(1, horizon + 1, device=device, dtype=torch.float64)
    return (1.0 + math.pi / 4 - torch.atan(steps)).to(dtype or torch.get_default_dtype())


def arctan_loss(pred: Tensor, target: Tensor, base: str = "mae") -> Tensor:
    """Arctan-weighted MAE (or MSE with ``base="mse"``) over the horizon axis.

    Shapes: pred, target (batch, H, C) -> scalar.
    """
    weights = arctan_weights(pred.shape[1], device=pred.device, dtype=pred.dtype).view(1, -1, 1)
    diff = (pred - target) * weights
    if base == "mae":
        return diff.abs().mean()
    if base == "mse":
        return diff.pow(2).mean()
    raise ValueError(f"base must be 'mae' or 'mse', got {base!r}")
