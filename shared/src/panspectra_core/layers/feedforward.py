"""Gated-linear-unit feed-forward blocks (Shazeer 2020, "GLU Variants Improve Transformer",
arXiv:2002.05202; GLU from Dauphin et al. 2017).

``FFN(x) = W_out · (act(W_gate x) ⊙ (W_up x))`` with ``act`` = SiLU (SwiGLU) or GELU (GEGLU).
The gate and up projections are fused in one ``in_proj`` (dim → 2·hidden; first half gate,
second half up) for one matmul instead of two.

Hidden size: with ``hidden_dim=None`` it is ``2/3 · 4 · dim`` (keeping the parameter count of a
4·dim two-matrix MLP, as in PaLM / LLaMA), then rounded *up* to a multiple of ``multiple_of``
(hardware-friendly sizes).
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn


def glu_hidden_dim(dim: int, hidden_dim: int | None = None, multiple_of: int = 8) -> int:
    """Hidden size of a GLU feed-forward: ``hidden_dim`` or ``int(8·dim/3)``, rounded up to a
    multiple of ``multiple_of``."""
    hidden = hidden_dim if hidden_dim is not None else int(8 * dim / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


class GatedFeedForward(nn.Module):
    """GLU-family feed-forward ``out_proj(act(gate) * up)`` with a fused input projection.

    Args:
        dim: input (and default output) features.
        activation: the gate non-linearity, e.g. ``F.silu`` or ``F.gelu``.
        hidden_dim: hidden features before rounding (default ``8·dim/3``).
        multiple_of: round the hidden size up to a multiple of this.
        out_dim: output features (default ``dim``).
        bias: biases in both projections (False in LLaMA-style blocks).
        dropout: dropout on the gated hidden activations.

    Shapes: (..., dim) → (..., out_dim).
    """

    def __init__(
        self,
        dim: int,
        activation: Callable[[Tensor], Tensor],
        hidden_dim: int | None = None,
        multiple_of: int = 8,
        out_dim: int | None = None,
        bias: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.hidden_dim = glu_hidden_dim(dim, hidden_dim, multiple_of)
        self.activation = activation
        self.in_proj = nn.Linear(dim, 2 * self.hidden_dim, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(self.hidden_dim, out_dim or dim, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        gate, up = self.in_proj(x).chunk(2, dim=-1)
        return self.out_proj(self.dropout(self.activation(gate) * up))


class SwiGLU(GatedFeedForward):
    """SwiGLU feed-forward: ``W_out (SiLU(W_gate x) ⊙ W_up x)`` (Shazeer 2020). See
    :class:`GatedFeedForward` for arguments; shapes (..., dim) → (..., out_dim)."""

    def __init__(self, dim: int, **kwargs) -> None:
        super().__init__(dim, F.silu, **kwargs)


class GEGLU(GatedFeedForward):
    """GEGLU feed-forward: ``W_out (GELU(W_gate x) ⊙ W_up x)`` with the exact (erf) GELU
    (Shazeer 2020). See :class:`GatedFeedForward` for arguments."""

    def __init__(self, dim: int, **kwargs) -> None:
        super().__init__(dim, F.gelu, **kwargs)  # F.gelu defaults to the exact erf form
