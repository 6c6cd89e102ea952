"""Spatial regularisation of the predicted class-probability map (post-classification).

A per-pixel classifier decides every pixel on its own; land cover, however, comes in patches,
so isolated wrong decisions inside a field are the typical error. Filtering each class's
probability map over a small window before the arg-max removes them — the "probability map
filtering" family of spectral-spatial post-processing (Kang, Li & Benediktsson 2014,
"Spectral–Spatial Hyperspectral Image Classification With Edge-Preserving Filtering", IEEE
TGRS 52(5):2666–2677, "EPF"). Two filters:

- ``"box"``: the mean over a ``(2r+1)²`` window (the simplest member of the family);
- ``"guided"``: the guided filter (He, Sun & Tang 2013, "Guided Image Filtering", IEEE TPAMI
  35(6):1397–1409) with the first principal component of the scene as guidance image, as in
  Kang et al.: inside a window each probability map is fitted as ``a·I + b`` of the guidance
  ``I``, so averaging stops at edges of the image instead of blurring across field borders.

Only the model's *predicted* probabilities enter the filter: no training, validation or test
label is read, so it is as leak-free as the classifier itself, under every protocol. Under the
spatially disjoint protocol a test pixel's window may cover training pixels, but only their
predictions are averaged, never their labels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: regularisation ε of the guided filter, for a guidance image of unit variance on the
#: training pixels (:meth:`SpectralPreprocessor.guide`): windows whose guidance varies much less
#: than ε^½ are averaged like the box filter, edges much stronger than that are kept
GUIDED_EPS = 1.0
SMOOTH_METHODS = ("box", "guided")


def box_mean(x: np.ndarray, valid: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``x`` ``(h, w)`` or ``(h, w, K)`` over the valid pixels of each ``(2r+1)²``
    window that lie inside the array (float64; 0 where a window holds no valid pixel)."""
    size = 2 * radius + 1
    weights = valid.astype(np.float64)
    if x.ndim == 3:
        total = ndimage.uniform_filter(
            x * weights[..., None], size=(size, size, 1), mode="constant"
        )
    else:
        total = ndimage.uniform_filter(x * weights, size=size, mode="constant")
    count = np.maximum(ndimage.uniform_filter(weights, size=size, mode="constant"), 1e-12)
    return total / (count[..., None] if x.ndim == 3 else count)


def smooth_probabilities(
    proba: np.ndarray,
    valid: np.ndarray,
    radius: int,
    guide: np.ndarray | None = None,
    eps: float = GUIDED_EPS,
    sources: np.ndarray | None = None,
) -> np.ndarray:
    """Filter every class-probability map over ``(2r+1)²`` windows of valid pixels.

    Args:
        proba: ``(h, w, K)`` class probabilities (rows sum to 1 on valid pixels).
        valid: ``(h, w)`` bool, False for nodata pixels (never averaged in).
        radius: window radius ``r`` (0 returns ``proba`` unchanged).
        guide: ``(h, w)`` guidance image for the guided filter; None = box mean.
        eps: guided-filter regularisation (in squared guidance units).
        sources: ``(h, w)`` bool, the valid pixels whose probabilities (and guidance) enter the
            windows; None = all valid pixels. Every valid pixel still gets a filtered value,
            except one whose window holds no source: it keeps its own probabilities.

    Returns:
        ``(h, w, K)`` float32. Windows are truncated at the array border (not padded), so a
        tile grown by ``2r`` pixels reproduces the whole-scene result; invalid pixels get 0.
        The box mean keeps rows summing to 1; the guided filter does up to rounding (both ``a``
        and ``b`` sum to 0 and 1 over classes), and its values may leave ``[0, 1]`` slightly.
    """
    if radius <= 0:
        return proba
    inside = valid if sources is None else valid & sources
    if guide is None:
        out = box_mean(proba, inside, radius)
    else:
        guide = guide.astype(np.float64)
        mean_i = box_mean(guide, inside, radius)
        mean_p = box_mean(proba, inside, radius)
        cov_ip = box_mean(guide[..., None] * proba, inside, radius) - mean_i[..., None] * mean_p
        var_i = box_mean(guide * guide, inside, radius) - mean_i * mean_i
        a = cov_ip / (var_i[..., None] + eps)
        b = mean_p - a * mean_i[..., None]
        out = box_mean(a, inside, radius) * guide[..., None] + box_mean(b, inside, radius)
    if sources is not None:  # a window without any source pixel: nothing to filter with
        size = 2 * radius + 1
        covered = ndimage.maximum_filter(inside, size=size, mode="constant", cval=False)
        out = np.where(covered[..., None], out, proba)
    return np.where(valid[..., None], out, 0.0).astype(np.float32)
