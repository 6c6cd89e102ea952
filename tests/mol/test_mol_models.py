"""D-MPNN against a hand-computed case and the loop reference; every registered property
model builds, runs, trains a step and survives a checkpoint round trip; graph ops vs
readable references."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rdkit import Chem

from panspectra_core.checkpoint import load_checkpoint, save_checkpoint
from panspectra_core.registry import create_model, list_models
from panspectra_mol.data.featurize import mol_to_graph
from panspectra_mol.models.dmpnn import DMPNNEncoder, dmpnn_reference
from panspectra_mol.models.graph_batch import collate_graphs, scatter_softmax, to_dense
from panspectra_mol.pipeline.fitting import MaskedLoss

SMILES = ["CC(=O)Nc1ccc(O)cc1", "CCO", "C", "c1ccccc1C(F)(F)F"]


def _batch(dense: bool = True):
    graphs = [mol_to_graph(Chem.MolFromSmiles(s)) for s in SMILES]
    return collate_graphs(graphs, descriptors=np.zeros((len(graphs), 3), np.float32),
                          targets=np.zeros((len(graphs), 2), np.float32), dense=dense)  # fmt: skip


def test_dmpnn_hand_computed_path_graph():
    """Path A-B-C, 1-wide states, W_i = sum of inputs, W_h = 1, W_o = [0 | 1], depth 2.

    Edges (0: A→B, 1: B→A, 2: B→C, 3: C→B), inputs x = (1, 2, 3), no bond features:
    h0 = x[src] = (1, 2, 2, 3). Messages m_e = Σ_{k→src(e)} h0_k − h0_rev(e):
    A→B: in(A) = {B→A: 2} − 2 = 0;  B→A: in(B) = 1 + 3 = 4, − 1 = 3;
    B→C: 4 − 3 = 1;  C→B: in(C) = {B→C: 2} − 2 = 0.  h1 = h0 + m = (1, 5, 3, 3).
    Atom messages: A ← B→A = 5; B ← A→B + C→B = 1 + 3 = 4; C ← B→C = 3.
    """
    enc = DMPNNEncoder(atom_dim=1, bond_dim=1, hidden=1, depth=2)
    with torch.no_grad():
        enc.w_i.weight.copy_(torch.tensor([[1.0, 0.0]]))
        enc.w_h.weight.copy_(torch.tensor([[1.0]]))
        enc.w_o.weight.copy_(torch.tensor([[0.0, 1.0]]))
        enc.w_o.bias.zero_()
    x = torch.tensor([[1.0], [2.0], [3.0]])
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    out = enc(x, edge_index, torch.zeros(4, 1))
    assert torch.allclose(out.squeeze(1), torch.tensor([5.0, 4.0, 3.0]))


def test_dmpnn_matches_loop_reference_values_and_gradients():
    torch.manual_seed(0)
    g = mol_to_graph(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1"))
    enc = DMPNNEncoder(g.atoms.shape[1], g.bonds.shape[1], hidden=8, depth=3).double()
    x = torch.from_numpy(g.atoms).double().requires_grad_()
    ei, ea = torch.from_numpy(g.edge_index), torch.from_numpy(g.bonds).double()
    fast = enc(x, ei, ea)
    slow = dmpnn_reference(enc, x, ei, ea)
    assert torch.allclose(fast, slow, atol=1e-10)
    (gf,) = torch.autograd.grad(fast.square().sum(), x)
    (gs,) = torch.autograd.grad(slow.square().sum(), x)
    assert torch.allclose(gf, gs, atol=1e-10)


def test_scatter_softmax_and_to_dense_against_references():
    scores = torch.randn(7, 3)
    index = torch.tensor([0, 0, 1, 2, 2, 2, 0])
    out = scatter_softmax(scores, index, 4)
    for node in range(3):
        rows = index == node
        assert torch.allclose(out[rows], torch.softmax(scores[rows], dim=0), atol=1e-6)
    x = torch.arange(10.0).view(5, 2)
    dense, mask = to_dense(x, torch.tensor([0, 2, 5]))
    assert dense.shape == (2, 3, 2) and mask.tolist() == [[True, True, False], [True] * 3]
    assert torch.equal(dense[1, 2], x[4]) and torch.equal(dense[0, 2], torch.zeros(2))


@pytest.mark.parametrize("name", ["dmpnn", "graph_transformer", "gps"])
def test_graph_models_forward_backward_checkpoint(name, tmp_path):
    model = create_model(name, num_tasks=2, descriptor_dim=3)
    batch = _batch(dense=True)
    inputs = {k: batch[k] for k in model.batch_inputs}
    out = model(batch["x"], **inputs)
    assert out.shape == (len(SMILES), 2) and torch.isfinite(out).all()
    MaskedLoss([False, True])(out, batch["y"]).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.eval()
    path = save_checkpoint(
        tmp_path / "m.safetensors",
        model,
        model_name=name,
        model_kwargs={"num_tasks": 2, "descriptor_dim": 3},
        domain="mol",
    )
    loaded = load_checkpoint(path).model
    with torch.no_grad():
        assert torch.allclose(loaded(batch["x"], **inputs), model(batch["x"], **inputs))


def test_masked_loss_ignores_missing_targets():
    out = torch.tensor([[1.0, 0.0], [3.0, 2.0]])
    y = torch.tensor([[2.0, float("nan")], [float("nan"), 1.0]])
    loss = MaskedLoss([False, True])(out, y)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(2.0), torch.tensor(1.0))
    assert torch.isclose(loss, (1.0 + bce) / 2)


def test_forest_checkpoint_round_trip_without_pickle(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5)).astype(np.float32)
    y = np.stack([x[:, 0] * 2, (x[:, 1] > 0).astype(float)], axis=1)
    y[::7, 0] = np.nan
    kinds = ["regression", "classification"]
    kwargs = {"task_kinds": kinds, "n_estimators": 10, "n_features": 5}
    forest = create_model("random_forest", **kwargs).fit(x, y)
    path = save_checkpoint(
        tmp_path / "rf.safetensors",
        forest,
        model_name="random_forest",
        model_kwargs=kwargs,
        domain="mol",
    )
    loaded = load_checkpoint(path).model
    assert np.allclose(loaded(torch.from_numpy(x)).numpy(), forest(torch.from_numpy(x)).numpy())


def test_registry_lists_mol_models():
    names = list_models(domain="mol", tag="predict")
    assert {"dmpnn", "graph_transformer", "gps", "random_forest"} <= set(names)
    assert {"nmr_dmpnn", "nmr_gps"} <= set(list_models(domain="mol", tag="nmr"))


@pytest.mark.parametrize("how", ["self_loop", "child_out_of_range", "nan_threshold"])
def test_hostile_regression_forest_is_refused(how, tmp_path):
    from panspectra_core.errors import UserError
    from panspectra_core.testing.hostile_checkpoints import tamper_tree

    x = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
    kwargs = {"task_kinds": ["regression"], "n_estimators": 3, "n_features": 4}
    forest = create_model("random_forest", **kwargs).fit(x, x[:, :1] * 3)
    state = forest.state_dict()
    bad = tamper_tree(state["skops"].numpy().tobytes(), how)
    fresh = create_model("random_forest", **kwargs)
    with pytest.raises(UserError, match="refused"):
        fresh.load_state_dict({"skops": torch.frombuffer(bytearray(bad), dtype=torch.uint8)})


def test_gps_biased_attention_matches_dense_reference():
    from panspectra_core.attention.multihead import MultiHeadAttention, merge_heads, split_heads
    from panspectra_core.attention.softmax import softmax_attention_ref
    from panspectra_mol.models.gps import biased_self_attention

    torch.manual_seed(0)
    attention = MultiHeadAttention(8, 2).double().eval()
    x = torch.randn(2, 5, 8, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    bias = torch.randn(2, 2, 5, 5, dtype=torch.float64)
    fast = biased_self_attention(attention, x, mask, bias)
    q, k, v = (split_heads(t, 2) for t in attention.qkv(x).chunk(3, dim=-1))
    ref = attention.out(merge_heads(softmax_attention_ref(q, k, v, mask[:, None, None, :], False,
                                                          bias)))  # fmt: skip
    assert torch.allclose(fast[mask], ref[mask], atol=1e-10)
    (g1,) = torch.autograd.grad(fast[mask].sum(), x)
    (g2,) = torch.autograd.grad(ref[mask].sum(), x)
    assert torch.allclose(g1, g2, atol=1e-10)


def test_graph_transformer_attention_is_a_softmax_over_neighbours():
    """Node i's update uses only bonded neighbours j (edge j→i): a loop reference."""
    from panspectra_mol.models.graph_transformer import GraphTransformerLayer

    torch.manual_seed(0)
    layer = GraphTransformerLayer(8, num_heads=2).double().eval()
    g = mol_to_graph(Chem.MolFromSmiles("CC(O)C=O"))
    ei = torch.from_numpy(g.edge_index)
    h = torch.randn(g.num_atoms, 8, dtype=torch.float64)
    e = torch.randn(ei.shape[1], 8, dtype=torch.float64)
    q, k, v = (m(h).view(-1, 2, 4) for m in (layer.q, layer.k, layer.v))
    ew = layer.e(e).view(-1, 2, 4)
    expected = torch.zeros(g.num_atoms, 2, 4, dtype=torch.float64)
    for i in range(g.num_atoms):
        edges = [n for n in range(ei.shape[1]) if ei[1, n] == i]
        scores = torch.stack([(q[i] * k[ei[0, n]] / 2.0 * ew[n]).sum(-1) for n in edges])
        weights = torch.softmax(scores, dim=0)
        expected[i] = sum(weights[m, :, None] * v[ei[0, n]] for m, n in enumerate(edges))
    out_h, _ = layer(h, e, ei)
    manual = layer.norm_h1(h + layer.out_h(expected.reshape(g.num_atoms, 8)))
    manual = layer.norm_h2(manual + layer.ffn_h(manual))
    assert torch.allclose(out_h, manual, atol=1e-10)


