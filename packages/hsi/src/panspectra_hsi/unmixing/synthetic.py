"""Synthetic linear mixtures with known endmembers and abundances (for tests and demos).

Endmembers are smooth positive random spectra (sums of Gaussian bumps); abundances are drawn
from a Dirichlet distribution, and the first K pixels are made pure so the simplex vertices are
present in the data (the pure-pixel assumption of VCA / N-FINDR).
"""

from __future__ import annotations

import numpy as np


def random_endmembers(num_endmembers: int, bands: int, rng: np.random.Generator) -> np.ndarray:
    """(K, B) smooth spectra in (0.05, 1]."""
    grid = np.linspace(0, 1, bands)
    spectra = np.full((num_endmembers, bands), 0.05)
    for k in range(num_endmembers):
        for _ in range(3):
            centre, width, height = rng.uniform(0, 1), rng.uniform(0.05, 0.3), rng.uniform(0.2, 1)
            spectra[k] += height * np.exp(-0.5 * ((grid - centre) / width) ** 2)
    return spectra / spectra.max(axis=1, keepdims=True)


def synthetic_mixture(
    num_pixels: int = 2000,
    num_endmembers: int = 3,
    bands: int = 50,
    *,
    noise_std: float = 0.0,
    concentration: float = 0.5,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns pixels (N, B), endmembers (K, B), abundances (N, K) with pixels = A E + noise."""
    rng = np.random.default_rng(seed)
    endmembers = random_endmembers(num_endmembers, bands, rng)
    abundances = rng.dirichlet(np.full(num_endmembers, concentration), size=num_pixels)
    abundances[:num_endmembers] = np.eye(num_endmembers)
    pixels = abundances @ endmembers + noise_std * rng.standard_normal((num_pixels, bands))
    return pixels, endmembers, abundances
