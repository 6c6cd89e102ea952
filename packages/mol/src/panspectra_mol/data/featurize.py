"""Molecule featurization with RDKit: atom/bond graphs, Morgan fingerprints, 2D descriptors.

Atom features (one-hot unless noted; chemprop's set plus ring membership): element (the 43
most common in drug-like and NMR data, + other), degree 0–5, formal charge −2…+2, chirality
tag, total H count 0–4, hybridization, aromatic (bit), in ring (bit), ring sizes 3–8 (bits),
mass / 100 (real). Bond features: type (single/double/triple/aromatic), conjugated, in ring,
stereo (none/any/Z/E/cis/trans). Dimensions: :data:`ATOM_DIM`, :data:`BOND_DIM`.

A :class:`MolGraph` keeps each bond as two directed edges at positions ``2k`` (u→v) and
``2k+1`` (v→u), so the reverse of edge ``e`` is ``e ^ 1`` (what D-MPNN needs).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

ELEMENTS = (1, 3, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 19, 20, 22, 24, 25, 26, 27,
            28, 29, 30, 32, 33, 34, 35, 38, 40, 42, 44, 45, 46, 47, 48, 50, 51, 52, 53, 56,
            78, 79)  # fmt: skip
DEGREES = (0, 1, 2, 3, 4, 5)
CHARGES = (-2, -1, 0, 1, 2)
NUM_HS = (0, 1, 2, 3, 4)
RING_SIZES = (3, 4, 5, 6, 7, 8)


@cache
def _hybridizations():
    from rdkit.Chem import HybridizationType as H

    return (H.S, H.SP, H.SP2, H.SP3, H.SP3D, H.SP3D2)


@cache
def _chiral_tags():
    from rdkit.Chem import ChiralType as C

    return (C.CHI_UNSPECIFIED, C.CHI_TETRAHEDRAL_CW, C.CHI_TETRAHEDRAL_CCW, C.CHI_OTHER)


@cache
def _bond_types():
    from rdkit.Chem import BondType as B

    return (B.SINGLE, B.DOUBLE, B.TRIPLE, B.AROMATIC)


@cache
def _stereos():
    from rdkit.Chem import BondStereo as S

    return (S.STEREONONE, S.STEREOANY, S.STEREOZ, S.STEREOE, S.STEREOCIS, S.STEREOTRANS)


def _one_hot(value, choices) -> list[float]:
    """One-hot over ``choices`` plus a final 'other' slot."""
    out = [0.0] * (len(choices) + 1)
    try:
        out[choices.index(value)] = 1.0
    except ValueError:
        out[-1] = 1.0
    return out


ATOM_DIM = (len(ELEMENTS) + 1) + 7 + 6 + 5 + 6 + 7 + 2 + len(RING_SIZES) + 1
BOND_DIM = 4 + 1 + 1 + 1 + 6
LAP_PE_DIM = 8


def atom_features(atom) -> list[float]:
    """The :data:`ATOM_DIM` features of one RDKit atom (see the module docstring)."""
    ring = atom.GetOwningMol().GetRingInfo()
    idx = atom.GetIdx()
    return (
        _one_hot(atom.GetAtomicNum(), ELEMENTS)
        + _one_hot(atom.GetTotalDegree(), DEGREES)
        + _one_hot(atom.GetFormalCharge(), CHARGES)
        + _one_hot(atom.GetChiralTag(), _chiral_tags())
        + _one_hot(atom.GetTotalNumHs(), NUM_HS)
        + _one_hot(atom.GetHybridization(), _hybridizations())
        + [float(atom.GetIsAromatic()), float(atom.IsInRing())]
        + [float(ring.IsAtomInRingOfSize(idx, size)) for size in RING_SIZES]
        + [atom.GetMass() / 100.0]
    )


def bond_features(bond) -> list[float]:
    """The :data:`BOND_DIM` features of one RDKit bond (see the module docstring)."""
    return [
        *_one_hot(bond.GetBondType(), _bond_types()),
        float(bond.GetIsConjugated()),
        float(bond.IsInRing()),
        *_one_hot(bond.GetStereo(), _stereos())[:-1],
    ]


@dataclass
class MolGraph:
    """One molecule as arrays.

    Attributes:
        atoms: ``(n, ATOM_DIM)`` float32.
        edge_index: ``(2, 2b)`` int64 (source, target) with reverse pairs at ``2k, 2k+1``.
        bonds: ``(2b, BOND_DIM)`` float32 (both directions carry the bond's features).
        lap_pe: ``(n, LAP_PE_DIM)`` float32 Laplacian eigenvectors (zero-padded).
        spd: ``(n, n)`` uint8 shortest-path lengths (255 = disconnected).
    """

    atoms: np.ndarray
    edge_index: np.ndarray
    bonds: np.ndarray
    lap_pe: np.ndarray
    spd: np.ndarray

    @property
    def num_atoms(self) -> int:
        return int(self.atoms.shape[0])


def laplacian_pe(adjacency: np.ndarray, k: int = LAP_PE_DIM) -> np.ndarray:
    """First ``k`` non-trivial eigenvectors of the symmetric normalized Laplacian
    ``I − D^-½ A D^-½`` (Dwivedi & Bresson 2020), ``(n, k)`` zero-padded for small graphs.
    Their sign is arbitrary; models flip it at random during training."""
    n = adjacency.shape[0]
    degree = adjacency.sum(1)
    inv = np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1e-12)), 0.0)
    lap = np.eye(n) - inv[:, None] * adjacency * inv[None, :]
    _, vectors = np.linalg.eigh(lap)
    pe = np.zeros((n, k), dtype=np.float32)
    take = vectors[:, 1 : k + 1]
    pe[:, : take.shape[1]] = take
    return pe


def mol_to_graph(mol) -> MolGraph:
    """Featurize one RDKit molecule (implicit hydrogens) as a :class:`MolGraph`."""
    from rdkit import Chem

    atoms = np.asarray([atom_features(a) for a in mol.GetAtoms()], dtype=np.float32)
    src, dst, feats = [], [], []
    for bond in mol.GetBonds():
        u, v = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        f = bond_features(bond)
        src += [u, v]
        dst += [v, u]
        feats += [f, f]
    edge_index = np.asarray([src, dst], dtype=np.int64).reshape(2, -1)
    bonds = np.asarray(feats, dtype=np.float32).reshape(-1, BOND_DIM)
    adjacency = Chem.GetAdjacencyMatrix(mol).astype(np.float64)
    distance = Chem.GetDistanceMatrix(mol)
    spd = np.where(distance > 254, 255, distance).astype(np.uint8)
    return MolGraph(atoms, edge_index, bonds, laplacian_pe(adjacency), spd)


def mols_to_graphs(mols) -> list[MolGraph]:
    """:func:`mol_to_graph` of each molecule with BLAS single-threaded: the eigen-
    decompositions (Laplacian PE) of ~20×20 matrices are 5× slower when OpenBLAS spreads each
    one over threads (ESOL on a busy 2-core machine: 0.4 vs 2.2 ms per graph)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return [mol_to_graph(m) for m in mols]


def morgan_fingerprint(mol, radius: int = 2, size: int = 2048) -> np.ndarray:
    """``(size,)`` float32 Morgan (ECFP4 for radius 2) count fingerprint."""
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=size)
    return generator.GetCountFingerprintAsNumPy(mol).astype(np.float32)


def descriptor_names() -> list[str]:
    """The RDKit 2D descriptors computed (RDKit's ``Descriptors._descList`` order)."""
    from rdkit.Chem import Descriptors

    return [name for name, _ in Descriptors._descList]


def rdkit_descriptors(mol) -> np.ndarray:
    """``(D,)`` float32 RDKit 2D descriptors; values RDKit cannot compute are NaN.

    The values of ``Descriptors.CalcMolDescriptors(mol, missingVal=nan)``, computed here
    because that function's bare ``except:`` also swallows ``SystemExit`` and
    ``KeyboardInterrupt`` (a SIGTERM or Ctrl-C during featurization was ignored)."""
    from rdkit.Chem import Descriptors

    out = np.empty(len(Descriptors._descList), dtype=np.float64)
    for i, (_, function) in enumerate(Descriptors._descList):
        try:
            out[i] = function(mol)
        except Exception:  # RDKit raises for descriptors undefined on some molecules
            out[i] = np.nan
    out[~np.isfinite(out)] = np.nan
    return np.clip(out, -1e6, 1e6).astype(np.float32)
