"""Loss functions selectable by name from configs and CLIs."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def arctan_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Arctangent-weighted MAE of xPatch (Stitsyuk & Choi, AAAI 2025).

    Forecast step ``i`` (0-based, along dim 1 of ``(batch, horizon, channels)``) is weighted
    by ``w_i = 1 + π/4 − arctan(i + 1)``: near steps count more than far ones, and the
    weights decay slowly (``w_0 = 1``, ``w_∞ → 1 − π/4``).
    """
    steps = torch.arange(pred.shape[1], device=pred.device, dtype=pred.dtype)
    weights = 1.0 + math.pi / 4 - torch.atan(steps + 1.0)
    shape = [1, -1] + [1] * (pred.dim() - 2)
    return ((pred - target).abs() * weights.view(shape)).mean()


_LOSSES: dict[str, LossFn] = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "huber": F.smooth_l1_loss,
    "arctan": arctan_loss,
}


def resolve_loss(loss: str | LossFn) -> LossFn:
    """A loss callable from its name (``mse``, ``mae``, ``huber``, ``arctan``) or itself."""
    if callable(loss):
        return loss
    try:
        return _LOSSES[loss]
    except KeyError:
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(_LOSSES)}") from None
