"""Multi-head self- and cross-attention modules (Vaswani et al. 2017, "Attention Is All You Need").

Both run :func:`~panspectra_core.attention.softmax.softmax_attention` (SDPA). Options:
rotary positions (RoPE, Su et al. 2021) on self-attention, per-head RMS QK-norm (Dehghani et al.
2023), causal masking, key padding masks (True = keep), attention dropout.
"""

from __future__ import annotations

from torch import Tensor, nn

from .qk_norm import HeadRMSNorm
from .rope import RotaryEmbedding, apply_rotary
from .softmax import combine_masks, softmax_attention


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(batch, L, heads*d) -> (batch, heads, L, d)."""
    batch, length, width = x.shape
    return x.view(batch, length, num_heads, width // num_heads).transpose(1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """(batch, heads, L, d) -> (batch, L, heads*d)."""
    batch, heads, length, d = x.shape
    return x.transpose(1, 2).reshape(batch, length, heads * d)


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention.

    Args:
        dim: model width; must be divisible by ``num_heads``.
        num_heads: number of heads (head_dim = dim // num_heads).
        causal: forbid attending to later positions.
        rope: apply rotary position embeddings to q and k (head_dim must be even).
        qk_norm: RMS-normalise q and k per head before the dot product.
        dropout: dropout on attention probabilities (training only).
        proj_dropout: dropout on the output projection.
        bias: biases in the q/k/v and output projections.

    Shapes:
        x: (batch, L, dim); key_padding_mask: (batch, L) bool, True = real token -> (batch, L, dim).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        causal: bool = False,
        rope: bool = False,
        qk_norm: bool = False,
        dropout: float = 0.0,
        proj_dropout: float = 0.0,
        bias: bool = True,
        rope_base: float = 10_000.0,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} not divisible by num_heads={num_heads}")
        self.dim, self.num_heads, self.head_dim = dim, num_heads, dim // num_heads
        self.causal = causal
        self.dropout = dropout
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.out = nn.Linear(dim, dim, bias=bias)
        self.proj_dropout = nn.Dropout(proj_dropout)
        self.rotary = RotaryEmbedding(self.head_dim, base=rope_base) if rope else None
        self.q_norm = HeadRMSNorm(self.head_dim) if qk_norm else None
        self.k_norm = HeadRMSNorm(self.head_dim) if qk_norm else None

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        q, k, v = (split_heads(t, self.num_heads) for t in self.qkv(x).chunk(3, dim=-1))
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        if self.rotary is not None:
            cos, sin = self.rotary(x.shape[1], device=x.device, dtype=q.dtype)
            q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        mask = combine_masks(key_padding_mask, False, x.shape[1], x.shape[1], x.device)
        out = softmax_attention(
            q,
            k,
            v,
            attn_mask=mask,
            causal=self.causal,
            dropout_p=self.dropout if self.training else 0.0,
        )
        return self.proj_dropout(self.out(merge_heads(out)))


class CrossAttention(nn.Module):
    """Multi-head cross-attention: queries from ``x``, keys/values from ``context``.

    Args:
        dim: query/model width (divisible by ``num_heads``).
        num_heads: number of heads.
        context_dim: width of ``context`` (default ``dim``).
        qk_norm: RMS-normalise q and k per head.
        dropout: attention-probability dropout; proj_dropout: output dropout.
        bias: projection biases.

    Shapes:
        x: (batch, L_q, dim); context: (batch, L_k, context_dim);
        context_mask: (batch, L_k) bool, True = real token -> (batch, L_q, dim).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        context_dim: int | None = None,
        qk_norm: bool = False,
        dropout: float = 0.0,
        proj_dropout: float = 0.0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} not divisible by num_heads={num_heads}")
        context_dim = context_dim or dim
        self.dim, self.num_heads, self.head_dim = dim, num_heads, dim // num_heads
        self.dropout = dropout
        self.q = nn.Linear(dim, dim, bias=bias)
        self.kv = nn.Linear(context_dim, 2 * dim, bias=bias)
        self.out = nn.Linear(dim, dim, bias=bias)
        self.proj_dropout = nn.Dropout(proj_dropout)
        self.q_norm = HeadRMSNorm(self.head_dim) if qk_norm else None
        self.k_norm = HeadRMSNorm(self.head_dim) if qk_norm else None

    def forward(self, x: Tensor, context: Tensor, context_mask: Tensor | None = None) -> Tensor:
        q = split_heads(self.q(x), self.num_heads)
        k, v = (split_heads(t, self.num_heads) for t in self.kv(context).chunk(2, dim=-1))
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        mask = combine_masks(context_mask, False, x.shape[1], context.shape[1], x.device)
        out = softmax_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.proj_dropout(self.out(merge_heads(out)))
