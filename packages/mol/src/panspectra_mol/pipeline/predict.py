"""Applying a trained property model: ``mol-predict predict`` and ``evaluate``.

:class:`MolPredictor` rebuilds the stored standardization, descriptor scaling and target
scaling from the checkpoint and predicts SMILES in batches; invalid SMILES get a row with
``valid = False`` and the reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from panspectra_core.kit import Predictor
from panspectra_mol.pipeline.prepare import Preprocessing, build_features


class MolPredictor(Predictor):
    """A property model and its preprocessing; :meth:`predict_smiles` is the entry point."""

    domain: ClassVar[str] = "mol"

    def __init__(self, model, meta, device: str = "cpu") -> None:
        super().__init__(model, meta, device)
        self.prep = Preprocessing.from_record(meta.preprocessing)

    @property
    def target_names(self) -> list[str]:
        return list(self.prep.target_names)

    def predict_valid(self, canonical: Sequence[str], batch_size: int = 256):
        """``(values (N, T), spread (N, T) or None)`` for standardized canonical SMILES."""
        from panspectra_mol.pipeline.train import predict_outputs

        values, spreads = [], []
        for start in range(0, len(canonical), batch_size * 20):
            chunk = list(canonical[start : start + batch_size * 20])
            features = build_features(self.prep, chunk, None)
            members = self.prep.outputs_to_values(
                predict_outputs(self.model, features, np.arange(len(chunk)))
            )
            values.append(members.mean(axis=0) if members.ndim == 3 else members)
            if members.ndim == 3:
                spreads.append(members.std(axis=0))
        stacked = np.concatenate(values) if values else np.zeros((0, len(self.target_names)))
        return stacked, (np.concatenate(spreads) if spreads else None)

    def predict_smiles(self, smiles: Sequence[Any]) -> pd.DataFrame:
        """One row per input: ``row``, ``smiles``, ``valid``, ``error``, ``canonical_smiles``,
        ``pred_<t>`` (NaN for invalid rows) and ``std_<t>`` for ensembles."""
        mols, canonical, invalid = self.prep.standardizer.run_many(smiles)
        ok = np.asarray([m is not None for m in mols], dtype=bool)
        values, spread = self.predict_valid([c for c in canonical if c is not None])
        frame = pd.DataFrame(
            {
                "row": np.arange(1, len(smiles) + 1),
                "smiles": ["" if pd.isna(s) else str(s) for s in smiles],
                "valid": ok,
                "error": "",
                "canonical_smiles": [c or "" for c in canonical],
            }
        )
        for item in invalid:
            frame.loc[item["row"] - 1, "error"] = item["reason"]
        for j, name in enumerate(self.target_names):
            column = np.full(len(smiles), np.nan)
            column[ok] = values[:, j]
            frame[f"pred_{name}"] = column
            if spread is not None:
                std = np.full(len(smiles), np.nan)
                std[ok] = spread[:, j]
                frame[f"std_{name}"] = std
        return frame
