"""Token mixers shared by the audio models, assembled from core primitives.

- :class:`TransformerLayer` — self-attention (core :class:`MultiHeadAttention`) + GELU MLP, pre-
  or post-norm (Vaswani et al. 2017; KWT uses post-norm, Berg et al. 2021; AST pre-norm);
- :class:`MambaLayer` — residual ``x + Mamba(LN(x))`` with the core ``MambaBlock`` (causal,
  streamable with :meth:`step`) or ``BiMambaBlock`` (bidirectional).

Shapes: (batch, L, dim) → (batch, L, dim).
"""

from __future__ import annotations

from torch import Tensor, nn

from panspectra_core.attention.multihead import MultiHeadAttention
from panspectra_core.layers import DropPath
from panspectra_core.ssm.mamba import BiMambaBlock, MambaBlock, MambaState


class TransformerLayer(nn.Module):
    """Attention + MLP with residuals; ``norm_first`` picks pre-norm (else post-norm)."""

    def __init__(
        self,
        dim: int,
        heads: int,
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        drop_path: float = 0.0,
        norm_first: bool = True,
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.attn = MultiHeadAttention(dim, heads, dropout=dropout, proj_dropout=dropout)
        hidden = int(dim * mlp_ratio)
        self.ff = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim)
        )
        self.norms = nn.ModuleList([nn.LayerNorm(dim), nn.LayerNorm(dim)])
        self.drop = DropPath(drop_path)

    def forward(self, x: Tensor) -> Tensor:
        for norm, sub in zip(self.norms, (self.attn, self.ff)):
            x = x + self.drop(sub(norm(x))) if self.norm_first else norm(x + self.drop(sub(x)))
        return x


class MambaLayer(nn.Module):
    """``x + Mamba(LayerNorm(x))``; ``bidirectional`` uses the core ``BiMambaBlock``."""

    def __init__(
        self, dim: int, d_state: int = 16, expand: int = 2, bidirectional: bool = False
    ) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        block = BiMambaBlock if bidirectional else MambaBlock
        self.mamba = block(dim, d_state=d_state, expand=expand)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.mamba(self.norm(x))

    def step(self, x_t: Tensor, state: MambaState | None) -> tuple[Tensor, MambaState]:
        """One frame (batch, dim) of the causal layer → (batch, dim), new state."""
        y, state = self.mamba.step(self.norm(x_t), state)
        return x_t + y, state
