"""Applying a 13C shift model: per-atom shifts of a SMILES, annotated pictures, ranking."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from panspectra_core.errors import UserError
from panspectra_core.io import atomic_write
from panspectra_core.kit import Predictor
from panspectra_mol.data.geometry import shift_model_graphs
from panspectra_mol.data.standardize import Standardizer
from panspectra_mol.nmr.ranking import DEFAULT_PENALTY, predicted_peaks, rank_candidates
from panspectra_mol.pipeline.fitting import member_mean, predict_graphs

log = logging.getLogger("panspectra")


class ShiftPredictor(Predictor):
    """A per-atom shift model with its shift scaling (from the checkpoint)."""

    domain: ClassVar[str] = "mol"

    def __init__(self, model, meta, device: str = "cpu") -> None:
        super().__init__(model, meta, device)
        if "shift_mean" not in meta.preprocessing:
            raise UserError("this checkpoint is not a 13C shift model (use mol-predict)")
        self.mean = float(meta.preprocessing["shift_mean"])
        self.std = float(meta.preprocessing["shift_std"])
        #: molecules of the last :meth:`shifts` call without a 3D conformer (3D models)
        self.geometry_fallbacks = 0

    def parse(self, smiles: str):
        mol, _, reason = Standardizer().run(smiles)
        if mol is None:
            raise UserError(f"SMILES {smiles!r}: {reason}")
        return mol

    def shifts(self, mols: Sequence) -> list[np.ndarray]:
        """Predicted shift (ppm) of every heavy atom of each molecule (meaningful for C).
        A 3D model embeds molecules without a conformer (ETKDG + MMFF); those that fail
        keep their bonds only and are counted in :attr:`geometry_fallbacks`."""
        cutoff = getattr(self.model, "geometry_cutoff", None)
        graphs, self.geometry_fallbacks = shift_model_graphs(mols, cutoff)
        if self.geometry_fallbacks:
            log.warning("%d of %d molecules could not be embedded in 3D; their shifts come "
                        "from the bonds alone", self.geometry_fallbacks, len(mols))  # fmt: skip
        flat = predict_graphs(self.model, graphs, np.zeros((len(graphs), 0), np.float32))
        flat = member_mean(flat) * self.std + self.mean
        bounds = np.cumsum([0] + [g.num_atoms for g in graphs])
        return [flat[a:b] for a, b in itertools.pairwise(bounds)]

    def rank(self, candidates: Sequence[str], observed: np.ndarray, penalty=DEFAULT_PENALTY):
        """``(smiles, score, n_predicted_peaks)`` best first; invalid SMILES are refused."""
        mols = [self.parse(s) for s in candidates]
        peaks = [predicted_peaks(m, s) for m, s in zip(mols, self.shifts(mols))]
        ranked = rank_candidates(peaks, observed, penalty)
        return [(candidates[i], score, len(peaks[i])) for i, score in ranked]


def draw_shifts(mol, shifts: np.ndarray, path: Path) -> Path:
    """PNG of the structure with each carbon labelled by its predicted shift (ppm)."""
    from rdkit.Chem import Draw

    drawing = Draw.rdMolDraw2D.MolDraw2DCairo(600, 450)
    copy = type(mol)(mol)
    for atom in copy.GetAtoms():
        if atom.GetAtomicNum() == 6:
            atom.SetProp("atomNote", f"{shifts[atom.GetIdx()]:.1f}")
    drawing.drawOptions().annotationFontScale = 0.6
    drawing.DrawMolecule(copy)
    drawing.FinishDrawing()
    with atomic_write(path) as tmp:
        tmp.write_bytes(drawing.GetDrawingText())
    return path
