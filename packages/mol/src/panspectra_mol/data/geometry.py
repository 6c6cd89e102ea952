"""3D geometry as distance features on the molecule graph (for the 13C shift models).

Following CASCADE (Guan et al. 2021, "Real-time prediction of 1H and 13C chemical shifts with
DFT accuracy using a 3D graph neural network", Chem. Sci. 12, 12012) and SchNet (Schütt et
al. 2017, "SchNet: A continuous-filter convolutional neural network for modeling quantum
interactions", NeurIPS), interatomic distances enter the network as a radial-basis
expansion ``exp(−γ (d − μ_k)²)`` on the edges:

- every bond keeps its :data:`~panspectra_mol.data.featurize.BOND_DIM` features and gains
  a 0 "through-space" bit and the expansion of its length;
- every pair of heavy atoms closer than ``cutoff`` (default 3.2 Å) that is not bonded gets a
  through-space edge pair (zeros for the bond features, bit 1, expansion of the distance).
  3.2 Å reaches the 1,3 pairs and the gauche (not the anti) 1,4 pairs, the conformational
  γ-gauche effect on 13C shifts.

Edges are appended as reverse pairs (``2k``, ``2k+1``) so the D-MPNN's ``rev(e) = e ^ 1``
still holds. The features depend on distances only, so they are invariant to rotations and
translations of the coordinates.

Coordinates: a molecule's own 3D conformer when it has one (the MMFF structures of Exp5K),
otherwise ETKDG (v3) embedding with hydrogens + MMFF94 optimization with RDKit. When
embedding fails, the molecule keeps its bonds only, with zero distance features (counted
by the caller as a fallback).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from panspectra_mol.data.featurize import BOND_DIM, MolGraph, mols_to_graphs

#: Gaussian centres (Å) of the distance expansion and their width parameter γ (1/Å²)
RBF_CENTERS = np.linspace(1.0, 4.0, 16)
RBF_GAMMA = 10.0
#: width of the geometric edge part: through-space bit + expansion
GEO_DIM = 1 + len(RBF_CENTERS)
DEFAULT_CUTOFF = 3.2


def rbf_expand(distances: np.ndarray) -> np.ndarray:
    """``(E,)`` distances (Å) → ``(E, len(RBF_CENTERS))`` float32 Gaussian features."""
    d = np.asarray(distances, dtype=np.float64).reshape(-1, 1)
    return np.exp(-RBF_GAMMA * (d - RBF_CENTERS[None, :]) ** 2).astype(np.float32)


def conformer_positions(mol, seed: int = 0) -> np.ndarray | None:
    """``(n_atoms, 3)`` heavy-atom coordinates (Å) of ``mol`` (see the module docstring);
    None when RDKit cannot embed the molecule."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    for conf in mol.GetConformers():
        if conf.Is3D():
            return np.asarray(conf.GetPositions(), dtype=np.float64)[: mol.GetNumAtoms()]
    try:
        with_h = Chem.AddHs(mol)  # hydrogens are appended: heavy atoms keep indices 0..n-1
        params = AllChem.ETKDGv3()
        params.randomSeed = seed
        if AllChem.EmbedMolecule(with_h, params) != 0:
            return None
        if AllChem.MMFFHasAllMoleculeParams(with_h):
            AllChem.MMFFOptimizeMolecule(with_h, maxIters=500)
        positions = with_h.GetConformer().GetPositions()
    except (ValueError, RuntimeError):  # RDKit raises these for molecules it cannot handle
        return None
    return np.asarray(positions, dtype=np.float64)[: mol.GetNumAtoms()]


def add_distance_edges(
    graph: MolGraph, positions: np.ndarray | None, cutoff: float = DEFAULT_CUTOFF
) -> MolGraph:
    """``graph`` with :data:`GEO_DIM` distance features on its bonds and through-space edges
    within ``cutoff`` Å (``positions`` None: bonds only, zero distance features)."""
    n = graph.num_atoms
    bonded = graph.edge_index
    geo = np.zeros((bonded.shape[1], GEO_DIM), np.float32)
    if positions is None:
        return replace(graph, bonds=np.concatenate([graph.bonds, geo], axis=1))
    distance = np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1)
    geo[:, 1:] = rbf_expand(distance[bonded[0], bonded[1]])
    is_bond = np.zeros((n, n), dtype=bool)
    is_bond[bonded[0], bonded[1]] = True
    u, v = np.nonzero(np.triu((distance < cutoff) & ~is_bond, k=1))
    pairs = np.stack([np.stack([u, v], 1), np.stack([v, u], 1)], 1).reshape(-1, 2).T
    space = np.zeros((pairs.shape[1], BOND_DIM + GEO_DIM), np.float32)
    space[:, BOND_DIM] = 1.0
    space[:, BOND_DIM + 1 :] = rbf_expand(distance[pairs[0], pairs[1]])
    return replace(
        graph,
        edge_index=np.concatenate([bonded, pairs.astype(np.int64)], axis=1),
        bonds=np.concatenate([np.concatenate([graph.bonds, geo], axis=1), space]),
    )


def mols_to_geometric_graphs(
    mols: Sequence, cutoff: float = DEFAULT_CUTOFF, seed: int = 0
) -> tuple[list[MolGraph], int]:
    """Graphs with distance features of ``mols`` and how many fell back to bonds only
    (no conformer could be made)."""
    graphs = mols_to_graphs(mols)
    out, fallbacks = [], 0
    for mol, graph in zip(mols, graphs):
        positions = conformer_positions(mol, seed)
        fallbacks += positions is None
        out.append(add_distance_edges(graph, positions, cutoff))
    return out, fallbacks


def shift_model_graphs(mols: Sequence, cutoff: float | None) -> tuple[list[MolGraph], int]:
    """The graphs a shift model reads: 2D (``cutoff`` None) or with distance edges, and the
    number of conformer fallbacks."""
    if cutoff is None:
        return mols_to_graphs(mols), 0
    return mols_to_geometric_graphs(mols, cutoff)
