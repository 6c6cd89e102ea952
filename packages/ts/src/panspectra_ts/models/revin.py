"""Reversible instance normalization (RevIN; Kim et al. 2022, "Reversible Instance Normalization
for Accurate Time-Series Forecasting against Distribution Shift", ICLR).

Each series (sample × channel) of the lookback window is standardised with its own mean and
standard deviation over time before the network; the forecast is de-standardised with the same
statistics afterwards, so level and scale shifts between windows do not have to be learned.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class RevIN(nn.Module):
    """Per-window, per-channel standardisation with an exact inverse.

    Args:
        num_channels: number of variates C (size of the optional affine parameters).
        eps: added to the variance before the square root.
        affine: learn a per-channel scale and bias applied after normalisation (and undone
            before de-normalisation), as in the paper.
        subtract_last: centre on the last observed value instead of the window mean
            (the PatchTST option).

    Shapes:
        ``normalize``: x (batch, L, C) -> (batch, L, C), storing statistics (batch, 1, C).
        ``denormalize``: y (batch, H, C) -> (batch, H, C), using the stored statistics.
    """

    def __init__(
        self,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        subtract_last: bool = False,
    ) -> None:
        super().__init__()
        self.num_channels, self.eps = num_channels, eps
        self.subtract_last = subtract_last
        if affine:
            self.weight = nn.Parameter(torch.ones(num_channels))
            self.bias = nn.Parameter(torch.zeros(num_channels))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self._center: Tensor | None = None
        self._scale: Tensor | None = None

    def normalize(self, x: Tensor) -> Tensor:
        """Standardise ``x`` (batch, L, C) per sample and channel; remember the statistics."""
        if self.subtract_last:
            center = x[:, -1:, :].detach()
        else:
            center = x.mean(dim=1, keepdim=True).detach()
        var = x.var(dim=1, keepdim=True, unbiased=False).detach()
        scale = torch.sqrt(var + self.eps)
        self._center, self._scale = center, scale
        out = (x - center) / scale
        if self.weight is not None:
            out = out * self.weight + self.bias
        return out

    def denormalize(self, y: Tensor) -> Tensor:
        """Undo :meth:`normalize` on a forecast ``y`` (batch, H, C)."""
        if self._center is None or self._scale is None:
            raise RuntimeError("RevIN.denormalize called before normalize")
        if self.weight is not None:
            y = (y - self.bias) / (self.weight + self.eps * self.eps)
        return y * self._scale + self._center

    def forward(self, x: Tensor, mode: str = "norm") -> Tensor:
        """``mode="norm"`` -> :meth:`normalize`, ``mode="denorm"`` -> :meth:`denormalize`."""
        if mode == "norm":
            return self.normalize(x)
        if mode == "denorm":
            return self.denormalize(x)
        raise ValueError(f"mode must be 'norm' or 'denorm', got {mode!r}")
