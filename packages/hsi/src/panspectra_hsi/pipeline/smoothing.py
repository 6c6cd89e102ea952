"""Spatial regularisation of the predicted class-probability map (post-classification).

A per-pixel classifier decides every pixel on its own; land cover, however, comes in patches,
so isolated wrong decisions inside a field are the typical error. Filtering each class's
probability map over a small window before the arg-max removes them — the "probability map
filtering" family of spectral-spatial post-processing (Kang, Li & Benediktsson 2014,
"Spectral–Spatial Hyperspectral Image Classification With Edge-Preserving Filtering", IEEE
TGRS 52(5):2666–2677, "EPF"). Two filters and one graph method:

- ``"box"``: the mean over a ``(2r+1)²`` window (the simplest member of the family);
- ``"guided"``: the guided filter (He, Sun & Tang 2013, "Guided Image Filtering", IEEE TPAMI
  35(6):1397–1409) with the first principal component of the scene as guidance image, as in
  Kang et al.: inside a window each probability map is fitted as ``a·I + b`` of the guidance
  ``I``, so averaging stops at edges of the image instead of blurring across field borders;
- ``"random_walker"``: the probability maps are diffused over the 8-neighbour pixel graph
  whose edge weights fall with the spectral distance of the two pixels, as in the extended
  random walker of Kang, Li, Fang, Dian & Benediktsson 2015 ("Extended Random Walker-Based
  Classification of Hyperspectral Images", IEEE TGRS 53(1):144–153; random walks for
  segmentation: Grady 2006, IEEE TPAMI 28(11)). Unlike a window it reaches across a whole
  field, but hardly across a spectral edge (:func:`random_walker_probabilities`).

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
#: the 8-neighbour offsets (dy, dx) with one direction per undirected edge
NEIGHBOUR_OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1))
#: tiled prediction solves the random walker on a tile grown by this many length scales (the
#: influence of a pixel decays about as ``exp(-distance / length)``)
RANDOM_WALKER_HALO = 6


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


def neighbour_edges(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices ``(i, j)`` (each ``(E,)``) of the 8-neighbour pixel pairs of an ``(h, w)``
    grid whose two pixels are both ``valid``; every undirected edge appears once."""
    height, width = valid.shape
    first, second = [], []
    for dy, dx in NEIGHBOUR_OFFSETS:
        rows, cols = np.mgrid[0 : height - dy, max(0, -dx) : width - max(dx, 0)]
        first.append((rows * width + cols).ravel())
        second.append(((rows + dy) * width + cols + dx).ravel())
    i, j = np.concatenate(first), np.concatenate(second)
    flat = valid.ravel()
    keep = flat[i] & flat[j]
    return i[keep], j[keep]


#: edges per chunk of :func:`_squared_distances` (bounds its memory: chunk × features × 8 bytes)
EDGE_CHUNK = 1 << 16


