"""Root-mean-square layer normalisation (Zhang & Sennrich 2019, "Root Mean Square Layer
Normalization", NeurIPS 2019, arXiv:1910.07467).

``y = x / sqrt(mean(x², last dim) + eps) · weight`` — LayerNorm without mean centring or bias.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

_HALF_DTYPES = (torch.float16, torch.bfloat16)


def rms_norm(x: Tensor, weight: Tensor | None = None, eps: float = 1e-6) -> Tensor:
    """RMS-normalise the last dimension of ``x``.

    Args:
        x: (..., dim).
        weight: optional (dim,) gain.
        eps: added to the mean square before the square root.

    Returns:
        (..., dim), dtype of ``x``; half precision statistics are computed in float32.
    """
    compute = torch.float32 if x.dtype in _HALF_DTYPES else x.dtype
    xc = x.to(compute)
    y = xc * torch.rsqrt(xc.square().mean(dim=-1, keepdim=True) + eps)
    if weight is not None:
        y = y * weight.to(compute)
    return y.to(x.dtype)


class RMSNorm(nn.Module):
    """RMSNorm over the last dimension.

    Args:
        dim: size of the normalised (last) dimension.
        eps: numerical floor inside the square root.
        elementwise_affine: learn a (dim,) gain initialised to ones.

    Shapes: (..., dim) → (..., dim).
    """

    def __init__(self, dim: int, eps: float = 1e-6, elementwise_affine: bool = True) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.dim}, eps={self.eps}, elementwise_affine={self.weight is not None}"
