"""Graph encoders wrapped as molecule-level (property) or atom-level (NMR shift) predictors,
and the seed ensemble.

Property readout (chemprop): mean of the atom embeddings per molecule, optionally
concatenated with the molecule's standardized RDKit 2D descriptors, then an FFN → T outputs.
Atom readout: an FFN on each atom embedding → one value per atom.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from panspectra_mol.data.featurize import ATOM_DIM, BOND_DIM, LAP_PE_DIM
from panspectra_mol.data.geometry import GEO_DIM
from panspectra_mol.models.dmpnn import DMPNNEncoder
from panspectra_mol.models.gps import GPSEncoder
from panspectra_mol.models.graph_batch import scatter_mean
from panspectra_mol.models.graph_transformer import GraphTransformerEncoder

#: the batch keys each encoder reads (besides ``x``)
ENCODER_INPUTS = {
    "dmpnn": ("edge_index", "edge_attr"),
    "graph_transformer": ("edge_index", "edge_attr", "lap_pe", "graph_index"),
    "gps": ("edge_index", "edge_attr", "lap_pe", "graph_index", "graph_ptr", "spd"),
}


def build_encoder(
    kind: str, width: int, depth: int, heads: int, dropout: float, bond_dim: int = BOND_DIM
) -> nn.Module:
    """Encoder ``kind`` of :data:`ENCODER_INPUTS` with output width ``width`` reading
    ``bond_dim`` edge features."""
    if kind == "dmpnn":
        return DMPNNEncoder(ATOM_DIM, bond_dim, width, depth, dropout)
    cls = GraphTransformerEncoder if kind == "graph_transformer" else GPSEncoder
    return cls(ATOM_DIM, bond_dim, LAP_PE_DIM, width, depth, heads, dropout)


def ffn(inputs: int, hidden: int, outputs: int, layers: int, dropout: float) -> nn.Sequential:
    """``layers`` linear layers with ReLU and dropout between them."""
    mods: list[nn.Module] = []
    width = inputs
    for _ in range(layers - 1):
        mods += [nn.Dropout(dropout), nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    mods += [nn.Dropout(dropout), nn.Linear(width, outputs)]
    return nn.Sequential(*mods)


class GraphPropertyModel(nn.Module):
    """Encoder → mean readout (+ descriptors) → FFN.

    Shapes: x (N, ATOM_DIM) + batch entries named in :attr:`batch_inputs`,
    descriptors (B, descriptor_dim) → (B, num_tasks).
    """

    def __init__(
        self,
        encoder: str,
        num_tasks: int,
        descriptor_dim: int = 0,
        width: int = 300,
        depth: int = 3,
        heads: int = 4,
        dropout: float = 0.0,
        ffn_hidden: int = 300,
        ffn_layers: int = 2,
    ) -> None:
        super().__init__()
        self.encoder_kind = encoder
        self.encoder = build_encoder(encoder, width, depth, heads, dropout)
        self.encoder_inputs = ENCODER_INPUTS[encoder]
        self.batch_inputs = (*self.encoder_inputs, "graph_ptr", "graph_index", "descriptors")
        self.batch_inputs = tuple(dict.fromkeys(self.batch_inputs))
        self.head = ffn(width + descriptor_dim, ffn_hidden, num_tasks, ffn_layers, dropout)

    def forward(self, x: Tensor, **batch: Tensor) -> Tensor:
        atoms = self.encoder(x, **{k: batch[k] for k in self.encoder_inputs})
        num_graphs = batch["graph_ptr"].numel() - 1
        pooled = scatter_mean(atoms, batch["graph_index"], num_graphs)
        return self.head(torch.cat([pooled, batch["descriptors"].to(pooled.dtype)], dim=1))


class GraphAtomModel(nn.Module):
    """Encoder → per-atom FFN (one value per atom, e.g. a 13C shift).

    ``geometry_cutoff`` (Å): the model reads the 3D distance edges of
    :mod:`panspectra_mol.data.geometry` built with this cutoff (None: the 2D graph).

    Shapes: x (N, ATOM_DIM) + batch entries of :attr:`batch_inputs` → (N,).
    """

    def __init__(
        self,
        encoder: str,
        width: int = 300,
        depth: int = 4,
        heads: int = 4,
        dropout: float = 0.0,
        ffn_hidden: int = 256,
        ffn_layers: int = 3,
        extra_atom_dim: int = 0,
        geometry_cutoff: float | None = None,
    ) -> None:
        super().__init__()
        self.geometry_cutoff = geometry_cutoff
        bond_dim = BOND_DIM if geometry_cutoff is None else BOND_DIM + GEO_DIM
        self.encoder = build_encoder(encoder, width, depth, heads, dropout, bond_dim)
        self.encoder_inputs = ENCODER_INPUTS[encoder]
        self.batch_inputs = self.encoder_inputs
        self.head = ffn(width + extra_atom_dim, ffn_hidden, 1, ffn_layers, dropout)

    def forward(self, x: Tensor, **batch: Tensor) -> Tensor:
        return self.head(self.encoder(x, **{k: batch[k] for k in self.encoder_inputs})).squeeze(-1)


class SeedEnsemble(nn.Module):
    """Members trained with different seeds; ``forward`` returns the member outputs stacked
    ``(members, …)`` — the mean is the prediction, the spread the uncertainty."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        first = members[0]
        self.batch_inputs = tuple(getattr(first, "batch_inputs", ()))
        #: shift models: the 3D distance-edge cutoff the members read (None: 2D graph)
        self.geometry_cutoff = getattr(first, "geometry_cutoff", None)

    #: outputs carry a leading member axis (``predict_graphs`` concatenates along axis 1)
    is_ensemble = True

    def forward(self, x: Tensor, **batch: Tensor) -> Tensor:
        return torch.stack([m(x, **batch) for m in self.members])
