"""Whole-scene classification tile by tile, with a halo, in bounded memory.

Each tile ``rows r0:r1, cols c0:c1`` is read together with a halo of ``radius = patch // 2``
pixels (plus twice the smoothing radius, if any; clipped to the scene), preprocessed, and
reflect-padded only where the halo fell off the scene border — so every pixel gets exactly the
patch it would get from the whole padded scene, and the tiled map equals the in-memory map.
The random walker's reach is the whole graph: it is solved on the tile grown by
``RANDOM_WALKER_HALO`` diffusion lengths, which agrees with the whole-scene solution up to the
``exp(-6)``-small pull of the pixels beyond.
Memory is ``O(tile² · bands)``, independent of the scene size; the output is written tile by
tile (GeoTIFF via rasterio, or a ``.npy`` memmap).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch

from panspectra_hsi.components import smoother
from panspectra_hsi.data.scene import nodata_mask_of
from panspectra_hsi.data.sources import CubeSource
from panspectra_hsi.georef import class_map_profile, class_table_tags, map_dtype
from panspectra_hsi.pipeline.classifier import PixelClassifier
from panspectra_hsi.pipeline.mixed import MixedClassifier
from panspectra_hsi.pipeline.smoothing import (
    RANDOM_WALKER_HALO,
    random_walker_probabilities,
    smooth_probabilities,
)


def tiles(height: int, width: int, tile: int) -> Iterator[tuple[int, int, int, int]]:
    """Row-major ``(r0, r1, c0, c1)`` tiles covering an ``height × width`` scene."""
    for r0 in range(0, height, tile):
        for c0 in range(0, width, tile):
            yield r0, min(r0 + tile, height), c0, min(c0 + tile, width)


def classify_window(
    classifier: PixelClassifier | MixedClassifier,
    read: Callable[[slice, slice], np.ndarray],
    shape: tuple[int, int],
    window: tuple[int, int, int, int],
    nodata: float | None = None,
    batch_size: int = 1024,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """0-based class indices ``(r1 - r0, c1 - c0)`` of one tile; −1 marks nodata pixels.

    With ``classifier.smooth_radius = s > 0`` the probabilities are computed on the tile
    grown by ``2s`` pixels (clipped to the scene), filtered, and cropped back, so the tiled
    map still equals the whole-scene map (the random walker: grown by ``RANDOM_WALKER_HALO · s``
    pixels, see the module docstring).

    Args:
        read: ``read(rows, cols) -> (h, w, B)`` raw cube window.
        shape: scene ``(H, W)``.
        window: tile ``(r0, r1, c0, c1)``.
        exclude: optional scene-sized ``(H, W)`` bool mask of pixels whose predictions stay out
            of every smoothing window (the training pixels and their patch footprint, when a
            run scores its own test pixels); a pixel whose window holds no other pixel keeps
            its unfiltered probabilities.
    """
    height, width = shape
    r0, r1, c0, c1 = window
    method = smoother(classifier.smooth_method)
    walker = method.graph and classifier.smooth_radius > 0
    if walker and not classifier.smooth_edge_scale > 0:
        raise ValueError("random-walker smoothing needs the edge scale of its training scene")
    grow = (RANDOM_WALKER_HALO if walker else 2) * classifier.smooth_radius
    g0, g1 = max(0, r0 - grow), min(height, r1 + grow)
    h0, h1 = max(0, c0 - grow), min(width, c1 + grow)
    proba, valid, guide = window_probabilities(
        classifier, read, shape, (g0, g1, h0, h1), nodata, batch_size, features=walker
    )
    sources = None if exclude is None else ~exclude[g0:g1, h0:h1]
    if walker:
        proba = random_walker_probabilities(
            proba,
            valid,
            guide,
            classifier.smooth_radius,
            classifier.smooth_edge_scale,
            sources=sources,
        )
    else:
        if not method.guided:
            guide = None
        elif guide is None and classifier.smooth_radius:
            raise ValueError("guided smoothing needs a preprocessor with a guide axis (re-train)")
        proba = smooth_probabilities(proba, valid, classifier.smooth_radius, guide, sources=sources)
    classes = np.where(valid, proba.argmax(axis=-1), -1)
    return classes[r0 - g0 : r1 - g0, c0 - h0 : c1 - h0]


def window_probabilities(
    classifier: PixelClassifier | MixedClassifier,
    read: Callable[[slice, slice], np.ndarray],
    shape: tuple[int, int],
    window: tuple[int, int, int, int],
    nodata: float | None = None,
    batch_size: int = 1024,
    features: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Class probabilities ``(h, w, K)``, valid-pixel mask ``(h, w)`` and guidance image
    ``(h, w)`` (None when the preprocessor has no guide axis) of one window; with
    ``features=True`` the guidance is instead the preprocessed features ``(h, w, F)`` (the
    random walker's edge weights; a mixed ensemble's first member's).

    The window is read with a halo of the patch radius (clipped to the scene) and reflect-padded
    only where the halo fell off the border. Nodata pixels get all-zero probabilities.
    """
    if isinstance(classifier, MixedClassifier):
        return _mixed_window_probabilities(
            classifier, read, shape, window, nodata, batch_size, features
        )
    height, width = shape
    r0, r1, c0, c1 = window
    radius = classifier.radius
    hr0, hr1 = max(0, r0 - radius), min(height, r1 + radius)
    hc0, hc1 = max(0, c0 - radius), min(width, c1 + radius)
    raw = read(slice(hr0, hr1), slice(hc0, hc1))
    valid = ~nodata_mask_of(raw, nodata)[r0 - hr0 : r1 - hr0, c0 - hc0 : c1 - hc0]
    raw = np.nan_to_num(raw)
    transformed = classifier.preprocessor.transform(raw)
    inner = raw[r0 - hr0 : r1 - hr0, c0 - hc0 : c1 - hc0]
    if features:
        guide = transformed[r0 - hr0 : r1 - hr0, c0 - hc0 : c1 - hc0]
    elif classifier.preprocessor.guide_axis is not None:
        guide = classifier.preprocessor.guide(inner)
    else:
        guide = None
    chw = torch.from_numpy(np.moveaxis(transformed, -1, 0).copy())
    pad = (radius - (c0 - hc0), radius - (hc1 - c1), radius - (r0 - hr0), radius - (hr1 - r1))
    if any(pad):
        chw = torch.nn.functional.pad(chw[None], pad, mode="reflect")[0]
    # pixel (r, c) of the scene is (r - r0 + radius, c - c0 + radius) of the padded window,
    # i.e. its patch starts at (r - r0, c - c0).
    pixels = torch.from_numpy(np.argwhere(valid).astype(np.int64))
    proba = np.zeros((*valid.shape, len(classifier.class_names)), dtype=np.float32)
    proba[valid] = classifier.probabilities_padded(chw, pixels, batch_size)
    return proba, valid, guide


