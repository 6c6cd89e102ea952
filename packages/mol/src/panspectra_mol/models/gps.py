"""GPS layers (Rampášek et al. 2022, "Recipe for a General, Powerful, Scalable Graph
Transformer", NeurIPS): local message passing + global attention, summed, then an FFN.

- local: GINE (Hu et al. 2020), ``h_i + MLP(h_i + Σ_j ReLU(h_j + e_ij))``;
- global: the core's :class:`~panspectra_core.attention.multihead.MultiHeadAttention` weights
  over all atoms of a molecule, with a learned per-head bias of the shortest-path distance
  (Graphormer's spatial encoding, Ying et al. 2021) added to the scores; molecules are padded
  to the largest in the batch and padding is masked.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from panspectra_core.attention.multihead import MultiHeadAttention, merge_heads, split_heads
from panspectra_core.attention.softmax import softmax_attention
from panspectra_mol.models.graph_batch import MAX_SPD, scatter_sum, to_dense
from panspectra_mol.models.graph_transformer import GraphTransformerEncoder


def biased_self_attention(
    attention: MultiHeadAttention, x: Tensor, mask: Tensor, bias: Tensor
) -> Tensor:
    """``attention``'s projections with an additive score bias.

    Shapes: x (B, L, dim), mask (B, L) True = real atom, bias (B, heads, L, L) → (B, L, dim).
    """
    q, k, v = (split_heads(t, attention.num_heads) for t in attention.qkv(x).chunk(3, dim=-1))
    keep = mask[:, None, None, :]
    drop = attention.dropout if attention.training else 0.0
    out = softmax_attention(q, k, v, attn_mask=keep, dropout_p=drop, attn_bias=bias)
    return attention.out(merge_heads(out))


class GPSLayer(nn.Module):
    """One GPS layer. Shapes: h (N, dim), e (E, dim), edge_index (2, E), graph_ptr (B+1,),
    spd (B, L, L) distance buckets → (N, dim)."""

    def __init__(self, dim: int, num_heads: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        self.local = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.attention = MultiHeadAttention(dim, num_heads, dropout=dropout)
        self.spd_bias = nn.Embedding(MAX_SPD + 3, num_heads)
        self.norm_local, self.norm_global = nn.BatchNorm1d(dim), nn.BatchNorm1d(dim)
        self.norm_out = nn.BatchNorm1d(dim)
        self.ffn = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, h: Tensor, e: Tensor, edge_index: Tensor, graph_ptr: Tensor, spd: Tensor
    ) -> Tensor:
        src, dst = edge_index
        neighbours = scatter_sum((h[src] + e).relu(), dst, h.shape[0])
        local = self.norm_local(h + self.dropout(self.local(h + neighbours)))
        dense, mask = to_dense(h, graph_ptr)
        bias = self.spd_bias(spd).permute(0, 3, 1, 2)  # (B, heads, L, L)
        attended = biased_self_attention(self.attention, dense, mask, bias)[mask]
        glob = self.norm_global(h + self.dropout(attended))
        out = local + glob
        return self.norm_out(out + self.dropout(self.ffn(out)))


class GPSEncoder(GraphTransformerEncoder):
    """:class:`~panspectra_mol.models.graph_transformer.GraphEmbedding` → ``layers`` ×
    :class:`GPSLayer` (same arguments as the Graph Transformer encoder).

    Shapes: x (N, atom_dim), edge_index (2, E), edge_attr (E, bond_dim), lap_pe (N, k),
    graph_index (N,), graph_ptr (B+1,), spd (B, L, L) → (N, dim).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, layer=GPSLayer, **kwargs)

    def forward(  # type: ignore[override]
        self,
        x: Tensor,
        edge_index: Tensor,
        edge_attr: Tensor,
        lap_pe: Tensor,
        graph_index: Tensor,
        graph_ptr: Tensor,
        spd: Tensor,
    ) -> Tensor:
        h, e = self.embed(x, lap_pe, edge_attr, graph_index, graph_ptr.numel() - 1)
        for layer in self.layers:
            h = layer(h, e, edge_index, graph_ptr, spd)
        return h
