"""Reading a user's molecule table: CSV, Parquet or SDF with properties → :class:`MolTable`.

A table has one SMILES column (``--smiles-column``, or the one column whose name says SMILES,
or whose values parse as SMILES) and zero or more target columns (``--targets a,b``). Each
target is regression or binary classification (a column holding only 0/1 is classification
unless told otherwise); missing values are kept as NaN and masked in the loss. Molecules that
RDKit cannot parse or sanitize are skipped and listed (row number, SMILES, reason); they never
stop a run. Every other problem is a one-line :class:`~panspectra_core.errors.UserError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from panspectra_core.errors import UserError
from panspectra_mol.data.standardize import Standardizer

SMILES_NAMES = ("smiles", "canonical_smiles", "smi", "mol", "molecule", "structure")
TASK_KINDS = ("regression", "classification")


@dataclass
class MolTable:
    """The parsed molecules of a table (valid rows only) with their targets.

    Attributes:
        source: the file read.
        smiles_column: the SMILES column's name.
        rows: ``(N,)`` 1-based data row numbers of the valid molecules (header = row 0).
        smiles: ``N`` input SMILES as written.
        canonical: ``N`` canonical SMILES after standardization.
        mols: ``N`` RDKit molecules (standardized).
        targets: ``(N, T)`` float targets with NaN where missing (``T = 0`` for predict).
        target_names: the T column names.
        task_kinds: ``regression`` / ``classification`` per target.
        invalid: one dict per skipped row: ``row``, ``smiles``, ``reason``.
        n_rows: rows in the file.
    """

    source: str
    smiles_column: str
    rows: np.ndarray
    smiles: list[str]
    canonical: list[str]
    mols: list
    targets: np.ndarray
    target_names: list[str]
    task_kinds: list[str]
    invalid: list[dict] = field(default_factory=list)
    n_rows: int = 0

    def __len__(self) -> int:
        return len(self.smiles)

    def subset(self, index: np.ndarray) -> MolTable:
        """The molecules at ``index`` (targets, rows and SMILES sliced alike)."""
        index = np.asarray(index, dtype=np.int64)
        return MolTable(
            self.source,
            self.smiles_column,
            self.rows[index],
            [self.smiles[i] for i in index],
            [self.canonical[i] for i in index],
            [self.mols[i] for i in index],
            self.targets[index],
            self.target_names,
            self.task_kinds,
            [],
            len(index),
        )


def read_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A table file as strings-or-numbers DataFrame (``.csv``/``.tsv``/``.parquet``/``.sdf``).

    Raises:
        UserError: missing file, unknown suffix, unreadable or empty table.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    try:
        if suffix in (".csv", ".csv.gz", ".txt"):
            frame = pd.read_csv(path)
        elif suffix in (".tsv", ".tsv.gz"):
            frame = pd.read_csv(path, sep="\t")
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".sdf", ".sdf.gz", ".sd"):
            frame = _read_sdf(path)
        elif suffix in (".smi", ".smiles"):
            frame = pd.read_csv(path, sep=r"\s+", header=None, usecols=[0], names=["smiles"])
        else:
            raise UserError(
                f"{path}: unknown table type {suffix!r}; expected .csv, .tsv, .parquet, .sdf "
                "or .smi"
            )
    except pd.errors.EmptyDataError:
        raise UserError(f"{path}: empty file; expected a header row and molecules") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"{path}: cannot read the table ({first})") from None
    if frame.empty:
        raise UserError(f"{path}: no data rows; expected a header row and molecules")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_sdf(path: Path) -> pd.DataFrame:
    """An SD file → one row per record: ``smiles`` (from the structure) + its properties."""
    import gzip

    from rdkit import Chem

    opener = gzip.open if path.suffix == ".gz" else open
    records = []
    with opener(path, "rb") as handle:
        for mol in Chem.ForwardSDMolSupplier(handle, sanitize=False, removeHs=False):
            if mol is None:
                records.append({"smiles": ""})
                continue
            props = mol.GetPropsAsDict(includePrivate=False, includeComputed=False)
            try:
                smiles = Chem.MolToSmiles(Chem.RemoveHs(mol, sanitize=False))
            except Exception:
                smiles = ""
            records.append({"smiles": smiles, **props})
    return pd.DataFrame.from_records(records)


def detect_smiles_column(frame: pd.DataFrame, source: str) -> str:
    """The one column that holds SMILES: by name, else by content (most values parse).

    Raises:
        UserError: no such column, or several equally likely ones.
    """
    by_name = [c for c in frame.columns if c.strip().lower() in SMILES_NAMES]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise UserError(
            f"{source}: several SMILES-like columns ({', '.join(by_name)}); "
            "choose one with --smiles-column"
        )
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    scores = {}
    for column in frame.columns:
        values = frame[column].dropna().astype(str).head(50)
        if values.empty or pd.api.types.is_numeric_dtype(frame[column]):
            continue
        ok = sum(Chem.MolFromSmiles(v.strip(), sanitize=False) is not None for v in values)
        scores[column] = ok / len(values)
    best = sorted(scores.items(), key=lambda kv: -kv[1])
    if not best or best[0][1] < 0.5:
        raise UserError(
            f"{source}: no SMILES column found (columns: {', '.join(frame.columns)}); "
            "name it with --smiles-column"
        )
    if len(best) > 1 and best[1][1] >= best[0][1] - 1e-9:
        raise UserError(
            f"{source}: columns {best[0][0]!r} and {best[1][0]!r} both look like SMILES; "
            "choose one with --smiles-column"
        )
    return best[0][0]


def target_array(frame: pd.DataFrame, names: list[str], source: str) -> np.ndarray:
    """``(N, T)`` float targets; empty cells → NaN.

    Raises:
        UserError: a missing column, or a value that is not a number.
    """
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise UserError(
            f"{source}: target column(s) {', '.join(map(repr, missing))} not found "
            f"(columns: {', '.join(frame.columns)})"
        )
    out = np.empty((len(frame), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        raw = frame[name]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise UserError(
                f"{source}: target {name!r} row {row}: {raw.iloc[row - 1]!r} is not a number"
            )
        out[:, j] = values.to_numpy(dtype=np.float64)
        infinite = np.flatnonzero(np.isinf(out[:, j]))
        if infinite.size:
            row = int(infinite[0]) + 1
            raise UserError(f"{source}: target {name!r} row {row}: {raw.iloc[row - 1]!r} is not "
                            "a finite number")  # fmt: skip
    return out


def infer_task_kinds(targets: np.ndarray, given: list[str] | None) -> list[str]:
    """``classification`` for columns holding only 0/1, else ``regression``; ``given`` wins."""
    if given:
        if len(given) == 1:
            given = given * targets.shape[1]
        if len(given) != targets.shape[1] or any(k not in TASK_KINDS for k in given):
            raise UserError(
                f"--task-kinds {','.join(given)}: expected one of {', '.join(TASK_KINDS)} "
                f"per target ({targets.shape[1]})"
            )
        return list(given)
    kinds = []
    for column in targets.T:
        present = column[np.isfinite(column)]
        binary = present.size > 0 and np.isin(present, (0.0, 1.0)).all()
        kinds.append("classification" if binary else "regression")
    return kinds


def load_table(
    path: str | os.PathLike[str],
    *,
    smiles_column: str | None = None,
    targets: list[str] | None = None,
    task_kinds: list[str] | None = None,
    standardizer: Standardizer | None = None,
    require_targets: bool = True,
) -> MolTable:
    """Read, parse and standardize a table (see the module docstring).

    Raises:
        UserError: unreadable/empty file, missing columns, non-numeric targets, or no
            valid molecule at all.
    """
    source = str(path)
    frame = read_frame(path)
    column = smiles_column or detect_smiles_column(frame, source)
    if column not in frame.columns:
        raise UserError(
            f"{source}: SMILES column {column!r} not found (columns: {', '.join(frame.columns)})"
        )
    names = list(targets or [])
    if require_targets and not names:
        raise UserError(f"{source}: no target column given; name them with --targets a,b")
    y = target_array(frame, names, source) if names else np.zeros((len(frame), 0))
    kinds = infer_task_kinds(y, task_kinds) if names else []
    for j, kind in enumerate(kinds):
        present = y[np.isfinite(y[:, j]), j]
        if kind == "classification" and not np.isin(present, (0.0, 1.0)).all():
            raise UserError(f"{source}: classification target {names[j]!r} must hold 0/1 only")
    standardizer = standardizer or Standardizer()
    raw = frame[column].tolist()
    mols, canonical, invalid = standardizer.run_many(raw)
    keep = [i for i, m in enumerate(mols) if m is not None]
    if not keep:
        raise UserError(
            f"{source}: none of the {len(frame)} rows holds a valid molecule in column "
            f"{column!r} (first problem: {invalid[0]['reason'] if invalid else 'empty'})"
        )
    index = np.asarray(keep, dtype=np.int64)
    return MolTable(
        source=source,
        smiles_column=column,
        rows=index + 1,
        smiles=[str(raw[i]) for i in keep],
        canonical=[canonical[i] for i in keep],
        mols=[mols[i] for i in keep],
        targets=y[index],
        target_names=names,
        task_kinds=kinds,
        invalid=invalid,
        n_rows=len(frame),
    )
