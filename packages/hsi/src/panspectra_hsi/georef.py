"""Georeferenced class-map output: GeoTIFFs that QGIS/GDAL open with the input's CRS and transform.

Class maps hold the user's original label codes (uint8/uint16/int32 as needed); unclassified
(nodata) pixels carry the ignore label, declared as the raster's nodata value. The class table
is stored as GDAL metadata ``classes="1=Alfalfa;2=Corn-notill;..."``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def map_dtype(label_values: list[int], nodata: int) -> str:
    """Smallest integer raster dtype holding every label code and the nodata code."""
    values = [*label_values, nodata]
    low, high = min(values), max(values)
    if low >= 0:
        return "uint8" if high <= 255 else "uint16" if high <= 65535 else "int32"
    return "int16" if -32768 <= low and high <= 32767 else "int32"


def class_map_profile(
    height: int,
    width: int,
    dtype: str,
    nodata: int,
    crs: str | None,
    transform: tuple[float, ...] | None,
) -> dict:
    """rasterio profile of a tiled, deflate-compressed single-band class map."""
    import rasterio

    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": 1,
        "dtype": dtype,
        "nodata": nodata,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    if height >= 256 and width >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    if crs is not None:
        profile["crs"] = crs
    if transform is not None:
        profile["transform"] = rasterio.Affine(*transform[:6])
    return profile


def class_table_tags(label_values: list[int], class_names: list[str], **extra: str) -> dict:
    """GDAL metadata describing the class codes."""
    table = ";".join(f"{v}={n}" for v, n in zip(label_values, class_names))
    return {"classes": table, **extra}


def codes_from_indices(
    indices: np.ndarray, label_values: list[int], nodata: int, dtype: str
) -> np.ndarray:
    """0-based class indices (−1 = nodata) → label codes of the output raster."""
    lookup = np.asarray([*label_values, nodata])
    return lookup[np.where(indices < 0, len(label_values), indices)].astype(dtype)


def write_class_map(
    path: str | Path,
    indices: np.ndarray,
    *,
    label_values: list[int],
    class_names: list[str],
    nodata: int,
    crs: str | None,
    transform: tuple[float, ...] | None,
    tags: dict | None = None,
) -> Path:
    """Write an in-memory ``(H, W)`` class-index map (−1 = nodata) as a GeoTIFF."""
    import rasterio

    dtype = map_dtype(label_values, nodata)
    height, width = indices.shape
    profile = class_map_profile(height, width, dtype, nodata, crs, transform)
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(codes_from_indices(indices, label_values, nodata, dtype), 1)
        dataset.update_tags(**class_table_tags(label_values, class_names, **(tags or {})))
    return Path(path)