def test_shift_ensemble_predicts_the_member_mean_after_a_checkpoint_round_trip(tmp_path):
    from panspectra_mol.nmr.predict import ShiftPredictor
    from panspectra_mol.pipeline.fitting import create_ensemble, predict_graphs

    torch.manual_seed(0)
    members = [create_model("nmr_dmpnn", hidden=16, depth=2) for _ in range(2)]
    ensemble = create_ensemble(members, "nmr_dmpnn", {"hidden": 16, "depth": 2})
    assert create_ensemble(
        [create_model("nmr_dmpnn3d", hidden=8, cutoff=1.0)], "nmr_dmpnn3d", {}
    ).geometry_cutoff == pytest.approx(1.0)  # fmt: skip
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    graphs = [mol_to_graph(m) for m in mols]
    empty = np.zeros((len(graphs), 0), np.float32)
    stacked = predict_graphs(ensemble, graphs, empty, batch_size=3)  # two batches
    atoms = sum(m.GetNumAtoms() for m in mols)
    assert stacked.shape == (2, atoms)
    for member, row in zip(members, stacked):
        assert np.allclose(predict_graphs(member, graphs, empty), row, atol=1e-6)
    assert not np.allclose(stacked[0], stacked[1])  # the members differ
    path = save_checkpoint(
        tmp_path / "nmr.safetensors", ensemble, model_name=ensemble.checkpoint_name,
        model_kwargs=ensemble.checkpoint_kwargs, domain="mol",
        preprocessing={"shift_mean": 100.0, "shift_std": 50.0},
    )  # fmt: skip
    shifts = ShiftPredictor.load(path).shifts(mols)
    expected = stacked.mean(axis=0) * 50.0 + 100.0
    assert np.allclose(np.concatenate(shifts), expected, atol=1e-4)


