"""13C shift data: Exp5K (CASCADE's cleaned NMRShiftDB2 shifts) and the NMR8K structures.

Exp5K gives one experimental shift per carbon (``mol_id, atom_index, Shift``) indexed into
the MMFF structures of ``Exp5K_FF.sdf.gz`` (hydrogens explicit). Models work on the
heavy-atom graph, so each molecule's hydrogens are removed and the carbon indices mapped to
heavy-atom positions (RDKit's ``RemoveHs`` keeps the heavy atoms' order).
"""

from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from panspectra_core.datasets import fetch_dataset
from panspectra_core.errors import UserError

log = logging.getLogger("panspectra")

DATASET = "nmrshiftdb2_nmr8k"


@dataclass
class ShiftSet:
    """Molecules with per-atom 13C shifts.

    Attributes:
        ids: molecule ids (NMRShiftDB2 ids).
        smiles: canonical SMILES of the heavy-atom molecules.
        mols: RDKit molecules without hydrogens.
        shifts: per molecule a ``(n_atoms,)`` float array, NaN where no shift is given.
        skipped: ids that could not be read, with the reason.
    """

    ids: list[str]
    smiles: list[str]
    mols: list
    shifts: list[np.ndarray]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index) -> ShiftSet:
        index = [int(i) for i in index]
        return ShiftSet(
            [self.ids[i] for i in index],
            [self.smiles[i] for i in index],
            [self.mols[i] for i in index],
            [self.shifts[i] for i in index],
        )


def _heavy_positions(mol) -> dict[int, int]:
    heavy = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() > 1]
    return {old: new for new, old in enumerate(heavy)}


def read_exp5k(shifts_csv: Path, structures_sdf: Path) -> ShiftSet:
    """Exp5K shifts joined to their structures (molecules that fail RDKit are skipped)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    table = pd.read_csv(shifts_csv)
    missing = {"mol_id", "atom_index", "Shift"} - set(table.columns)
    if missing:
        raise UserError(f"{shifts_csv}: columns {sorted(missing)} missing")
    by_id = {str(k): g for k, g in table.groupby("mol_id")}
    out = ShiftSet([], [], [], [])
    seen: set[str] = set()
    with gzip.open(structures_sdf, "rb") as handle:
        for mol in Chem.ForwardSDMolSupplier(handle, removeHs=False, sanitize=True):
            if mol is None:
                out.skipped.append(("?", "unreadable record"))
                continue
            mol_id = mol.GetProp("_Name").strip()
            if mol_id in seen or mol_id not in by_id:
                continue
            seen.add(mol_id)
            positions = _heavy_positions(mol)
            heavy = Chem.RemoveHs(mol)
            values = np.full(heavy.GetNumAtoms(), np.nan)
            rows = by_id[mol_id]
            ok = True
            for idx, shift in zip(rows["atom_index"], rows["Shift"]):
                if int(idx) not in positions:
                    ok = False
                    break
                values[positions[int(idx)]] = float(shift)
            if not ok:
                out.skipped.append((mol_id, "shift on a hydrogen or a missing atom"))
                continue
            out.ids.append(mol_id)
            out.smiles.append(Chem.MolToSmiles(heavy))
            out.mols.append(heavy)
            out.shifts.append(values)
    return out


def load_exp5k() -> ShiftSet:
    """The named dataset's Exp5K shifts (files resolved and hash-checked)."""
    files = fetch_dataset("mol", DATASET, files=["Exp5K.csv.gz", "Exp5K_FF.sdf.gz"])
    return read_exp5k(files["Exp5K.csv.gz"], files["Exp5K_FF.sdf.gz"])


def load_nmr8k_smiles() -> list[tuple[str, str]]:
    """``(nmrshiftdb2 id, canonical SMILES)`` of every NMR8K structure (the candidate pool
    of the ranking benchmark)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    path = fetch_dataset("mol", DATASET, files=["NMR8K.sdf.gz"])["NMR8K.sdf.gz"]
    out = []
    with gzip.open(path, "rb") as handle:
        for mol in Chem.ForwardSDMolSupplier(handle, removeHs=False):
            if mol is None:
                continue
            ident = mol.GetProp("nmrshiftdb2 ID") if mol.HasProp("nmrshiftdb2 ID") else ""
            out.append((ident, Chem.MolToSmiles(Chem.RemoveHs(mol))))
    return out


def carbon_environment(atom) -> str:
    """``carbonyl`` (C=O), ``aromatic``, ``sp2`` (other sp/sp2) or ``sp3`` for a carbon."""
    from rdkit.Chem import BondType, HybridizationType

    for bond in atom.GetBonds():
        other = bond.GetOtherAtom(atom)
        if other.GetAtomicNum() == 8 and bond.GetBondType() == BondType.DOUBLE:
            return "carbonyl"
    if atom.GetIsAromatic():
        return "aromatic"
    if atom.GetHybridization() == HybridizationType.SP3:
        return "sp3"
    return "sp2"


def read_peaks(path: str | Path) -> np.ndarray:
    """Observed 13C peaks (ppm) from a text file: numbers separated by whitespace, commas or
    semicolons (a first column is used when lines have several fields).

    Raises:
        UserError: missing file, no peaks, or a value that is not a number.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: peak file not found")
    peaks = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.split("#")[0].replace(",", " ").replace(";", " ").split()
        if not text:
            continue
        try:
            peaks.append(float(text[0]))
        except ValueError:
            raise UserError(f"{path}: line {number}: {text[0]!r} is not a shift in ppm") from None
    if not peaks:
        raise UserError(f"{path}: no peaks; expected one shift (ppm) per line")
    values = np.asarray(peaks)
    if not np.isfinite(values).all():
        raise UserError(f"{path}: peaks must be finite numbers")
    return values
