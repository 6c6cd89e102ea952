"""Parsing and standardization of molecules with RDKit, recorded so predict repeats it.

Steps (applied in this order, each optional except parsing + sanitization):

- ``cleanup`` — RDKit MolStandardize ``Cleanup`` (normalize functional groups such as nitro
  and N-oxides, reionize, remove explicit H);
- ``largest_fragment`` — keep the largest organic fragment (drops counter-ions and solvents);
- ``uncharge`` — neutralize charges where a neutral form exists.

The chosen steps are stored in the checkpoint (``preprocessing["standardize"]``) and the
predictor rebuilds the same :class:`Standardizer` from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from panspectra_core.errors import UserError

STEPS = ("cleanup", "largest_fragment", "uncharge")


@dataclass(frozen=True)
class Standardizer:
    """Parse → sanitize → the chosen :data:`STEPS`; canonical SMILES of the result.

    Args:
        steps: names from :data:`STEPS`, applied in that order.
    """

    steps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [s for s in self.steps if s not in STEPS]
        if unknown:
            raise UserError(
                f"--standardize {','.join(unknown)}: expected steps from {', '.join(STEPS)}"
            )

    def record(self) -> dict:
        """What the checkpoint stores to redo this standardization."""
        return {"parse": "RDKit MolFromSmiles with sanitization", "steps": list(self.steps)}

    @classmethod
    def from_record(cls, record: dict | None) -> Standardizer:
        return cls(tuple((record or {}).get("steps", ())))

    def run(self, smiles: object):
        """``(mol, canonical_smiles, None)`` or ``(None, None, reason)`` for one input."""
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        if smiles is None or (isinstance(smiles, float) and smiles != smiles):
            return None, None, "empty SMILES"
        text = str(smiles).strip()
        if not text:
            return None, None, "empty SMILES"
        mol = Chem.MolFromSmiles(text, sanitize=False)
        if mol is None:
            return None, None, "RDKit cannot parse the SMILES"
        problems = Chem.DetectChemistryProblems(mol)
        if problems:
            return None, None, f"sanitization failed: {problems[0].Message()}"
        try:
            Chem.SanitizeMol(mol)
            mol = self._apply_steps(mol)
        except Exception as exc:
            return None, None, f"sanitization failed: {exc}"
        if mol.GetNumAtoms() == 0:
            return None, None, "no atoms"
        return mol, Chem.MolToSmiles(mol), None

    def _apply_steps(self, mol):
        if not self.steps:
            return mol
        from rdkit.Chem.MolStandardize import rdMolStandardize

        if "cleanup" in self.steps:
            mol = rdMolStandardize.Cleanup(mol)
        if "largest_fragment" in self.steps:
            mol = rdMolStandardize.LargestFragmentChooser(preferOrganic=True).choose(mol)
        if "uncharge" in self.steps:
            mol = rdMolStandardize.Uncharger().uncharge(mol)
        return mol

    def run_many(self, values: Sequence[object]) -> tuple[list, list, list[dict]]:
        """Standardize every value → ``(mols, canonical, invalid)``; failures are ``None``
        and listed in ``invalid`` as ``{"row": 1-based, "smiles", "reason"}``."""
        mols, canonical, invalid = [], [], []
        for i, value in enumerate(values):
            mol, smi, reason = self.run(value)
            mols.append(mol)
            canonical.append(smi)
            if reason is not None:
                invalid.append(
                    {"row": i + 1, "smiles": "" if value is None else str(value), "reason": reason}
                )
        return mols, canonical, invalid


def inchikey(mol) -> str:
    """The InChIKey of ``mol`` ('' when RDKit cannot make one)."""
    from rdkit import Chem

    try:
        return Chem.MolToInchiKey(mol) or ""
    except Exception:
        return ""
