"""Post-norm transformer encoder used by the token-based forecasters (PatchTST, iTransformer).

Self-attention is the core :class:`panspectra_core.attention.MultiHeadAttention` (Vaswani et al.
2017). PatchTST (Nie et al. 2023) normalises with BatchNorm over the model width; iTransformer
(Liu et al. 2024) with LayerNorm. Both use post-norm residual blocks:
``x = norm1(x + drop(attn(x)))``, ``x = norm2(x + drop(ffn(x)))``.
"""

from __future__ import annotations

from torch import Tensor, nn

from panspectra_core.attention.multihead import MultiHeadAttention

_ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU}


class TokenBatchNorm(nn.Module):
    """BatchNorm1d over the channel (width) axis of a token sequence.

    Shapes: x (batch, N, dim) -> (batch, N, dim); statistics are shared over batch and tokens.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


def make_norm(kind: str, dim: int) -> nn.Module:
    """``"batch"`` -> :class:`TokenBatchNorm`, ``"layer"`` -> :class:`torch.nn.LayerNorm`."""
    if kind == "batch":
        return TokenBatchNorm(dim)
    if kind == "layer":
        return nn.LayerNorm(dim)
    raise ValueError(f"norm must be 'batch' or 'layer', got {kind!r}")


class FeedForward(nn.Module):
    """Position-wise MLP dim -> d_ff -> dim with dropout after the activation.

    Shapes: x (..., dim) -> (..., dim).
    """

    def __init__(self, dim: int, d_ff: int, dropout: float, activation: str = "gelu") -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, d_ff),
            _ACTIVATIONS[activation](),
            nn.Dropout(dropout),
            nn.Linear(d_ff, dim),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class EncoderLayer(nn.Module):
    """One post-norm transformer encoder layer.

    Args:
        dim: token width; num_heads: attention heads; d_ff: feed-forward width.
        dropout: dropout on the residual branches; attn_dropout: on attention probabilities.
        norm: ``"batch"`` (PatchTST) or ``"layer"`` (iTransformer).
        activation: ``"gelu"`` or ``"relu"``.

    Shapes: x (batch, N, dim) -> (batch, N, dim).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        attn_dropout: float = 0.0,
        norm: str = "layer",
        activation: str = "gelu",
    ) -> None:
        super().__init__()
        self.attn = MultiHeadAttention(dim, num_heads, dropout=attn_dropout)
        self.ffn = FeedForward(dim, d_ff, dropout, activation)
        self.norm1, self.norm2 = make_norm(norm, dim), make_norm(norm, dim)
        self.drop1, self.drop2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm1(x + self.drop1(self.attn(x)))
        return self.norm2(x + self.drop2(self.ffn(x)))


class Encoder(nn.Module):
    """A stack of :class:`EncoderLayer` with an optional final norm.

    Shapes: x (batch, N, dim) -> (batch, N, dim).
    """

    def __init__(
        self,
        num_layers: int,
        dim: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        attn_dropout: float = 0.0,
        norm: str = "layer",
        activation: str = "gelu",
        final_norm: bool = False,
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(dim, num_heads, d_ff, dropout, attn_dropout, norm, activation)
            for _ in range(num_layers)
        )
        self.final_norm = make_norm(norm, dim) if final_norm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.final_norm(x)