def _mixed_window_probabilities(
    classifier: MixedClassifier,
    read: Callable[[slice, slice], np.ndarray],
    shape: tuple[int, int],
    window: tuple[int, int, int, int],
    nodata: float | None,
    batch_size: int,
    features: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`window_probabilities` of a mixed ensemble: the window is read once, with the
    widest member's halo, and every member classifies its own patches of it; the probabilities
    are averaged with the ensemble's weights and the guide comes from the first member that has
    one."""
    height, width = shape
    r0, r1, c0, c1 = window
    radius = classifier.radius
    hr0, hc0 = max(0, r0 - radius), max(0, c0 - radius)
    raw = read(slice(hr0, min(height, r1 + radius)), slice(hc0, min(width, c1 + radius)))

    def read_cached(rows: slice, cols: slice) -> np.ndarray:
        # members ask for their own (narrower or equal) halo inside the window read above
        return raw[rows.start - hr0 : rows.stop - hr0, cols.start - hc0 : cols.stop - hc0]

    proba, valid, guide = None, None, None
    for member, weight in zip(classifier.members, classifier.weights):
        member_proba, valid, member_guide = window_probabilities(
            member, read_cached, shape, window, nodata, batch_size, features
        )
        proba = weight * member_proba if proba is None else proba + weight * member_proba
        guide = member_guide if guide is None else guide
    return proba, valid, guide


def predict_to_file(
    classifier: PixelClassifier | MixedClassifier,
    source: CubeSource,
    output: str | Path,
    *,
    tile_size: int = 256,
    batch_size: int = 1024,
    drop_bands: list[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Classify ``source`` tile by tile into ``output`` (``.tif``/``.tiff`` or ``.npy``).

    The map holds the original label codes; nodata pixels get ``classifier.ignore_label`` (also
    declared as the GeoTIFF nodata value). The file is written to a temporary name beside
    ``output`` and renamed only when complete. Returns a summary (pixels, tiles, class counts).
    """
    from panspectra_core.io import atomic_write
    from panspectra_hsi.data.scene import kept_bands

    height, width, bands = source.shape
    keep = None if not drop_bands else kept_bands(drop_bands, bands, source.path)

    def read(rows: slice, cols: slice) -> np.ndarray:
        window = source.read(rows, cols)
        return window if keep is None else window[:, :, keep]

    codes = np.asarray([*classifier.label_values, classifier.ignore_label])
    dtype = map_dtype(classifier.label_values, classifier.ignore_label)
    counts = np.zeros(len(codes), dtype=np.int64)
    output = Path(output)
    windows = list(tiles(height, width, tile_size))
    with atomic_write(output) as tmp:
        writer = _open_writer(
            tmp, output.suffix.lower(), source, (height, width), dtype, classifier
        )
        try:
            for index, (r0, r1, c0, c1) in enumerate(windows):
                classes = classify_window(
                    classifier, read, (height, width), (r0, r1, c0, c1), source.nodata, batch_size
                )
                slots = np.where(classes < 0, len(codes) - 1, classes)  # nodata → last slot
                counts += np.bincount(slots.ravel(), minlength=len(codes))
                writer(codes[slots].astype(dtype), (r0, r1, c0, c1))
                if progress:
                    progress(index + 1, len(windows))
        finally:
            writer(None, None)
    names = [*classifier.class_names, "nodata"]
    return {
        "output": str(output),
        "shape": [height, width],
        "tiles": len(windows),
        "tile_size": tile_size,
        "pixels": height * width,
        "class_pixel_counts": {name: int(n) for name, n in zip(names, counts)},
    }


def _open_writer(path: Path, suffix: str, source: CubeSource, shape, dtype, classifier):
    """A ``write(block, window)`` callable; ``write(None, None)`` closes the file."""
    height, width = shape
    if suffix == ".npy":
        array = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(height, width))

        def write_npy(block, window):
            if block is None:
                array.flush()
                return
            r0, r1, c0, c1 = window
            array[r0:r1, c0:c1] = block

        return write_npy
    import rasterio
    from rasterio.windows import Window

    profile = class_map_profile(
        height, width, dtype, classifier.ignore_label, source.crs, source.transform
    )
    dataset = rasterio.open(path, "w", **profile)
    dataset.update_tags(
        **class_table_tags(
            classifier.label_values, classifier.class_names, model=classifier.model_name
        )
    )

    def write_tif(block, window):
        if block is None:
            dataset.close()
            return
        r0, r1, c0, c1 = window
        dataset.write(block, 1, window=Window(c0, r0, c1 - c0, r1 - r0))

    return write_tif
