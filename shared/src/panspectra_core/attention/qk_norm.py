"""Per-head RMS normalisation of queries and keys ("QK-norm"; Dehghani et al. 2023, "Scaling Vision
Transformers to 22 Billion Parameters", arXiv:2302.05442; RMSNorm: Zhang & Sennrich 2019)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class HeadRMSNorm(nn.Module):
    """RMSNorm over the last (head) dimension with a learnable per-feature gain.

    Args:
        head_dim: size of the normalised dimension.
        eps: added to the mean square before the square root.

    Shapes: (..., head_dim) -> (..., head_dim).
    """

    def __init__(self, head_dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(head_dim))

    def forward(self, x: Tensor) -> Tensor:
        half = x.dtype in (torch.float16, torch.bfloat16)
        x_float = x.float() if half else x  # statistics in at least float32
        normed = x_float * torch.rsqrt(x_float.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed.to(x.dtype) * self.weight
