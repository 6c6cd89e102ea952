"""Seasonal-trend decompositions of a lookback window.

- Moving-average decomposition (Autoformer, Wu et al. 2021; DLinear, Zeng et al. 2023,
  "Are Transformers Effective for Time Series Forecasting?"): trend = centred moving average with
  the series' first/last value replicated at the borders, seasonal = x − trend.
- Exponential-moving-average decomposition (xPatch, Stitsyuk & Choi 2025, "xPatch: Dual-Stream
  Time Series Forecasting with Exponential Seasonal-Trend Decomposition", AAAI):
  trend s_0 = x_0, s_t = α x_t + (1 − α) s_{t−1}; seasonal = x − trend.

Each fast op keeps a readable reference (``*_ref``) used by the tests.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def moving_average_ref(x: Tensor, kernel_size: int) -> Tensor:
    """Readable reference of :func:`moving_average`: an explicit loop over time steps.

    Shapes: x (batch, L, C) -> (batch, L, C).
    """
    half = (kernel_size - 1) // 2
    length = x.shape[1]
    out = []
    for t in range(length):
        idx = [min(max(t + j, 0), length - 1) for j in range(-half, kernel_size - half)]
        out.append(x[:, idx, :].mean(dim=1))
    return torch.stack(out, dim=1)


def moving_average(x: Tensor, kernel_size: int) -> Tensor:
    """Centred moving average with replicate padding (DLinear's ``moving_avg``).

    For odd ``kernel_size`` the window of step t is [t − k//2, t + k//2] (indices clamped to the
    series), so the output keeps the input length.

    Shapes: x (batch, L, C) -> (batch, L, C).
    """
    if kernel_size < 1:
        raise ValueError(f"kernel_size must be >= 1, got {kernel_size}")
    if kernel_size == 1:
        return x
    half = (kernel_size - 1) // 2
    series = x.transpose(1, 2)  # (batch, C, L)
    front = series[..., :1].expand(-1, -1, half)
    back = series[..., -1:].expand(-1, -1, kernel_size - 1 - half)
    padded = torch.cat([front, series, back], dim=-1)
    return F.avg_pool1d(padded, kernel_size, stride=1).transpose(1, 2)


def exponential_moving_average_ref(x: Tensor, alpha: float) -> Tensor:
    """Readable reference of :func:`exponential_moving_average`: the recurrence step by step.

    Shapes: x (batch, L, C) -> (batch, L, C).
    """
    state = x[:, 0]
    out = [state]
    for t in range(1, x.shape[1]):
        state = alpha * x[:, t] + (1 - alpha) * state
        out.append(state)
    return torch.stack(out, dim=1)


def exponential_moving_average(x: Tensor, alpha: float, chunk_size: int = 256) -> Tensor:
    """EMA s_0 = x_0, s_t = α x_t + (1 − α) s_{t−1}, computed in parallel per chunk.

    Within a chunk starting after state s_prev,
    s_k = (1−α)^{k+1} s_prev + Σ_{j≤k} α (1−α)^{k−j} x_j,
    evaluated as a cumulative sum of x_j (1−α)^{−j} scaled back by (1−α)^{k} in float64 (the
    closed form of the xPatch code), with a carried state between chunks so the powers never
    overflow for long lookbacks.

    Args:
        x: (batch, L, C) series.
        alpha: smoothing factor in (0, 1]; xPatch uses 0.3.
        chunk_size: upper bound on time steps per parallel chunk (lowered automatically for
            large α so that (1−α)^{−chunk} stays far from float64 overflow).

    Shapes: x (batch, L, C) -> (batch, L, C) in x's dtype.
    """
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    if alpha == 1.0:
        return x
    decay = 1.0 - alpha
    # keep (1-α)^{-chunk} below ~1e150 so float64 neither overflows nor loses the small terms
    chunk_size = max(1, min(chunk_size, int(345.0 / -math.log(decay))))
    work = x.to(torch.float64)
    state = work[:, :1]  # s_{-1} := x_0 makes s_0 = x_0
    outputs = []
    for start in range(0, work.shape[1], chunk_size):
        chunk = work[:, start : start + chunk_size]
        k = torch.arange(chunk.shape[1], device=x.device, dtype=torch.float64)
        growth = decay ** (-k)  # (1-α)^{-j}
        shrink = decay**k  # (1-α)^{k}
        weighted = torch.cumsum(chunk * (alpha * growth).view(1, -1, 1), dim=1)
        smoothed = shrink.view(1, -1, 1) * (weighted + decay * state)
        outputs.append(smoothed)
        state = smoothed[:, -1:]
    return torch.cat(outputs, dim=1).to(x.dtype)


class MovingAverageDecomposition(nn.Module):
    """x -> (seasonal, trend) with a centred moving average trend (DLinear, kernel 25).

    Shapes: x (batch, L, C) -> seasonal (batch, L, C), trend (batch, L, C); seasonal + trend = x.
    """

    def __init__(self, kernel_size: int = 25) -> None:
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        trend = moving_average(x, self.kernel_size)
        return x - trend, trend


class EMADecomposition(nn.Module):
    """x -> (seasonal, trend) with an exponential moving average trend (xPatch, α = 0.3).

    Shapes: x (batch, L, C) -> seasonal (batch, L, C), trend (batch, L, C); seasonal + trend = x.
    """

    def __init__(self, alpha: float = 0.3) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        trend = exponential_moving_average(x, self.alpha)
        return x - trend, trend
