"""One entry point for every unmixing method: endmembers + abundances for a pixel matrix.

``unmix(pixels (N, B), K, method)`` with method

* ``"vca"`` — VCA endmembers, FCLS abundances;
* ``"nfindr"`` — N-FINDR endmembers, FCLS abundances;
* ``"autoencoder"`` — VCA-initialised autoencoder; abundances from its softmax encoder.

VCA and N-FINDR depend on random draws (VCA's projection directions, N-FINDR's starting
set) and can miss an endmember; with ``restarts > 1`` they run with seeds ``seed, seed + 1,
…`` and the run with the lowest reconstruction RMSE (pixels vs FCLS abundances @ endmembers)
is kept; the autoencoder starts from the best VCA restart.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .abundances import fcls
from .autoencoder import fit_autoencoder
from .endmembers import nfindr, vca

log = logging.getLogger("panspectra.hsi.unmix")

METHODS = ("vca", "nfindr", "autoencoder")
STUCK_CHANGE = 1e-3
"""Below this relative endmember change the autoencoder is reported as stuck at its start..."""
UNSCALED_MAX = 1.5
"""... when the data exceed this maximum (not reflectance in [0, 1]): Adam moves each decoder
weight by about ``decoder_lr`` per step whatever its size, so endmembers of raw counts
(thousands) stay where VCA put them."""


@dataclass
class UnmixingResult:
    """endmembers (K, B); abundances (N, K); indices (K,) of the pure pixels (None for the
    autoencoder); seconds of compute; reconstruction_rmse = RMSE of pixels vs abundances @ E;
    restart_rmse: reconstruction RMSE of each geometric restart (the kept one is the minimum);
    warnings: things a user must know (e.g. an autoencoder stuck at its start)."""

    method: str
    endmembers: np.ndarray
    abundances: np.ndarray
    indices: np.ndarray | None
    seconds: float
    reconstruction_rmse: float
    restart_rmse: list[float] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _rmse(pixels: np.ndarray, abundances: np.ndarray, endmembers: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pixels - abundances @ endmembers) ** 2)))


def best_geometric(
    pixels: np.ndarray,
    num_endmembers: int,
    method: str,
    *,
    seed: int,
    restarts: int,
    device: torch.device | str | None = None,
    with_abundances: bool = True,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, list[float]]:
    """VCA or N-FINDR + FCLS ``restarts`` times (seeds ``seed + i``); the lowest
    reconstruction RMSE wins. Returns (endmembers (K, B), abundances (N, K), indices (K,),
    RMSE of every restart); a single run without ``with_abundances`` skips FCLS (abundances
    None, no RMSE)."""
    extract = vca if method == "vca" else nfindr
    data = torch.as_tensor(pixels, device=device)
    best, scores = None, []
    for offset in range(restarts):
        endmembers, indices = extract(pixels, num_endmembers, seed=seed + offset)
        if restarts == 1 and not with_abundances:  # nothing to compare: skip FCLS
            return endmembers, None, indices, []
        abundances = fcls(data, endmembers).cpu().numpy()
        scores.append(_rmse(pixels, abundances, endmembers))
        if best is None or scores[-1] < best[3]:
            best = (endmembers, abundances, indices, scores[-1])
    return best[0], best[1], best[2], scores


def unmix(
    pixels: np.ndarray,
    num_endmembers: int,
    method: str = "vca",
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    ae_epochs: int = 30,
    ae_loss: str = "sad",
    restarts: int = 1,
) -> UnmixingResult:
    """Unmix pixels (N, B) into ``num_endmembers`` endmembers with ``method`` (see module doc)."""
    if method not in METHODS:
        raise ValueError(f"unknown unmixing method {method!r} (known: {', '.join(METHODS)})")
    if restarts < 1:
        raise ValueError(f"restarts={restarts}: expected >= 1")
    pixels = np.asarray(pixels, dtype=np.float64)
    start = time.perf_counter()
    geometric = "vca" if method == "autoencoder" else method
    endmembers, abundances, indices, scores = best_geometric(
        pixels,
        num_endmembers,
        geometric,
        seed=seed,
        restarts=restarts,
        device=device,
        with_abundances=method != "autoencoder",
    )
    warnings = []
    if method == "autoencoder":
        fitted = fit_autoencoder(
            pixels,
            num_endmembers,
            seed=seed,
            device=device,
            epochs=ae_epochs,
            loss=ae_loss,
            init=endmembers,
        )
        endmembers, abundances, indices = fitted.endmembers, fitted.abundances, None
        change = fitted.endmember_change
        if change is not None and change < STUCK_CHANGE and pixels.max() > UNSCALED_MAX:
            warnings.append(
                f"the autoencoder's endmembers moved by only {change:.1e} "
                f"(relative) from their VCA start; the data look unscaled (maximum "
                f"{pixels.max():.4g}): scale them to reflectance with --max-value"
            )
    for message in warnings:
        log.warning("%s", message)
    return UnmixingResult(
        method=method,
        endmembers=endmembers,
        abundances=abundances,
        indices=indices,
        seconds=time.perf_counter() - start,
        reconstruction_rmse=_rmse(pixels, abundances, endmembers),
        restart_rmse=scores,
        warnings=warnings,
    )
