"""Rotary position embedding (RoPE; Su et al. 2021, "RoFormer: Enhanced Transformer with Rotary
Position Embedding", arXiv:2104.09864).

Uses the "rotate-half" layout of GPT-NeoX / LLaMA: the feature vector is split into two halves
``(x1, x2)`` and pair ``i`` is ``(x1[i], x2[i])``, rotated by angle ``pos * base**(-2i/d)``.
Also imported by :mod:`panspectra_core.layers` (positions).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def rotate_half(x: Tensor) -> Tensor:
    """``(x1, x2) -> (-x2, x1)`` on the last dimension (even size)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate ``x`` by the angles whose cosines/sines are given.

    Args:
        x: (..., L, d) with d even, e.g. (batch, heads, L, head_dim).
        cos, sin: (L, d) as returned by :class:`RotaryEmbedding` (broadcast over leading dims).

    Returns:
        (..., L, d), same dtype as ``x``.
    """
    return (x * cos + rotate_half(x) * sin).to(x.dtype)


class RotaryEmbedding(nn.Module):
    """Cos/sin tables for RoPE.

    Args:
        dim: rotated feature size (even; usually the head dimension).
        base: frequency base (10 000 in RoFormer).

    ``forward(seq_len, device, dtype, offset=0)`` returns ``(cos, sin)``, each (seq_len, dim), for
    positions ``offset .. offset + seq_len - 1``.
    """

    def __init__(self, dim: int, base: float = 10_000.0) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f"RoPE dim must be even, got {dim}")
        self.dim = dim
        self.base = base
        inv_freq = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)
        self.register_buffer("inv_freq", inv_freq.float(), persistent=False)

    def forward(
        self,
        seq_len: int,
        device: torch.device | None = None,
        dtype: torch.dtype = torch.float32,
        offset: int = 0,
    ) -> tuple[Tensor, Tensor]:
        device = device if device is not None else self.inv_freq.device
        positions = torch.arange(offset, offset + seq_len, device=device, dtype=torch.float32)
        angles = torch.outer(positions, self.inv_freq.to(device))  # (L, dim/2)
        angles = torch.cat((angles, angles), dim=-1)  # (L, dim) rotate-half layout
        return angles.cos().to(dtype), angles.sin().to(dtype)
