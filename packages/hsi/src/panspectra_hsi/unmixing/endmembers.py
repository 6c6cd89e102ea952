"""Geometric endmember extraction: VCA (Nascimento & Dias 2005) and N-FINDR (Winter 1999).

Both assume the linear mixing model ``y = M a + n`` with abundances on the simplex, so the purest
pixels sit at the vertices of the data simplex.

Conventions: ``pixels`` is (N, B) (one spectrum per row); the endmembers returned are (K, B)
spectra *of actual pixels* together with their (K,) pixel indices.

References:
    J. M. P. Nascimento, J. M. Bioucas-Dias, "Vertex component analysis: a fast algorithm to
    unmix hyperspectral data", IEEE TGRS 43(4), 898–910, 2005.
    M. E. Winter, "N-FINDR: an algorithm for fast autonomous spectral end-member determination
    in hyperspectral data", Proc. SPIE 3753, 1999.
"""

from __future__ import annotations

import numpy as np


def _check_pixels(pixels: np.ndarray, num_endmembers: int) -> np.ndarray:
    pixels = np.asarray(pixels, dtype=np.float64)
    if pixels.ndim != 2:
        raise ValueError(f"pixels must be (N, bands), got {pixels.shape}")
    n, bands = pixels.shape
    if not 2 <= num_endmembers <= min(n, bands):
        raise ValueError(f"num_endmembers={num_endmembers} must be in [2, min(N, bands)]")
    if not np.isfinite(pixels).all():
        raise ValueError("pixels contain NaN/inf")
    return pixels


def estimate_snr(pixels: np.ndarray, mean: np.ndarray, projected: np.ndarray) -> float:
    """VCA's SNR estimate (dB) from the data and its projection on the K-dim signal subspace.

    Shapes: pixels (N, B); mean (B,); projected (N, K) centred coordinates.
    """
    n, bands = pixels.shape
    k = projected.shape[1]
    power_y = np.sum(pixels**2) / n
    power_x = np.sum(projected**2) / n + mean @ mean
    noise = max(power_y - power_x, 1e-300)
    return float(10 * np.log10(max(power_x - k / bands * power_y, 1e-300) / noise))


def vca(
    pixels: np.ndarray, num_endmembers: int, *, snr: float | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Vertex component analysis.

    Projects the data onto its K-dim signal subspace (projective projection at high SNR, PCA to
    K-1 dims plus a constant coordinate at low SNR), then picks K times the pixel with the most
    extreme projection on a random direction orthogonal to the endmembers found so far.

    Args:
        pixels: (N, B) spectra. num_endmembers: K.
        snr: signal-to-noise ratio in dB (estimated from the data when None).
        seed: seed of the random directions.

    Returns:
        endmembers (K, B) — the selected pixels' spectra — and their indices (K,).
    """
    Y = _check_pixels(pixels, num_endmembers).T  # (B, N), the paper's layout
    n = Y.shape[1]
    k = num_endmembers
    rng = np.random.default_rng(seed)
    mean = Y.mean(axis=1)
    centred = Y - mean[:, None]
    basis = np.linalg.eigh(centred @ centred.T / n)[1][:, ::-1][:, :k]
    if snr is None:
        snr = estimate_snr(Y.T, mean, (basis.T @ centred).T)
    if snr < 15 + 10 * np.log10(k):  # low SNR: PCA to K-1 dims + constant coordinate
        x = basis[:, : k - 1].T @ centred
        scale = np.sqrt(np.max(np.sum(x**2, axis=0)))
        y = np.vstack([x, np.full((1, n), scale)])
    else:  # high SNR: projective projection onto the hyperplane <u, x> = 1
        basis = np.linalg.eigh(Y @ Y.T / n)[1][:, ::-1][:, :k]
        x = basis.T @ Y
        u = x.mean(axis=1)
        y = x / np.maximum(u @ x, 1e-12)
    indices = np.zeros(k, dtype=np.int64)
    found = np.zeros((k, k))
    found[-1, 0] = 1.0
    for i in range(k):
        w = rng.standard_normal(k)
        f = w - found @ (np.linalg.pinv(found) @ w)
        f /= np.linalg.norm(f)
        indices[i] = int(np.argmax(np.abs(f @ y)))
        found[:, i] = y[:, indices[i]]
    return Y[:, indices].T.copy(), indices


def _pca_reduce(pixels: np.ndarray, dims: int) -> np.ndarray:
    """(N, B) -> (N, dims) principal-component scores (eigenvectors of the B×B covariance)."""
    centred = pixels - pixels.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return centred @ vectors[:, ::-1][:, :dims]


def simplex_volumes_replacing(
    vertices: np.ndarray, position: int, candidates: np.ndarray
) -> np.ndarray:
    """|det| of the simplex matrix with vertex ``position`` replaced by each candidate.

    Shapes: vertices (K, K-1) reduced coordinates; candidates (N, K-1) -> (N,). Uses the
    linearity of the determinant in one column: det = [1, c] · cofactors(position).
    """
    k = vertices.shape[0]
    matrix = np.vstack([np.ones(k), vertices.T])  # (K, K): column j = [1; vertex_j]
    cofactors = np.empty(k)
    rows = np.arange(k)
    others = np.delete(np.arange(k), position)
    for r in rows:
        minor = matrix[np.ix_(np.delete(rows, r), others)]
        cofactors[r] = (-1) ** (r + position) * np.linalg.det(minor)
    augmented = np.hstack([np.ones((candidates.shape[0], 1)), candidates])
    return np.abs(augmented @ cofactors)


def nfindr(
    pixels: np.ndarray, num_endmembers: int, *, max_sweeps: int = 10, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """N-FINDR: the K pixels spanning the simplex of maximum volume in K-1 PCA dimensions.

    Starts from K random pixels and sweeps over the vertices, replacing each by the pixel that
    maximises the volume (all pixels scored at once, see :func:`simplex_volumes_replacing`),
    until a sweep changes nothing or ``max_sweeps`` is reached.

    Returns:
        endmembers (K, B) and their pixel indices (K,).
    """
    pixels = _check_pixels(pixels, num_endmembers)
    k = num_endmembers
    reduced = _pca_reduce(pixels, k - 1)  # (N, K-1)
    rng = np.random.default_rng(seed)
    indices = rng.choice(len(pixels), size=k, replace=False)
    for _ in range(max_sweeps):
        changed = False
        for position in range(k):
            volumes = simplex_volumes_replacing(reduced[indices], position, reduced)
            best = int(np.argmax(volumes))
            if volumes[best] > volumes[indices[position]] * (1 + 1e-12) and best not in indices:
                indices[position] = best
                changed = True
        if not changed:
            break
    return pixels[indices].copy(), indices.astype(np.int64)
