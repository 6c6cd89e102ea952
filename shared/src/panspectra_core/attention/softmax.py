"""Scaled dot-product softmax attention (Vaswani et al. 2017, "Attention Is All You Need").

Two functions with identical semantics:

- :func:`softmax_attention` — the fast path, on ``torch.nn.functional.scaled_dot_product_attention``
  (flash / memory-efficient kernels on CUDA, fused math on CPU);
- :func:`softmax_attention_ref` — the readable reference: explicit ``softmax(q kᵀ / √d) v``.

Masks are boolean with **True = may attend**, broadcastable to (batch, heads, L_q, L_k). A query row
whose keys are all masked returns zeros (instead of SDPA's NaN), so padded sequences stay finite.
An optional float ``attn_bias`` (same broadcasting) is added to the scaled scores — e.g. Swin's
relative position bias.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def causal_mask(l_q: int, l_k: int, device: torch.device | None = None) -> Tensor:
    """(l_q, l_k) bool mask, True where key index ≤ query index (aligned at the start)."""
    return torch.ones(l_q, l_k, dtype=torch.bool, device=device).tril()


def combine_masks(
    key_padding_mask: Tensor | None, causal: bool, l_q: int, l_k: int, device: torch.device
) -> Tensor | None:
    """Merge a (batch, L_k) key padding mask and a causal flag into one bool mask of shape
    (batch or 1, 1, L_q, L_k), or None when there is nothing to mask."""
    mask = None
    if key_padding_mask is not None:
        mask = key_padding_mask[:, None, None, :].to(torch.bool)
    if causal:
        tri = causal_mask(l_q, l_k, device)[None, None]
        mask = tri if mask is None else mask & tri
    return mask


def softmax_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    attn_mask: Tensor | None = None,
    causal: bool = False,
    dropout_p: float = 0.0,
    attn_bias: Tensor | None = None,
) -> Tensor:
    """Softmax attention on SDPA.

    Args:
        q: (batch, heads, L_q, d); k: (batch, heads, L_k, d); v: (batch, heads, L_k, d_v).
        attn_mask: bool, True = keep, broadcastable to (batch, heads, L_q, L_k).
        causal: additionally forbid key index > query index.
        dropout_p: attention-probability dropout (pass 0.0 in eval).
        attn_bias: float, added to the scaled scores, broadcastable like ``attn_mask``.

    Returns:
        (batch, heads, L_q, d_v).
    """
    if attn_bias is not None and attn_mask is None:
        attn_mask = torch.ones(1, 1, 1, 1, dtype=torch.bool, device=q.device)
    if attn_mask is None:
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=causal)
    if causal:
        attn_mask = attn_mask & causal_mask(q.shape[-2], k.shape[-2], q.device)
    row_has_key = attn_mask.any(dim=-1, keepdim=True)
    safe_mask = attn_mask | ~row_has_key  # fully-masked rows attend everywhere, then are zeroed
    if attn_bias is not None:  # SDPA adds a float mask to the scores: bias, −inf where masked
        safe_mask = attn_bias.to(q.dtype).masked_fill(~safe_mask, float("-inf"))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=safe_mask, dropout_p=dropout_p)
    return out * row_has_key.to(out.dtype)


def softmax_attention_ref(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    attn_mask: Tensor | None = None,
    causal: bool = False,
    attn_bias: Tensor | None = None,
) -> Tensor:
    """Reference: explicit ``softmax(q kᵀ / √d + bias + mask) v``; same shapes/semantics as
    :func:`softmax_attention` (no dropout)."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if attn_bias is not None:
        scores = scores + attn_bias
    keep = torch.ones_like(scores, dtype=torch.bool)
    if attn_mask is not None:
        keep = keep & attn_mask
    if causal:
        keep = keep & causal_mask(q.shape[-2], k.shape[-2], q.device)
    scores = scores.masked_fill(~keep, torch.finfo(scores.dtype).min)
    probs = torch.softmax(scores, dim=-1) * keep  # all-masked rows -> zeros
    return probs @ v
