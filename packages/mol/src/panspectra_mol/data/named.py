"""Named MoleculeNet datasets declared in ``data_manifests/mol/*.toml`` (``--dataset``)."""

from __future__ import annotations

from panspectra_core.datasets import fetch_file, list_datasets, load_manifest
from panspectra_core.errors import UserError
from panspectra_mol.data.standardize import Standardizer
from panspectra_mol.data.table import MolTable, load_table

#: the NMR dataset is read by :mod:`panspectra_mol.nmr.data`, not as a property table
NMR_DATASETS = ("nmrshiftdb2_nmr8k",)


def property_datasets() -> list[str]:
    """Names of the property-prediction datasets (``esol``, ``lipophilicity``, ``bbbp``)."""
    return [name for name in list_datasets("mol") if name not in NMR_DATASETS]


def load_named(name: str, standardizer: Standardizer | None = None) -> MolTable:
    """The molecules and targets of named dataset ``name`` (file resolved and hash-checked).

    Raises:
        UserError: unknown name, or the file is not available (with how to get it).
    """
    names = property_datasets()
    if name not in names:
        raise UserError(f"--dataset {name!r}: expected one of {', '.join(names)}")
    manifest = load_manifest("mol", name)
    fmt = manifest.format
    path = fetch_file("mol", name, fmt["file"])
    table = load_table(
        path,
        smiles_column=fmt["smiles_column"],
        targets=list(fmt["targets"]),
        task_kinds=[fmt["task"]],
        standardizer=standardizer,
    )
    table.source = name
    return table
