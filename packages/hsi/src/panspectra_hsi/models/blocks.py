"""Pre-norm transformer encoder used by the hsi transformers (Vaswani et al. 2017; ViT layout,
Dosovitskiy et al. 2021), assembled from the core :class:`MultiHeadAttention`.

Shapes: (batch, L, dim) -> (batch, L, dim).
"""

from __future__ import annotations

from torch import Tensor, nn

from panspectra_core.attention.multihead import MultiHeadAttention
from panspectra_core.layers import DropPath


def mlp(dim: int, mlp_ratio: float, dropout: float) -> nn.Sequential:
    """Position-wise feed-forward: Linear -> GELU -> Dropout -> Linear -> Dropout."""
    hidden = max(1, int(dim * mlp_ratio))
    return nn.Sequential(
        nn.Linear(dim, hidden),
        nn.GELU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, dim),
        nn.Dropout(dropout),
    )


class TransformerBlock(nn.Module):
    """x + MHSA(LN(x)); x + MLP(LN(x))."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        mlp_ratio: float = 2.0,
        dropout: float = 0.0,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, num_heads, dropout=dropout, proj_dropout=dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = mlp(dim, mlp_ratio, dropout)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class TransformerEncoder(nn.Module):
    """A stack of ``depth`` :class:`TransformerBlock` (batch, L, dim) -> (batch, L, dim)."""

    def __init__(
        self, dim: int, depth: int, num_heads: int, mlp_ratio: float = 2.0, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, num_heads, mlp_ratio, dropout) for _ in range(depth)
        )

    def forward(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x
