"""Structure elucidation as ranking: which candidate best explains an observed 13C peak list.

For each candidate the predicted carbon shifts are averaged over symmetry-equivalent carbons
(RDKit canonical ranks without tie breaking) → its predicted peaks. Predicted and observed
peaks are matched one-to-one by the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``)
minimising the summed absolute difference; every peak left unmatched (count mismatch) costs
``penalty`` ppm. The score is that total divided by the larger peak count (ppm; lower is
better).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: ppm charged for each predicted or observed peak without a partner
DEFAULT_PENALTY = 10.0
#: observed shifts closer than this are one peak (symmetry-equivalent carbons)
PEAK_MERGE_PPM = 0.05


def symmetry_classes(mol) -> np.ndarray:
    """``(n_atoms,)`` class id per atom; equal ids = symmetry-equivalent atoms."""
    from rdkit import Chem

    return np.asarray(list(Chem.CanonicalRankAtoms(mol, breakTies=False)))


def predicted_peaks(mol, shifts: np.ndarray) -> np.ndarray:
    """Sorted predicted 13C peaks of ``mol``: one per class of equivalent carbons (mean)."""
    classes = symmetry_classes(mol)
    carbons = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() == 6]
    groups: dict[int, list[float]] = {}
    for idx in carbons:
        groups.setdefault(int(classes[idx]), []).append(float(shifts[idx]))
    return np.sort(np.asarray([np.mean(v) for v in groups.values()]))


def merge_peaks(peaks: Sequence[float], tolerance: float = PEAK_MERGE_PPM) -> np.ndarray:
    """Sorted peaks with near-identical values (≤ ``tolerance`` apart) merged."""
    values = np.sort(np.asarray(peaks, dtype=np.float64))
    if values.size == 0:
        return values
    keep = np.concatenate([[True], np.diff(values) > tolerance])
    return values[keep]


def match_score(
    predicted: np.ndarray, observed: np.ndarray, penalty: float = DEFAULT_PENALTY
) -> tuple[float, np.ndarray]:
    """Optimal-assignment score (ppm, lower = better) and the matched pairs.

    Returns:
        ``(score, pairs)``; ``pairs`` is ``(k, 2)`` indices ``(predicted, observed)``.
    """
    from scipy.optimize import linear_sum_assignment

    predicted, observed = np.asarray(predicted, float), np.asarray(observed, float)
    if predicted.size == 0 or observed.size == 0:
        return penalty, np.zeros((0, 2), dtype=np.int64)
    cost = np.abs(predicted[:, None] - observed[None, :])
    rows, cols = linear_sum_assignment(cost)
    unmatched = abs(predicted.size - observed.size)
    total = cost[rows, cols].sum() + penalty * unmatched
    return float(total / max(predicted.size, observed.size)), np.stack([rows, cols], axis=1)


def rank_candidates(
    candidate_peaks: Sequence[np.ndarray], observed: np.ndarray, penalty: float = DEFAULT_PENALTY
) -> list[tuple[int, float]]:
    """``(candidate index, score)`` best first (ties keep the input order)."""
    scores = [match_score(p, observed, penalty)[0] for p in candidate_peaks]
    order = np.argsort(scores, kind="stable")
    return [(int(i), float(scores[i])) for i in order]


def formula(smiles: str) -> str:
    from rdkit import Chem
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    mol = Chem.MolFromSmiles(smiles)
    return CalcMolFormula(mol) if mol is not None else ""


def _element_counts(smiles: str) -> dict[str, int]:
    from rdkit import Chem

    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    counts: dict[str, int] = {}
    for atom in mol.GetAtoms():
        counts[atom.GetSymbol()] = counts.get(atom.GetSymbol(), 0) + 1
    return counts


def formula_distance(a: dict[str, int], b: dict[str, int]) -> int:
    """Σ over elements of |count difference| (0 = same molecular formula)."""
    return sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b))


def candidate_sets(
    queries: Sequence[str], pool: Sequence[str], minimum: int = 10
) -> list[tuple[list[str], int]]:
    """Candidates per query SMILES: the query, every pool molecule with its molecular formula
    (constitutional isomers) and, when fewer than ``minimum`` in all, the pool molecules of
    the nearest formulas (smallest :func:`formula_distance`, same carbon count first) as
    decoys.

    Returns:
        Per query ``(candidates with the query first, number of same-formula isomers)``.
    """
    pool = list(dict.fromkeys(pool))
    counts = {s: _element_counts(s) for s in pool}
    by_formula: dict[str, list[str]] = {}
    for s in pool:
        by_formula.setdefault(formula(s), []).append(s)
    out = []
    for query in queries:
        mine = _element_counts(query)
        isomers = [s for s in by_formula.get(formula(query), []) if s != query]
        chosen = [query, *isomers]
        if len(chosen) < minimum:
            taken = set(chosen)
            others = [s for s in pool if s not in taken]
            others.sort(
                key=lambda s: (
                    abs(counts[s].get("C", 0) - mine.get("C", 0)),
                    formula_distance(counts[s], mine),
                    s,
                )
            )
            chosen += others[: minimum - len(chosen)]
        out.append((chosen, len(isomers)))
    return out
