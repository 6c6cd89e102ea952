"""Normalised kernelised linear attention layer (Katharopoulos et al. 2020, "Transformers are RNNs:
Fast Autoregressive Transformers with Linear Attention", arXiv:2006.16236; FAVOR+ features from
Choromanski et al. 2021, "Rethinking Attention with Performers", arXiv:2009.14794).

    o_i = Σ_j φ(q_i)·φ(k_j) v_j / (Σ_j φ(q_i)·φ(k_j) + ε)      (j ≤ i when causal)

Non-causal: two contractions ``φ(K)ᵀ V`` and ``Σ_j φ(k_j)``, O(L m d). Causal: one call of
:func:`~.causal_linear.causal_linear_attention` on values extended with a ones column, whose last
output column is the normaliser. Causal layers also stream with :meth:`LinearAttention.step`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .causal_linear import causal_linear_attention, causal_linear_attention_step
from .feature_maps import EluFeatureMap, PositiveRandomFeatures
from .multihead import merge_heads, split_heads


def linear_attention_ref(
    phi_q: Tensor, phi_k: Tensor, v: Tensor, causal: bool, eps: float = 1e-6
) -> Tensor:
    """Reference: explicit (L, L) kernel matrix ``A = φ(Q) φ(K)ᵀ`` (causally masked), then
    ``A V / (A 1 + ε)``. phi_q, phi_k: (batch, heads, L, m); v: (batch, heads, L, dv)."""
    scores = phi_q @ phi_k.transpose(-1, -2)
    if causal:
        scores = scores.tril()
    return (scores @ v) / (scores.sum(-1, keepdim=True) + eps)


def normalized_linear_attention(
    phi_q: Tensor, phi_k: Tensor, v: Tensor, causal: bool, eps: float = 1e-6
) -> Tensor:
    """Fast path of :func:`linear_attention_ref` (same shapes), O(L) in sequence length."""
    if causal:
        ones = torch.ones_like(v[..., :1])
        numer_denom = causal_linear_attention(phi_q, phi_k, torch.cat((v, ones), dim=-1))
        return numer_denom[..., :-1] / (numer_denom[..., -1:] + eps)
    kv = phi_k.transpose(-1, -2) @ v  # (b, h, m, dv)
    k_sum = phi_k.sum(dim=-2, keepdim=True)  # (b, h, 1, m)
    return (phi_q @ kv) / ((phi_q * k_sum).sum(-1, keepdim=True) + eps)


class LinearAttention(nn.Module):
    """Multi-head kernelised linear attention.

    Args:
        dim: model width (divisible by ``num_heads``).
        num_heads: number of heads.
        feature_map: ``"elu"`` (elu + 1) or ``"favor"`` (FAVOR+ positive random features).
        causal: autoregressive masking (enables :meth:`step`).
        num_features: FAVOR+ feature count m (default 2 × head_dim).
        redraw_interval: FAVOR+ redraw period in training forward calls (None = fixed features).
        eps: normaliser offset.
        bias: biases in the projections.

    Shapes:
        x: (batch, L, dim); key_padding_mask: (batch, L) bool, True = real token -> (batch, L, dim).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        feature_map: str = "elu",
        causal: bool = False,
        num_features: int | None = None,
        redraw_interval: int | None = None,
        eps: float = 1e-6,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} not divisible by num_heads={num_heads}")
        self.num_heads, self.head_dim = num_heads, dim // num_heads
        self.causal, self.eps = causal, eps
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.out = nn.Linear(dim, dim, bias=bias)
        if feature_map == "elu":
            self.feature_map: nn.Module = EluFeatureMap(self.head_dim)
        elif feature_map == "favor":
            self.feature_map = PositiveRandomFeatures(self.head_dim, num_features, redraw_interval)
        else:
            raise ValueError(f"unknown feature_map {feature_map!r}; use 'elu' or 'favor'")

    def features(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Projected heads: φ(q), φ(k): (batch, heads, L, m) and v: (batch, heads, L, head_dim)."""
        q, k, v = (split_heads(t, self.num_heads) for t in self.qkv(x).chunk(3, dim=-1))
        phi_q = self.feature_map(q, is_query=True, causal=self.causal)
        phi_k = self.feature_map(k, is_query=False, causal=self.causal)
        return phi_q, phi_k, v

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None) -> Tensor:
        if isinstance(self.feature_map, PositiveRandomFeatures):
            self.feature_map.maybe_redraw()
        phi_q, phi_k, v = self.features(x)
        if key_padding_mask is not None:
            phi_k = phi_k * key_padding_mask[:, None, :, None].to(phi_k.dtype)
        out = normalized_linear_attention(phi_q, phi_k, v, self.causal, self.eps)
        return self.out(merge_heads(out))

    def step(self, x_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One causal streaming step.

        Args:
            x_t: (batch, dim) the next token; state: (batch, heads, m, head_dim + 1) or None.

        Returns:
            y_t: (batch, dim) and the new state (the last column accumulates Σ φ(k)).
        """
        if not self.causal:
            raise RuntimeError("step() needs a causal LinearAttention")
        phi_q, phi_k, v = (t[:, :, 0] for t in self.features(x_t[:, None]))
        v_ones = torch.cat((v, torch.ones_like(v[..., :1])), dim=-1)
        numer_denom, state = causal_linear_attention_step(phi_q, phi_k, v_ones, state)
        out = numer_denom[..., :-1] / (numer_denom[..., -1:] + self.eps)  # (b, h, head_dim)
        return self.out(out.flatten(1)), state