@pytest.mark.parametrize("n, batch_size", [(5, 2), (7, 3), (6, 3), (1, 4), (9, 4)])
def test_shuffled_batches_cover_every_molecule_without_a_one_molecule_tail(n, batch_size):
    from panspectra_mol.pipeline.fitting import ShuffledBatches

    sampler = ShuffledBatches(n, batch_size, torch.Generator().manual_seed(3))
    for _ in range(3):  # a new order each epoch, every position once
        batches = list(sampler)
        assert sorted(i for b in batches for i in b) == list(range(n))
        assert len(batches) == len(sampler)
        assert n == 1 or min(len(b) for b in batches) >= 2
        assert max(len(b) for b in batches) <= batch_size + 1


def test_shuffled_batches_draw_the_order_of_a_shuffling_dataloader():
    """Without a tail to merge, the batches are exactly ``DataLoader(shuffle=True)``'s, epoch
    after epoch, so seeded runs draw the order a shuffling loader would."""
    from torch.utils.data import DataLoader

    from panspectra_mol.pipeline.fitting import ShuffledBatches

    generator = torch.Generator().manual_seed(7)
    ours = DataLoader(list(range(12)), batch_sampler=ShuffledBatches(12, 4, generator),
                      generator=generator)  # fmt: skip
    theirs = DataLoader(list(range(12)), batch_size=4, shuffle=True,
                        generator=torch.Generator().manual_seed(7))  # fmt: skip
    for _ in range(2):
        assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


@pytest.mark.parametrize("name", ["graph_transformer", "gps"])
def test_graph_models_train_when_methane_would_be_a_batch_alone(name):
    """BatchNorm over atoms cannot train on a batch of one atom; the training loader never
    makes one, whatever the seed, so a set of 2k+1 molecules holding methane trains."""
    from panspectra_mol.pipeline.fitting import graph_loader

    smiles = ["CCO", "CCN", "C"]
    graphs = [mol_to_graph(Chem.MolFromSmiles(s)) for s in smiles]
    model = create_model(name, num_tasks=1, descriptor_dim=0).train()
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        lone = collate_graphs(graphs[2:], descriptors=np.zeros((1, 0), np.float32), dense=True)
        model(lone["x"], **{k: lone[k] for k in model.batch_inputs})
    for seed in range(6):
        loader = graph_loader(
            graphs, np.zeros((3, 0), np.float32), np.zeros((3, 1), np.float32), np.arange(3),
            batch_size=2, shuffle=True, dense=True, seed=seed,
        )  # fmt: skip
        for batch in loader:
            out = model(batch["x"], **{k: batch[k] for k in model.batch_inputs})
            MaskedLoss([False])(out, batch["y"]).backward()
