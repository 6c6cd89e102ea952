"""One entry point for every unmixing method: endmembers + abundances for a pixel matrix.

``unmix(pixels (N, B), K, method)`` with method

* ``"vca"`` — VCA endmembers, FCLS abundances;
* ``"nfindr"`` — N-FINDR endmembers, FCLS abundances;
* ``"autoencoder"`` — VCA-initialised autoencoder; abundances from its softmax encoder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from .abundances import fcls
from .autoencoder import fit_autoencoder
from .endmembers import nfindr, vca

METHODS = ("vca", "nfindr", "autoencoder")


@dataclass
class UnmixingResult:
    """endmembers (K, B); abundances (N, K); indices (K,) of the pure pixels (None for the
    autoencoder); seconds of compute; reconstruction_rmse = RMSE of pixels vs abundances @ E."""

    method: str
    endmembers: np.ndarray
    abundances: np.ndarray
    indices: np.ndarray | None
    seconds: float
    reconstruction_rmse: float


def unmix(
    pixels: np.ndarray,
    num_endmembers: int,
    method: str = "vca",
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    ae_epochs: int = 30,
    ae_loss: str = "sad",
) -> UnmixingResult:
    """Unmix pixels (N, B) into ``num_endmembers`` endmembers with ``method`` (see module doc)."""
    if method not in METHODS:
        raise ValueError(f"unknown unmixing method {method!r} (known: {', '.join(METHODS)})")
    pixels = np.asarray(pixels, dtype=np.float64)
    start = time.perf_counter()
    indices = None
    if method == "autoencoder":
        fitted = fit_autoencoder(
            pixels, num_endmembers, seed=seed, device=device, epochs=ae_epochs, loss=ae_loss
        )
        endmembers, abundances = fitted.endmembers, fitted.abundances
    else:
        extract = vca if method == "vca" else nfindr
        endmembers, indices = extract(pixels, num_endmembers, seed=seed)
        data = torch.as_tensor(pixels, device=device)
        abundances = fcls(data, endmembers).cpu().numpy()
    seconds = time.perf_counter() - start
    residual = pixels - abundances @ endmembers
    return UnmixingResult(
        method=method,
        endmembers=endmembers,
        abundances=abundances,
        indices=indices,
        seconds=seconds,
        reconstruction_rmse=float(np.sqrt(np.mean(residual**2))),
    )
