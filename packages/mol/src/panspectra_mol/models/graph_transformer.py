"""Graph Transformer (Dwivedi & Bresson 2020, "A Generalization of Transformer Networks to
Graphs", AAAI DLG workshop, arXiv:2012.09699), the variant with edge features.

Attention runs over each atom's bonded neighbours only. Per head k, for the edge j→i:

    ŵ_ij = (Q h_i · K h_j) / √d ⊙ E e_ij          (edge features gate the scores, per channel)
    w_ij = softmax_j(Σ_channels ŵ_ij);   h'_i = O_h ‖_k Σ_j w_ij V h_j;   e'_ij = O_e ŵ_ij

each followed by residual, BatchNorm and a two-layer FFN. Node inputs carry Laplacian
eigenvector positional encodings whose signs are flipped at random in training (the
eigenvectors' sign is arbitrary).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from panspectra_mol.models.graph_batch import scatter_softmax, scatter_sum


class GraphTransformerLayer(nn.Module):
    """One Graph Transformer layer with edge features.

    Shapes: h (N, dim), e (E, dim), edge_index (2, E) → (N, dim), (E, dim).
    """

    def __init__(
        self, dim: int, num_heads: int = 4, dropout: float = 0.0, update_edges: bool = True
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} not divisible by num_heads={num_heads}")
        self.heads, self.head_dim = num_heads, dim // num_heads
        self.q, self.k, self.v = (nn.Linear(dim, dim) for _ in range(3))
        self.e = nn.Linear(dim, dim)
        self.out_h = nn.Linear(dim, dim)
        self.norm_h1, self.norm_h2 = nn.BatchNorm1d(dim), nn.BatchNorm1d(dim)
        self.ffn_h = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.update_edges = update_edges
        if update_edges:  # the last layer's edge states would be unused
            self.out_e = nn.Linear(dim, dim)
            self.norm_e1, self.norm_e2 = nn.BatchNorm1d(dim), nn.BatchNorm1d(dim)
            self.ffn_e = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: Tensor, e: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
        src, dst = edge_index
        n, heads, d = h.shape[0], self.heads, self.head_dim
        q = self.q(h).view(n, heads, d)
        k = self.k(h).view(n, heads, d)
        v = self.v(h).view(n, heads, d)
        gated = q[dst] * k[src] / d**0.5 * self.e(e).view(-1, heads, d)  # (E, heads, d)
        weights = scatter_softmax(gated.sum(-1), dst, n)  # (E, heads)
        attended = scatter_sum(weights.unsqueeze(-1) * v[src], dst, n).reshape(n, heads * d)
        h = self.norm_h1(h + self.dropout(self.out_h(attended)))
        h = self.norm_h2(h + self.dropout(self.ffn_h(h)))
        if self.update_edges:
            e = self.norm_e1(e + self.dropout(self.out_e(gated.reshape(-1, heads * d))))
            e = self.norm_e2(e + self.dropout(self.ffn_e(e)))
        return h, e


def flip_signs(pe: Tensor, graph_index: Tensor, num_graphs: int, training: bool) -> Tensor:
    """Random ±1 per (molecule, eigenvector) in training; unchanged in eval."""
    if not training:
        return pe
    signs = torch.randint(0, 2, (num_graphs, pe.shape[1]), device=pe.device) * 2 - 1
    return pe * signs[graph_index].to(pe.dtype)


class GraphEmbedding(nn.Module):
    """Atom features + Laplacian PE (random sign flips in training) → node states; bond
    features → edge states. Shapes: x (N, atom_dim), lap_pe (N, k), edge_attr (E, bond_dim),
    graph_index (N,) → (N, dim), (E, dim)."""

    def __init__(self, atom_dim: int, bond_dim: int, pe_dim: int, dim: int) -> None:
        super().__init__()
        self.atom_in = nn.Linear(atom_dim, dim)
        self.pe_in = nn.Linear(pe_dim, dim)
        self.bond_in = nn.Linear(bond_dim, dim)

    def forward(
        self, x: Tensor, lap_pe: Tensor, edge_attr: Tensor, graph_index: Tensor, num_graphs: int
    ) -> tuple[Tensor, Tensor]:
        pe = flip_signs(lap_pe, graph_index, num_graphs, self.training)
        return self.atom_in(x) + self.pe_in(pe), self.bond_in(edge_attr)


class GraphTransformerEncoder(nn.Module):
    """:class:`GraphEmbedding` → ``layers`` × :class:`GraphTransformerLayer` (or ``layer``).

    Shapes: x (N, atom_dim), edge_index (2, E), edge_attr (E, bond_dim), lap_pe (N, k),
    graph_index (N,) → (N, dim).
    """

    def __init__(
        self,
        atom_dim: int,
        bond_dim: int,
        pe_dim: int,
        dim: int = 128,
        layers: int = 4,
        num_heads: int = 4,
        dropout: float = 0.0,
        layer: type[nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.embed = GraphEmbedding(atom_dim, bond_dim, pe_dim, dim)
        if layer is None:
            self.layers = nn.ModuleList(
                GraphTransformerLayer(dim, num_heads, dropout, update_edges=i < layers - 1)
                for i in range(layers)
            )
        else:
            self.layers = nn.ModuleList(layer(dim, num_heads, dropout) for _ in range(layers))

    def forward(
        self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, lap_pe: Tensor, graph_index: Tensor
    ) -> Tensor:
        num_graphs = int(graph_index.max()) + 1 if graph_index.numel() else 0
        h, e = self.embed(x, lap_pe, edge_attr, graph_index, num_graphs)
        for layer in self.layers:
            h, e = layer(h, e, edge_index)
        return h
