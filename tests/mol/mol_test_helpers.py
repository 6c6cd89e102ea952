"""Small molecule tables for the mol tests (real molecules, made-up targets)."""

from __future__ import annotations

from pathlib import Path

SMILES = [
    "CCO", "CCCO", "CCCCO", "CC(C)O", "CCOC", "CCN", "CCCN", "c1ccccc1", "Cc1ccccc1",
    "Oc1ccccc1", "Nc1ccccc1", "Clc1ccccc1", "CC(=O)O", "CCC(=O)O", "CC(=O)OC", "CC(=O)N",
    "C1CCCCC1", "C1CCOC1", "c1ccncc1", "c1ccsc1", "CCCCCC", "CCCCCCC", "CC(C)C", "CC(C)(C)C",
    "OCCO", "NCCN", "CC#N", "C=CC", "C=CC=C", "CC(=O)C", "CCC(=O)C", "O=Cc1ccccc1",
    "CC(=O)Nc1ccc(O)cc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "c1ccc2ccccc2c1", "OC(=O)c1ccccc1",
    "CCOC(=O)C", "CCCCl", "CCBr", "FC(F)(F)c1ccccc1",
]  # fmt: skip


def write_table(path: Path, *, classification: bool = False, bad_rows: int = 0) -> Path:
    """``smiles,y`` CSV: y = heavy-atom count (regression) or 1 for aromatics (classes);
    ``bad_rows`` unparsable SMILES are inserted at rows 3, 6, …"""
    from rdkit import Chem

    lines = ["smiles,y"]
    for i, smi in enumerate(SMILES):
        mol = Chem.MolFromSmiles(smi)
        if classification:
            y = float(any(a.GetIsAromatic() for a in mol.GetAtoms()))
        else:
            y = mol.GetNumAtoms() / 3.0
        lines.append(f"{smi},{y:g}")
        if bad_rows and i % 3 == 1 and (len(lines) - 1) // 3 <= bad_rows:
            lines.append("C1CC(,1.0")
    path.write_text("\n".join(lines) + "\n")
    return path
