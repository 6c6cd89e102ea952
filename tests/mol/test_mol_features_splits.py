"""Featurizer properties and the split guarantees (no molecule or scaffold in two parts)."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from panspectra_mol.data.features import featurize
from panspectra_mol.data.featurize import (
    ATOM_DIM,
    BOND_DIM,
    LAP_PE_DIM,
    descriptor_names,
    mol_to_graph,
    mols_to_graphs,
    rdkit_descriptors,
)
from panspectra_mol.data.splits import (
    conflicting_duplicates,
    murcko_scaffold,
    random_split,
    scaffold_split,
)

SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "C1CCCCC1", "O=C(O)c1ccccc1", "CCN(CC)CC",
          "c1ccc2ccccc2c1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "C", "[Na+].[Cl-]"]  # fmt: skip


def test_graph_shapes_and_reverse_edges():
    mol = Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")
    g = mol_to_graph(mol)
    assert g.atoms.shape == (mol.GetNumAtoms(), ATOM_DIM)
    assert g.bonds.shape == (2 * mol.GetNumBonds(), BOND_DIM)
    src, dst = g.edge_index
    e = np.arange(len(src))
    assert (src[e ^ 1] == dst).all() and (dst[e ^ 1] == src).all()
    assert np.array_equal(g.bonds[0::2], g.bonds[1::2])
    # each atom row is a one-hot element + features; the element block sums to 1
    assert np.allclose(g.atoms[:, :44].sum(1), 1.0)
    assert np.array_equal(g.spd, g.spd.T) and (np.diag(g.spd) == 0).all()
    assert g.lap_pe.shape == (mol.GetNumAtoms(), LAP_PE_DIM)


def test_laplacian_pe_is_orthonormal_and_aromatic_bits():
    g = mol_to_graph(Chem.MolFromSmiles("c1ccc2ccccc2c1"))
    gram = g.lap_pe.T @ g.lap_pe
    assert np.allclose(gram, np.eye(LAP_PE_DIM), atol=1e-5)
    aromatic_col = 44 + 7 + 6 + 5 + 6 + 7
    assert (g.atoms[:, aromatic_col] == 1).all()


def test_single_atom_and_disconnected_molecules():
    g = mol_to_graph(Chem.MolFromSmiles("C"))
    assert g.edge_index.shape == (2, 0) and g.atoms.shape == (1, ATOM_DIM)
    salt = mol_to_graph(Chem.MolFromSmiles("[Na+].[Cl-]"))
    assert salt.spd[0, 1] == 255


def test_feature_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("PANSPECTRA_CACHE", str(tmp_path))
    first = featurize("graph", SMILES)
    assert list(tmp_path.rglob("*.npz"))
    again = featurize("graph", SMILES)
    for a, b in zip(first, again):
        assert np.array_equal(a.atoms, b.atoms) and np.array_equal(a.spd, b.spd)
        assert np.array_equal(a.edge_index, b.edge_index)
    fps = featurize("morgan", SMILES)
    assert fps[0].shape == (2048,) and fps[0].sum() > 0
    desc = featurize("descriptors", SMILES[:2], cache=False)
    assert desc[0].shape == desc[1].shape and desc[0].ndim == 1


def test_descriptors_equal_rdkit_and_let_sigterm_through(monkeypatch):
    from rdkit.Chem import Descriptors

    for smiles in ("CC(=O)Nc1ccc(O)cc1", "[Na+].[Cl-]", "C"):
        mol = Chem.MolFromSmiles(smiles)
        values = Descriptors.CalcMolDescriptors(mol, missingVal=float("nan"))
        ref = np.asarray([values[n] for n in descriptor_names()], dtype=np.float64)
        ref = np.clip(np.where(np.isfinite(ref), ref, np.nan), -1e6, 1e6).astype(np.float32)
        assert np.array_equal(rdkit_descriptors(mol), ref, equal_nan=True)

    def interrupted(mol):
        raise SystemExit(143)  # what the CLIs turn SIGTERM into

    def undefined(mol):
        raise ValueError("no value")

    monkeypatch.setattr(
        Descriptors, "_descList", [("bad", undefined), ("MolWt", Descriptors.MolWt)]
    )
    assert np.isnan(rdkit_descriptors(Chem.MolFromSmiles("CCO"))[0])
    monkeypatch.setattr(Descriptors, "_descList", [("stop", interrupted)])
    with pytest.raises(SystemExit):
        rdkit_descriptors(Chem.MolFromSmiles("CCO"))


def test_batched_graphs_equal_single_graphs():
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    for a, b in zip(mols_to_graphs(mols), (mol_to_graph(m) for m in mols)):
        assert np.array_equal(a.lap_pe, b.lap_pe) and np.array_equal(a.atoms, b.atoms)


def test_parallel_featurization_matches_serial(tmp_path, monkeypatch):
    monkeypatch.setenv("PANSPECTRA_CACHE", str(tmp_path))
    serial = featurize("morgan", SMILES * 3, cache=False)
    parallel = featurize("morgan", SMILES * 3, workers=2, parallel_threshold=1, chunk_size=7,
                         cache=False)  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(serial, parallel))


def _many() -> list[str]:
    rings = ["c1ccccc1", "C1CCCCC1", "c1ccncc1", "C1CCOC1", "c1ccc2ccccc2c1", "c1ccsc1"]
    chains = ["C", "CC", "CCC", "CO", "CN", "ClC", "CC(=O)O", "OCC"]
    out = [f"{c}{r}" for r in rings for c in chains]
    return [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in out] + ["CCO", "CCO", "CCCC"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scaffold_split_is_disjoint_and_covers(seed):
    smiles = _many()
    parts = scaffold_split(smiles, seed)
    assert sum(len(p) for p in parts) == len(smiles)
    assert len(np.unique(np.concatenate(parts))) == len(smiles)
    scaffolds = [{murcko_scaffold(smiles[i]) for i in p} for p in parts]
    molecules = [{smiles[i] for i in p} for p in parts]
    for a in range(3):
        for b in range(a + 1, 3):
            assert not scaffolds[a] & scaffolds[b]
            assert not molecules[a] & molecules[b]


def test_random_split_keeps_duplicates_together_and_is_seeded():
    smiles = _many()
    parts = random_split(smiles, 3)
    assert [p.tolist() for p in parts] == [p.tolist() for p in random_split(smiles, 3)]
    where = {i: k for k, p in enumerate(parts) for i in p}
    dup = [i for i, s in enumerate(smiles) if s == "CCO"]
    assert len({where[i] for i in dup}) == 1
    assert abs(len(parts[0]) / len(smiles) - 0.8) < 0.1


def test_conflicting_duplicates_reported():
    y = np.asarray([[1.0], [2.0], [3.0], [3.0]])
    rows = np.asarray([1, 2, 3, 4])
    out = conflicting_duplicates(["CCO", "CCO", "CCC", "CCC"], y, rows, ["t"])
    assert out == [{"canonical_smiles": "CCO", "target": "t", "rows": "1;2", "values": "1;2"}]
