"""Dependencies of panspectra-ts; see tools/packaging/domain_setup.py for why this is a script."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "packaging"))
from domain_setup import domain_setup

domain_setup(
    __file__,
    domain="ts",
    requires=[
        "pandas>=2.0",  # CSV/Parquet loading, frequency inference, calendar features
        "pyarrow>=14",  # Parquet
        "matplotlib>=3.7",  # forecast plots
        "scipy>=1.10",  # Student's t of the Diebold-Mariano test against the naive baselines
    ],
)
