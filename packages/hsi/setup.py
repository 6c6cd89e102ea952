"""Dependencies of panspectra-hsi; see tools/packaging/domain_setup.py for why this is a script."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "packaging"))
from domain_setup import domain_setup

domain_setup(
    __file__,
    domain="hsi",
    requires=[
        "rasterio>=1.3",  # GeoTIFF / any GDAL raster, windowed reads, georeferenced output
        "spectral>=0.23",  # ENVI .hdr cubes with wavelengths
        "scipy>=1.11",  # .mat v5 files, FCLS (nnls)
        "h5py>=3.9",  # .mat v7.3 (HDF5) files
        "scikit-learn>=1.3",  # SVM / RF baselines, PCA, metrics
        "skops>=0.10",  # pickle-free persistence of the fitted SVM / RF inside checkpoints
        "matplotlib>=3.7",  # classification and abundance maps
        "tensorly>=0.8",  # ships the Indian Pines cube: the offline demo dataset
    ],
)
