"""Molecule tables, standardization, featurization, splits and named datasets."""

from panspectra_mol.data.features import featurize
from panspectra_mol.data.featurize import ATOM_DIM, BOND_DIM, LAP_PE_DIM, MolGraph, mol_to_graph
from panspectra_mol.data.splits import SPLITS, conflicting_duplicates, make_split
from panspectra_mol.data.standardize import Standardizer
from panspectra_mol.data.table import MolTable, load_table

__all__ = [
    "ATOM_DIM",
    "BOND_DIM",
    "LAP_PE_DIM",
    "SPLITS",
    "MolGraph",
    "MolTable",
    "Standardizer",
    "conflicting_duplicates",
    "featurize",
    "load_table",
    "make_split",
    "mol_to_graph",
]
