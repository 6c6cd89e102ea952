"""PanSpectra molecules: properties from SMILES (``mol-predict``) and 13C NMR (``mol-nmr``).

- :mod:`panspectra_mol.data` — tables (CSV/Parquet/SDF), RDKit standardization, graph /
  fingerprint / descriptor features (parallel, cached), random and scaffold splits;
- :mod:`panspectra_mol.models` — registered models (domain ``"mol"``): random forest,
  D-MPNN, Graph Transformer, GPS, seed ensembles;
- :mod:`panspectra_mol.pipeline` — train / evaluate / predict as functions;
- :mod:`panspectra_mol.nmr` — per-atom 13C shift model and spectrum → structure ranking.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("panspectra-mol")
except PackageNotFoundError:  # source tree without installation
    __version__ = "0.0.0+unknown"
