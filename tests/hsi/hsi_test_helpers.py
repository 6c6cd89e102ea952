"""Helpers of the hsi tests: a seeded synthetic scene and a tiny registered stand-in model."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from panspectra_core.registry import MODELS, register_model


def make_synthetic_scene(height=24, width=24, bands=12, num_classes=3, seed=0, noise=0.15):
    """A cube ``(H, W, B)`` float32 whose classes are vertical stripes with distinct spectra.

    Class k occupies a block of columns (with an unlabelled gap row band at the top), so every
    class has several hundred pixels in one 4-connected component plus a small separate blob.
    """
    rng = np.random.default_rng(seed)
    labels = np.zeros((height, width), dtype=np.int64)
    edges = np.linspace(0, width, num_classes + 1).astype(int)
    for k in range(num_classes):
        labels[3:, edges[k] : edges[k + 1]] = k + 1
    labels[0:2, 0:3] = num_classes  # a second, small component of the last class
    signatures = rng.uniform(0.2, 1.0, size=(num_classes + 1, bands))
    cube = signatures[labels] + noise * rng.standard_normal((height, width, bands))
    return cube.astype(np.float32), labels


TINY = "hsi_test_tiny_cnn"


class TinyPatchNet(nn.Module):
    """(n, C, p, p) → (n, K): one 3×3 conv, global average pool, linear head."""

    def __init__(self, num_bands: int, num_classes: int, patch_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(num_bands, 8, 3, padding=1)
        self.head = nn.Linear(8, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)).mean(dim=(2, 3)))


if TINY not in MODELS:

    @register_model(TINY, domain="hsi", tags=("test",))
    def _tiny(num_bands: int, num_classes: int, patch_size: int = 3, **overrides) -> nn.Module:
        """Stand-in model for the hsi CLI tests."""
        return TinyPatchNet(num_bands, num_classes, patch_size)


def write_geotiff(path, array_hwb, *, crs="EPSG:32616", nodata=None):
    """Write ``(H, W, B)`` as a UTM GeoTIFF; return its affine transform."""
    import rasterio
    from rasterio.transform import from_origin

    transform = from_origin(500000.0, 4500000.0, 20.0, 20.0)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=array_hwb.shape[0],
        width=array_hwb.shape[1],
        count=array_hwb.shape[2],
        dtype=array_hwb.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(np.moveaxis(array_hwb, -1, 0))
    return transform


def tiny_classifier(cube, patch_size=5, seed=0, **fields):
    """A :class:`PixelClassifier` around an untrained (seeded) :class:`TinyPatchNet`, 3 classes,
    PCA 4 fitted on every pixel of ``cube`` (fine for tests of the inference path)."""
    from panspectra_hsi.data import SpectralPreprocessor
    from panspectra_hsi.pipeline import PixelClassifier

    torch.manual_seed(seed)
    prep = SpectralPreprocessor.fit(cube.reshape(-1, cube.shape[-1]), pca_components=4)
    return PixelClassifier(
        model=TinyPatchNet(4, 3, patch_size).eval(),
        preprocessor=prep,
        patch_size=patch_size,
        class_names=["a", "b", "c"],
        label_values=[1, 2, 3],
        model_name=TINY,
        **fields,
    )
