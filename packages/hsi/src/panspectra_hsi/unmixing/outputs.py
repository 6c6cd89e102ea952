"""Files written by ``hsi-unmix``: endmembers.csv, abundance maps (PNG) and GeoTIFF abundances."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def write_endmembers_csv(
    path: Path,
    endmembers: np.ndarray,
    names: list[str],
    wavelengths: np.ndarray | None = None,
) -> Path:
    """One row per band: ``band, wavelength_nm (if known), <name_1>, ..., <name_K>``."""
    endmembers = np.asarray(endmembers)
    header = ["band", *(["wavelength_nm"] if wavelengths is not None else []), *names]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for band in range(endmembers.shape[1]):
            wave = [f"{float(wavelengths[band]):.4f}"] if wavelengths is not None else []
            writer.writerow([band, *wave, *(f"{v:.8g}" for v in endmembers[:, band])])
    return path


def save_abundance_maps(
    path: Path, abundances: np.ndarray, names: list[str], reference: np.ndarray | None = None
) -> Path:
    """PNG grid of abundance maps (H, W, K) in [0, 1]; a second row shows the reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = abundances.shape[-1]
    rows = 1 if reference is None else 2
    fig, axes = plt.subplots(rows, k, figsize=(3 * k, 3 * rows), squeeze=False)
    for r, (maps, label) in enumerate([(abundances, "estimated"), (reference, "reference")][:rows]):
        for j in range(k):
            ax = axes[r, j]
            image = ax.imshow(maps[..., j], vmin=0, vmax=1, cmap="viridis")
            ax.set_title(f"{names[j]} ({label})", fontsize=9)
            ax.axis("off")
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_abundance_geotiff(
    path: Path,
    abundances: np.ndarray,
    names: list[str],
    crs: str | None,
    transform: tuple[float, ...] | None,
) -> Path:
    """(H, W, K) float32 abundances as a K-band GeoTIFF with the input's CRS/transform."""
    import rasterio

    height, width, k = abundances.shape
    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": k,
        "dtype": "float32",
        "nodata": float("nan"),
        "compress": "deflate",
    }
    if crs is not None:
        profile["crs"] = crs
    if transform is not None:
        profile["transform"] = rasterio.Affine(*transform[:6])
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.moveaxis(abundances.astype(np.float32), -1, 0))
        for band, name in enumerate(names, start=1):
            dst.set_band_description(band, name)
    return path
