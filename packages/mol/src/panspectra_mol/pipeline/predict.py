"""Applying a trained property model: ``mol-predict predict`` and ``evaluate``.

:class:`MolPredictor` rebuilds the stored standardization, descriptor scaling and target
scaling from the checkpoint and predicts SMILES in batches; invalid SMILES get a row with
``valid = False`` and the reason, never an exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
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

    def predict_valid(self, canonical: Sequence[str], chunk_size: int = 5000, workers: int = 1):
        """``(values (N, T), spread (N, T) or None)`` for standardized canonical SMILES,
        featurized ``chunk_size`` at a time (nothing is cached on disk)."""
        from panspectra_mol.pipeline.train import predict_outputs

        values, spreads = [], []
        for start in range(0, len(canonical), chunk_size):
            chunk = list(canonical[start : start + chunk_size])
            features = build_features(self.prep, chunk, None, workers, cache=False)
            members = self.prep.outputs_to_values(
                predict_outputs(self.model, features, np.arange(len(chunk)))
            )
            values.append(members.mean(axis=0) if members.ndim == 3 else members)
            if members.ndim == 3:
                spreads.append(members.std(axis=0))
        stacked = np.concatenate(values) if values else np.zeros((0, len(self.target_names)))
        return stacked, (np.concatenate(spreads) if spreads else None)

    def predict_smiles(
        self, smiles: Sequence[Any], first_row: int = 1, workers: int = 1
    ) -> pd.DataFrame:
        """One row per input: ``row`` (numbered from ``first_row``), ``smiles``, ``valid``,
        ``error``, ``canonical_smiles``, ``pred_<t>`` (NaN for invalid rows) and ``std_<t>``
        for ensembles."""
        mols, canonical, invalid = self.prep.standardizer.run_many(smiles)
        ok = np.asarray([m is not None for m in mols], dtype=bool)
        del mols
        valid = [c for c in canonical if c is not None]
        values, spread = self.predict_valid(valid, workers=workers)
        frame = pd.DataFrame(
            {
                "row": np.arange(first_row, first_row + len(smiles)),
                "smiles": ["" if pd.isna(s) else str(s) for s in smiles],
                "valid": ok,
                "error": "",
                "canonical_smiles": [c or "" for c in canonical],
            }
        )
        for item in invalid:
            frame.loc[item["row"] - 1, "error"] = item["reason"]  # run_many counts from 1
        for j, name in enumerate(self.target_names):
            column = np.full(len(smiles), np.nan)
            column[ok] = values[:, j]
            frame[f"pred_{name}"] = column
            if spread is not None:
                std = np.full(len(smiles), np.nan)
                std[ok] = spread[:, j]
                frame[f"std_{name}"] = std
        return frame


def read_frame_head(path, rows: int = 50) -> pd.DataFrame:
    """The first ``rows`` rows of a CSV (to find the SMILES column), one-line errors."""
    from panspectra_core.errors import UserError

    try:
        first = pd.read_csv(path, nrows=rows)
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: empty file; expected a header row and molecules") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: cannot read the table ({message})") from None
    if first.empty:
        raise UserError(f"{path}: no data rows; expected a header row and molecules")
    return first


def predict_file(
    predictor: MolPredictor,
    path,
    column: str | None,
    out,
    chunk_rows: int = 20000,
    workers: int = 1,
) -> tuple[int, int]:
    """Predict every row of a table into the CSV ``out``, ``chunk_rows`` rows at a time for
    CSV inputs (memory stays flat however long the file); returns ``(rows, invalid)``."""
    from panspectra_core.errors import UserError
    from panspectra_core.io import atomic_write
    from panspectra_mol.data.table import detect_smiles_column, read_frame

    streamed = str(path).lower().endswith(".csv") and Path(path).is_file()
    head = None if streamed else read_frame(path)  # read_frame: one-line errors
    if head is None:
        first = read_frame_head(path)
        chunks = pd.read_csv(path, chunksize=chunk_rows)
    else:
        first, chunks = head, [head]
    first.columns = [str(c).strip() for c in first.columns]
    column = column or detect_smiles_column(first, str(path))
    if column not in first.columns:
        raise UserError(f"{path}: SMILES column {column!r} not found "
                        f"(columns: {', '.join(first.columns)})")  # fmt: skip
    rows = bad = 0
    with atomic_write(out) as tmp, open(tmp, "w", newline="") as handle:
        try:
            for chunk in chunks:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                result = predictor.predict_smiles(chunk[column].tolist(), rows + 1, workers)
                result.to_csv(handle, index=False, header=rows == 0)
                rows += len(result)
                bad += int((~result["valid"]).sum())
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            message = str(exc).splitlines()[0]
            raise UserError(f"{path}: cannot read the table after row {rows} ({message})") from None
    return rows, bad
