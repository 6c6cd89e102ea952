"""Dependencies of panspectra-mol; see tools/packaging/domain_setup.py for why this is a script."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "packaging"))
from domain_setup import domain_setup

domain_setup(
    __file__,
    domain="mol",
    requires=[
        "rdkit>=2024.3",  # SMILES/SDF parsing, sanitization, descriptors, fingerprints, 3D
        "pandas>=2.0",  # CSV/Parquet/SDF property tables
        "scikit-learn>=1.4",  # random-forest baseline and the core's metrics
        "skops>=0.10",  # pickle-free storage of the fitted random forest in checkpoints
        "scipy>=1.10",  # Hungarian assignment of predicted to observed NMR peaks
        "matplotlib>=3.7",  # parity / ROC plots and annotated NMR structure pictures
        "threadpoolctl>=3.1",  # single-threaded BLAS while featurizing small molecules
    ],
)