def _squared_distances(features: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``‖f_i − f_j‖²`` ``(E,)`` float64 of the flat pixel pairs ``(i, j)``, in chunks of
    ``EDGE_CHUNK`` edges (a tile has millions of edges; all at once would cost GBs)."""
    flat = features.reshape(-1, features.shape[-1])
    out = np.empty(len(i), dtype=np.float64)
    for start in range(0, len(i), EDGE_CHUNK):
        stop = start + EDGE_CHUNK
        difference = flat[i[start:stop]].astype(np.float64) - flat[j[start:stop]]
        out[start:stop] = np.einsum("ef,ef->e", difference, difference)
    return out


def edge_scale(features: np.ndarray, mask: np.ndarray, valid: np.ndarray | None = None) -> float:
    """The random walker's edge scale: the median squared feature distance of the
    8-neighbour edges that have a ``mask`` pixel (a training pixel) at one end at least.

    Args:
        features: ``(h, w, F)`` per-pixel features (the classifier's input).
        mask: ``(h, w)`` bool, the pixels whose edges set the scale.
        valid: ``(h, w)`` bool, pixels that may be edge ends (None = all).

    Raises:
        ValueError: no such edge, or all of them of length 0.
    """
    i, j = neighbour_edges(np.ones(mask.shape, dtype=bool) if valid is None else valid)
    flat = mask.ravel()
    touching = flat[i] | flat[j]
    if not touching.any():
        raise ValueError("no pixel edge at the training pixels to scale the graph")
    scale = float(np.median(_squared_distances(features, i[touching], j[touching])))
    if not scale > 0:
        raise ValueError("the pixel edges at the training pixels all have length 0")
    return scale


def random_walker_probabilities(
    proba: np.ndarray,
    valid: np.ndarray,
    features: np.ndarray,
    length: float,
    scale: float,
    sources: np.ndarray | None = None,
) -> np.ndarray:
    """Diffuse class-probability maps over the spectrally weighted pixel graph.

    The graph joins every valid pixel to its valid 8-neighbours with weight
    ``w_ij = exp(-‖f_i − f_j‖² / scale)``. With ``L = D − W`` its Laplacian (``D`` the weighted
    degrees) and ``S`` the diagonal indicator of the source pixels, the output minimises

        Σ_edges w_ij ‖F_i − F_j‖² + β Σ_sources d_i ‖F_i − P_i‖²,   β = 1 / length²,

    i.e. it solves ``(L + β D S) F = β D S P`` (one sparse LU factorisation, all ``K`` classes
    at once). Each source pixel is pulled to its own probabilities with a strength
    proportional to its degree; smoothness spreads them along strong (similar-spectrum) edges.
    ``length`` is the diffusion length in pixels of a homogeneous field (β = 1/ℓ²).

    Args:
        proba: ``(h, w, K)`` class probabilities.
        valid: ``(h, w)`` bool, False for nodata pixels (not in the graph; output 0).
        features: ``(h, w, F)`` per-pixel features that weigh the edges.
        length: diffusion length ``ℓ`` > 0 in pixels.
        scale: edge scale (:func:`edge_scale`), > 0.
        sources: ``(h, w)`` bool, the valid pixels whose probabilities enter (None = all);
            the others (e.g. training pixels) are graph nodes that take their values from
            their neighbours only. A connected part of the graph without any source keeps its
            own probabilities.

    Returns:
        ``(h, w, K)`` float32; rows are convex combinations of source rows, so they stay in
        ``[0, 1]`` and sum to 1 wherever the input rows do.
    """
    import scipy.sparse as sparse
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import splu

    if not length > 0 or not scale > 0:
        raise ValueError(f"random walker needs length > 0 and scale > 0, got {length}, {scale}")
    height, width, classes = proba.shape
    n = height * width
    inside = valid if sources is None else valid & sources
    i, j = neighbour_edges(valid)
    weights = np.exp(-_squared_distances(features, i, j) / scale)
    graph = sparse.coo_matrix(
        (np.r_[weights, weights], (np.r_[i, j], np.r_[j, i])), shape=(n, n)
    ).tocsr()
    graph.eliminate_zeros()
    degree = np.asarray(graph.sum(axis=1)).ravel()
    _, component = connected_components(graph, directed=False)
    has_source = np.zeros(component.max() + 1, dtype=bool)
    has_source[component[inside.ravel()]] = True
    # pixels reached by a source (isolated pixels without edges keep their own values)
    solve = valid.ravel() & has_source[component] & (degree > 0)
    flat = proba.reshape(n, classes).astype(np.float64)
    out = np.where(valid.ravel()[:, None], flat, 0.0)
    if solve.any():
        index = np.flatnonzero(solve)
        prior = (1.0 / length**2) * degree[index] * inside.ravel()[index]
        system = (sparse.diags(degree[index] + prior) - graph[index][:, index]).tocsc()
        rhs = prior[:, None] * flat[index]
        out[index] = splu(system, permc_spec="MMD_AT_PLUS_A").solve(rhs)
    return out.reshape(height, width, classes).astype(np.float32)


def random_walker_reference(
    proba: np.ndarray,
    valid: np.ndarray,
    features: np.ndarray,
    length: float,
    scale: float,
    sources: np.ndarray | None = None,
) -> np.ndarray:
    """Readable dense version of :func:`random_walker_probabilities` for small grids (tests):
    the same energy, its Laplacian built pixel pair by pixel pair and solved densely; every
    connected part of the graph must hold a source."""
    height, width, classes = proba.shape
    n = height * width
    inside = (valid if sources is None else valid & sources).ravel()
    flat_valid = valid.ravel()
    feats = features.reshape(n, -1).astype(np.float64)
    laplacian = np.zeros((n, n))
    for r in range(height):
        for c in range(width):
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    rr, cc = r + dy, c + dx
                    if (dy, dx) == (0, 0) or not (0 <= rr < height and 0 <= cc < width):
                        continue
                    a, b = r * width + c, rr * width + cc
                    if flat_valid[a] and flat_valid[b]:
                        weight = np.exp(-np.sum((feats[a] - feats[b]) ** 2) / scale)
                        laplacian[a, b] -= weight
                        laplacian[a, a] += weight
    degree = np.diag(laplacian).copy()
    prior = np.where(inside, degree / length**2, 0.0)
    keep = np.flatnonzero(flat_valid)
    system = laplacian[np.ix_(keep, keep)] + np.diag(prior[keep])
    rhs = prior[keep, None] * proba.reshape(n, classes)[keep]
    out = np.zeros((n, classes))
    out[keep] = np.linalg.solve(system, rhs)
    return out.reshape(height, width, classes)
