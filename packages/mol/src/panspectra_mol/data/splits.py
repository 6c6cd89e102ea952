"""Train/validation/test splits of molecules, and the duplicate report.

Both splits assign whole groups, never rows: every copy of a molecule (same canonical SMILES)
lands in one part, so no molecule is in two parts.

- ``random`` — the unique molecules shuffled with the seed and cut 80/10/10.
- ``scaffold`` — balanced Bemis–Murcko scaffold split (chemprop's ``scaffold_balanced``):
  scaffold sets larger than half the test size go first into train, the rest are shuffled
  with the seed and filled into train, then validation, then test.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from panspectra_core.kit import ComponentRegistry

SPLITS: ComponentRegistry = ComponentRegistry("split")
SPLITS.register("random", "random", help="seeded random 80/10/10 over unique molecules")
SPLITS.register("scaffold", "scaffold", help="balanced Bemis-Murcko scaffold split 80/10/10")


def murcko_scaffold(smiles: str) -> str:
    """The Bemis–Murcko scaffold SMILES (without chirality); acyclic molecules → ''."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ""
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)


def _groups(keys: Sequence[str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        groups[key].append(i)
    return groups


def _sizes(n: int, fractions: Sequence[float]) -> tuple[int, int]:
    n_train = round(fractions[0] * n)
    n_val = round(fractions[1] * n)
    return n_train, n_val


def random_split(
    canonical: Sequence[str], seed: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, val, test)`` of a seeded random split over unique molecules."""
    groups = list(_groups(canonical).values())
    order = np.random.default_rng(seed).permutation(len(groups))
    n_train, n_val = _sizes(len(groups), fractions)
    parts = (order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :])
    return tuple(
        np.sort(np.asarray([i for g in part for i in groups[g]], dtype=np.int64)) for part in parts
    )


def scaffold_split(
    canonical: Sequence[str], seed: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, val, test)`` of a balanced Bemis–Murcko scaffold split.

    Molecules are first grouped by canonical SMILES, then unique molecules by scaffold, so
    duplicates and scaffold-mates always share a part.
    """
    n = len(canonical)
    unique = _groups(canonical)
    scaffold_of = {smi: murcko_scaffold(smi) for smi in unique}
    sets: dict[str, list[int]] = defaultdict(list)
    for smi, rows in unique.items():
        sets[scaffold_of[smi]].extend(rows)
    n_train, n_val = _sizes(n, fractions)
    n_test = n - n_train - n_val
    big = [s for s in sets.values() if len(s) > n_test / 2]
    small = [s for s in sets.values() if len(s) <= n_test / 2]
    rng = np.random.default_rng(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    train: list[int] = []
    val: list[int] = []
    test: list[int] = []
    for group in big + small:
        if len(train) + len(group) <= n_train:
            train += group
        elif len(val) + len(group) <= n_val:
            val += group
        else:
            test += group
    return tuple(np.sort(np.asarray(p, dtype=np.int64)) for p in (train, val, test))


def make_split(kind: str, canonical: Sequence[str], seed: int):
    """``(train, val, test)`` indices of split ``kind`` (see :data:`SPLITS`)."""
    SPLITS.check(kind, option="--split")
    return (random_split if kind == "random" else scaffold_split)(canonical, seed)


def conflicting_duplicates(
    canonical: Sequence[str], targets: np.ndarray, rows: np.ndarray, names: Sequence[str]
) -> list[dict]:
    """Molecules that occur more than once with different target values.

    Returns:
        One dict per (molecule, target) conflict: ``canonical_smiles``, ``target``, ``rows``
        (1-based, ``;``-joined) and ``values`` (``;``-joined).
    """
    out = []
    for smi, idx in _groups(canonical).items():
        if len(idx) < 2:
            continue
        for j, name in enumerate(names):
            values = targets[idx, j]
            present = values[np.isfinite(values)]
            if present.size > 1 and np.ptp(present) > 1e-9:
                out.append(
                    {
                        "canonical_smiles": smi,
                        "target": name,
                        "rows": ";".join(str(int(rows[i])) for i in idx),
                        "values": ";".join(f"{v:g}" for v in values),
                    }
                )
    return out
