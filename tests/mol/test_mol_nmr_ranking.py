"""Hungarian peak matching and candidate ranking on constructed cases."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from panspectra_core.errors import UserError
from panspectra_mol.nmr.data import carbon_environment, read_peaks
from panspectra_mol.nmr.ranking import (
    candidate_sets,
    match_score,
    merge_peaks,
    predicted_peaks,
    rank_candidates,
)


def test_hungarian_finds_the_optimal_assignment():
    # greedy nearest matching would pair 10→10.9 first and pay 0.1 + 10; optimal pays 1 + 1
    predicted = np.asarray([10.0, 11.0])
    observed = np.asarray([10.9, 12.0])
    score, pairs = match_score(predicted, observed)
    assert pairs.tolist() == [[0, 0], [1, 1]]
    assert score == pytest.approx((0.9 + 1.0) / 2)


def test_peak_count_mismatch_is_penalised():
    observed = np.asarray([20.0, 30.0, 40.0])
    exact, _ = match_score(observed, observed)
    fewer, _ = match_score(np.asarray([20.0, 30.0]), observed, penalty=10.0)
    assert exact == 0.0 and fewer == pytest.approx(10.0 / 3)


def test_rank_candidates_orders_by_score():
    observed = np.asarray([20.0, 128.0, 170.0])
    candidates = [np.asarray([30.0, 110.0, 150.0]), np.asarray([20.5, 128.0, 170.0]),
                  np.asarray([20.0])]  # fmt: skip
    ranked = rank_candidates(candidates, observed)
    # one matching peak + two unmatched (2 × 10 ppm) still beats three peaks 10-20 ppm off
    assert [i for i, _ in ranked] == [1, 2, 0]


def test_symmetric_carbons_give_one_peak():
    benzene = Chem.MolFromSmiles("c1ccccc1")
    assert len(predicted_peaks(benzene, np.full(6, 128.0))) == 1
    toluene = Chem.MolFromSmiles("Cc1ccccc1")
    assert len(predicted_peaks(toluene, np.arange(7.0))) == 5  # CH3, ipso, o, m, p
    assert merge_peaks([128.0, 128.02, 21.0]).tolist() == [21.0, 128.0]


def test_carbon_environments():
    mol = Chem.MolFromSmiles("CC(=O)c1ccccc1C=C")
    envs = [carbon_environment(a) for a in mol.GetAtoms() if a.GetAtomicNum() == 6]
    assert envs[:3] == ["sp3", "carbonyl", "aromatic"] and envs[-1] == "sp2"


def test_candidate_sets_use_isomers_then_nearest_formula_decoys():
    pool = ["CCCO", "CC(C)O", "CCOC", "CCCCO", "CCCC", "c1ccccc1", "CCO"]
    ((cands, n_isomers),) = candidate_sets(["CCCO"], pool, minimum=5)
    assert cands[0] == "CCCO" and n_isomers == 2
    assert set(cands[1:3]) == {"CC(C)O", "CCOC"} and len(cands) == 5
    assert "c1ccccc1" not in cands  # farthest formula


def test_read_peaks_errors(tmp_path):
    good = tmp_path / "p.txt"
    good.write_text("# shifts\n170.1, s\n21.0\n")
    assert read_peaks(good).tolist() == [170.1, 21.0]
    bad = tmp_path / "bad.txt"
    bad.write_text("12.0\nabc\n")
    with pytest.raises(UserError, match="line 2"):
        read_peaks(bad)
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(UserError, match="no peaks"):
        read_peaks(tmp_path / "empty.txt")
