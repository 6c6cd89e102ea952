"""Local (block) window attention over 1D sequences: tokens attend only inside non-overlapping
windows of ``window_size`` consecutive positions (blockwise local attention as in Image
Transformer, Parmar et al. 2018, arXiv:1802.05751, and Longformer's local pattern, Beltagy
et al. 2020, arXiv:2004.05150).

The sequence is zero-padded to a multiple of the window; padded positions are masked as keys and
cropped from the output. Cost O(L · w) instead of O(L²).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .multihead import merge_heads, split_heads
from .qk_norm import HeadRMSNorm
from .rope import RotaryEmbedding, apply_rotary
from .softmax import softmax_attention


class LocalWindowAttention1d(nn.Module):
    """Multi-head softmax attention restricted to non-overlapping windows.

    Args:
        dim: model width (divisible by ``num_heads``).
        num_heads: number of heads.
        window_size: tokens per window w.
        causal: additionally forbid attending to later tokens inside the window.
        rope: rotary embeddings with absolute sequence positions.
        qk_norm: per-head RMS QK-norm.
        dropout: attention-probability dropout (training only).
        bias: projection biases.

    Shapes:
        x: (batch, L, dim); key_padding_mask: (batch, L) bool, True = real token -> (batch, L, dim).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: int,
        causal: bool = False,
        rope: bool = False,
        qk_norm: bool = False,
        dropout: float = 0.0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} not divisible by num_heads={num_heads}")
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.window_size, self.causal, self.dropout = window_size, causal, dropout
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.out = nn.Linear(dim, dim, bias=bias)
        self.rotary = RotaryEmbedding(self.head_dim) if rope else None
        self.q_norm = HeadRMSNorm(self.head_dim) if qk_norm else None
        self.k_norm = HeadRMSNorm(self.head_dim) if qk_norm else None

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        batch, length, _ = x.shape
        w = self.window_size
        pad = (-length) % w
        keep = torch.ones(batch, length, dtype=torch.bool, device=x.device)
        if key_padding_mask is not None:
            keep = keep & key_padding_mask.to(torch.bool)
        x, keep = F.pad(x, (0, 0, 0, pad)), F.pad(keep, (0, pad), value=False)
        padded_len, num_windows = length + pad, (length + pad) // w

        q, k, v = (split_heads(t, self.num_heads) for t in self.qkv(x).chunk(3, dim=-1))
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        if self.rotary is not None:
            cos, sin = self.rotary(padded_len, device=x.device, dtype=q.dtype)
            q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        windowed = (batch, self.num_heads, num_windows, w, self.head_dim)
        q, k, v = (t.reshape(windowed) for t in (q, k, v))
        mask = keep.view(batch, 1, num_windows, 1, w)
        out = softmax_attention(
            q,
            k,
            v,
            attn_mask=mask,
            causal=self.causal,
            dropout_p=self.dropout if self.training else 0.0,
        )
        out = out.reshape(batch, self.num_heads, padded_len, self.head_dim)[:, :, :length]
        return self.out(merge_heads(out))
