"""3D distance edges of the shift model: shapes, the reverse-pair rule, invariance to
rotation and translation, conformers taken from the molecule or embedded, the counted
fallback when embedding fails, and the 3D shift model's forward pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem
from rdkit.Chem import AllChem

from panspectra_core.registry import create_model
from panspectra_mol.data import geometry
from panspectra_mol.data.featurize import BOND_DIM, mol_to_graph
from panspectra_mol.data.geometry import (
    GEO_DIM,
    RBF_CENTERS,
    add_distance_edges,
    conformer_positions,
    mols_to_geometric_graphs,
    rbf_expand,
)
from panspectra_mol.models.graph_batch import collate_graphs


def _rotation(seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def _embedded(smiles: str):
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    params = AllChem.ETKDGv3()
    params.randomSeed = 7
    assert AllChem.EmbedMolecule(mol, params) == 0
    return Chem.RemoveHs(mol)  # keeps the heavy atoms' 3D coordinates


def test_rbf_peaks_at_its_centre():
    feats = rbf_expand(RBF_CENTERS[[0, 5]])
    assert feats.shape == (2, len(RBF_CENTERS)) and feats.dtype == np.float32
    assert feats[0].argmax() == 0 and feats[1].argmax() == 5
    assert feats[1, 5] == pytest.approx(1.0)


def test_distance_edges_shapes_and_reverse_pairs():
    mol = _embedded("CCCCO")  # butanol: 4 bonds; 1,3 pairs (~2.5 Å) are through-space edges
    graph = mol_to_graph(mol)
    geo = add_distance_edges(graph, conformer_positions(mol), cutoff=2.7)
    n_bonds = graph.edge_index.shape[1]
    assert geo.bonds.shape == (geo.edge_index.shape[1], BOND_DIM + GEO_DIM)
    assert geo.edge_index.shape[1] == n_bonds + 2 * 3  # three 1,3 pairs, both directions
    assert np.array_equal(geo.edge_index[:, 0::2], geo.edge_index[::-1, 1::2])
    assert np.array_equal(geo.bonds[:n_bonds, :BOND_DIM], graph.bonds)
    assert (geo.bonds[:n_bonds, BOND_DIM] == 0).all() and (geo.bonds[n_bonds:, BOND_DIM] == 1).all()
    assert (geo.bonds[n_bonds:, :BOND_DIM] == 0).all()
    # a C-C bond (~1.5 Å) lights the centres near 1.5 Å, a 1,3 pair those near 2.5 Å
    centre = RBF_CENTERS[geo.bonds[:, BOND_DIM + 1 :].argmax(1)]
    assert (np.abs(centre[:n_bonds] - 1.45) < 0.25).all()
    assert (np.abs(centre[n_bonds:] - 2.5) < 0.25).all()


def test_features_invariant_to_rotation_and_translation():
    mol = _embedded("CC(=O)Nc1ccc(O)cc1")
    graph = mol_to_graph(mol)
    positions = conformer_positions(mol)
    moved = positions @ _rotation(3).T + np.asarray([4.0, -2.0, 9.5])
    a, b = add_distance_edges(graph, positions), add_distance_edges(graph, moved)
    assert np.array_equal(a.edge_index, b.edge_index)
    np.testing.assert_allclose(a.bonds, b.bonds, atol=1e-5)
    model = create_model("nmr_dmpnn3d", hidden=16, depth=3).eval()
    with torch.no_grad():
        out_a = model(**collate_graphs([a]))
        out_b = model(**collate_graphs([b]))
    assert out_a.shape == (mol.GetNumAtoms(),)
    torch.testing.assert_close(out_a, out_b, atol=1e-5, rtol=1e-5)


def test_own_conformer_is_used_and_smiles_are_embedded():
    mol = _embedded("CCOC(=O)C")
    own = mol.GetConformer().GetPositions()
    np.testing.assert_array_equal(conformer_positions(mol), own)
    flat = Chem.MolFromSmiles("CCOC(=O)C")  # no conformer: ETKDG + MMFF
    positions = conformer_positions(flat)
    assert positions.shape == (flat.GetNumAtoms(), 3)
    bond = np.linalg.norm(positions[0] - positions[1])
    assert 1.45 < bond < 1.6  # an MMFF C-C single bond


def test_embedding_failure_falls_back_to_bonds_and_is_counted(monkeypatch):
    monkeypatch.setattr(AllChem, "EmbedMolecule", lambda *a, **k: -1)
    mols = [Chem.MolFromSmiles(s) for s in ("CCO", "c1ccccc1")]
    graphs, fallbacks = mols_to_geometric_graphs(mols)
    assert fallbacks == 2
    for mol, graph in zip(mols, graphs):
        plain = mol_to_graph(mol)
        assert np.array_equal(graph.edge_index, plain.edge_index)
        assert (graph.bonds[:, BOND_DIM:] == 0).all()
    assert geometry.shift_model_graphs(mols, None)[1] == 0


def test_single_atom_molecule_has_no_edges():
    graphs, fallbacks = mols_to_geometric_graphs([Chem.MolFromSmiles("C")])
    assert fallbacks == 0 and graphs[0].edge_index.shape == (2, 0)
    assert graphs[0].bonds.shape == (0, BOND_DIM + GEO_DIM)


def test_3d_checkpoint_predicts_shifts_from_smiles(tmp_path, monkeypatch):
    from panspectra_core.checkpoint import save_checkpoint
    from panspectra_mol.nmr.predict import ShiftPredictor

    model = create_model("nmr_dmpnn3d", hidden=16, depth=3, cutoff=3.0)
    path = save_checkpoint(tmp_path / "nmr3d.safetensors", model, model_name="nmr_dmpnn3d",
                           model_kwargs={"hidden": 16, "depth": 3, "cutoff": 3.0}, domain="mol",
                           preprocessing={"shift_mean": 100.0, "shift_std": 50.0})  # fmt: skip
    predictor = ShiftPredictor.load(path)
    assert predictor.model.geometry_cutoff == 3.0
    mols = [predictor.parse(s) for s in ("CCOC(=O)C", "c1ccccc1O")]
    shifts = predictor.shifts(mols)
    assert [len(s) for s in shifts] == [6, 7] and predictor.geometry_fallbacks == 0
    monkeypatch.setattr(AllChem, "EmbedMolecule", lambda *a, **k: -1)
    fallback = predictor.shifts(mols)
    assert predictor.geometry_fallbacks == 2 and [len(s) for s in fallback] == [6, 7]
