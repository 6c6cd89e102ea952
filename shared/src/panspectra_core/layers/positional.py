"""Absolute positional encodings added to token embeddings.

- :class:`SinusoidalPositionalEncoding`: Vaswani et al. 2017, "Attention Is All You Need",
  ``PE[p, 2i] = sin(p / base^(2i/d))``, ``PE[p, 2i+1] = cos(p / base^(2i/d))``, base 10 000.
- :class:`LearnedPositionalEncoding`: a trained table (BERT, Devlin et al. 2019; ViT).

Rotary embeddings (RoPE) live in :mod:`panspectra_core.attention.rope` and are re-exported by
:mod:`panspectra_core.layers`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def sinusoidal_table(
    num_positions: int, dim: int, base: float = 10_000.0, offset: int = 0
) -> Tensor:
    """Sinusoidal encodings of positions ``offset .. offset + num_positions - 1``.

    Returns:
        (num_positions, dim) float32; even columns sines, odd columns cosines (odd ``dim`` drops
        the last cosine).
    """
    positions = torch.arange(offset, offset + num_positions, dtype=torch.float64)[:, None]
    even = torch.arange(0, dim, 2, dtype=torch.float64)
    angles = positions * torch.exp(-math.log(base) * even / dim)  # (L, ceil(d/2))
    table = torch.zeros(num_positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, : dim // 2])
    return table.float()


class SinusoidalPositionalEncoding(nn.Module):
    """Adds fixed sinusoidal position encodings to (batch, L, dim) tokens.

    Args:
        dim: embedding size.
        max_len: positions precomputed into a (non-persistent) buffer; longer inputs are encoded
            on the fly.
        base: frequency base (10 000 in the Transformer).

    ``forward(x, offset=0)``: (batch, L, dim) → (batch, L, dim), ``x + PE[offset : offset + L]``
    (``offset`` lets a streaming decoder continue where it stopped).
    """

    def __init__(self, dim: int, max_len: int = 4096, base: float = 10_000.0) -> None:
        super().__init__()
        self.dim, self.max_len, self.base = dim, max_len, base
        self.register_buffer("table", sinusoidal_table(max_len, dim, base), persistent=False)

    def encoding(self, seq_len: int, offset: int = 0) -> Tensor:
        """The (seq_len, dim) encodings of positions ``offset .. offset + seq_len - 1``."""
        if offset + seq_len <= self.max_len:
            return self.table[offset : offset + seq_len]
        return sinusoidal_table(seq_len, self.dim, self.base, offset).to(self.table.device)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        return x + self.encoding(x.shape[-2], offset).to(x.dtype)


class LearnedPositionalEncoding(nn.Module):
    """Adds a learned (max_len, dim) position table to (batch, L, dim) tokens.

    Args:
        max_len: the largest number of positions (L + offset must not exceed it).
        dim: embedding size.
        init_std: std of the truncated-normal initialisation (0.02 as in BERT / ViT).

    ``forward(x, offset=0)``: (batch, L, dim) → (batch, L, dim).
    """

    def __init__(self, max_len: int, dim: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.empty(max_len, dim))
        nn.init.trunc_normal_(self.weight, std=init_std, a=-2 * init_std, b=2 * init_std)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        seq_len = x.shape[-2]
        if offset + seq_len > self.max_len:
            raise ValueError(
                f"positions up to {offset + seq_len} exceed the learned table ({self.max_len})"
            )
        return x + self.weight[offset : offset + seq_len].to(x.dtype)
