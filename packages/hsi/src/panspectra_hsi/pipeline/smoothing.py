"""Spatial regularisation of the predicted class-probability map (post-classification).

A per-pixel classifier decides every pixel on its own; land cover, however, comes in patches,
so isolated wrong decisions inside a field are the typical error. Filtering each class's
probability map over a small window before the arg-max removes them — the "probability map
filtering" family of spectral-spatial post-processing (Kang, Li & Benediktsson 2014,
"Spectral–Spatial Hyperspectral Image Classification With Edge-Preserving Filtering", IEEE
TGRS 52(5):2666–2677, filter the maps with a guided filter; the box mean used here is the
simplest member of that family).

Only the model's *predicted* probabilities enter the filter: no training, validation or test
label is read, so it is as leak-free as the classifier itself, under every protocol. Under the
spatially disjoint protocol a test pixel's window may cover training pixels, but only their
predictions are averaged, never their labels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def smooth_probabilities(proba: np.ndarray, valid: np.ndarray, radius: int) -> np.ndarray:
    """Mean of the class probabilities of the valid pixels in a ``(2r+1)²`` window.

    Args:
        proba: ``(h, w, K)`` class probabilities (rows sum to 1 on valid pixels).
        valid: ``(h, w)`` bool, False for nodata pixels (never averaged in).
        radius: window radius ``r`` (0 returns ``proba`` unchanged).

    Returns:
        ``(h, w, K)`` float32; each valid pixel gets the average over the valid pixels of its
        window that lie inside the array (windows are truncated at the border, not padded), so
        a tile with a ``2r`` halo reproduces the whole-scene result. Invalid pixels keep 0.
    """
    if radius <= 0:
        return proba
    size = 2 * radius + 1
    weights = valid.astype(np.float64)
    total = ndimage.uniform_filter(
        proba * weights[..., None], size=(size, size, 1), mode="constant"
    )
    count = ndimage.uniform_filter(weights, size=size, mode="constant")
    out = total / np.maximum(count, 1e-12)[..., None]
    return np.where(valid[..., None], out, 0.0).astype(np.float32)
