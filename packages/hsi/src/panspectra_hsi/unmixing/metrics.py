"""Unmixing metrics after matching estimated to reference endmembers.

* spectral angle distance, SAD(e, m) = arccos(<e, m> / (‖e‖‖m‖)) in radians (scale invariant);
* abundance RMSE = sqrt(mean over pixels of (â − a)²), per endmember and over all of them.

Estimated endmembers come in arbitrary order, so they are first matched one-to-one to the
reference by the Hungarian algorithm on the SAD matrix (Kuhn 1955;
:func:`scipy.optimize.linear_sum_assignment`), and the abundances are permuted the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


def spectral_angles(estimated: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Pairwise SAD (radians): estimated (K, B), reference (R, B) -> (K, R)."""
    est = np.asarray(estimated, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    norms = np.linalg.norm(est, axis=1)[:, None] * np.linalg.norm(ref, axis=1)[None, :]
    cosine = (est @ ref.T) / np.maximum(norms, 1e-300)
    return np.arccos(np.clip(cosine, -1.0, 1.0))


def match_endmembers(estimated: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Permutation ``order`` (K,) with estimated[order[r]] matched to reference[r] (min total SAD).

    Requires K ≥ R estimated endmembers; the unmatched extra ones are ignored.
    """
    angles = spectral_angles(estimated, reference)  # (K, R)
    if angles.shape[0] < angles.shape[1]:
        raise ValueError(f"{angles.shape[0]} estimated endmembers for {angles.shape[1]} references")
    est_idx, ref_idx = linear_sum_assignment(angles)
    order = np.empty(angles.shape[1], dtype=np.int64)
    order[ref_idx] = est_idx
    return order


@dataclass(frozen=True)
class UnmixingScores:
    """Matched scores. sad/rmse: per reference endmember; order: matched estimate per reference."""

    sad: np.ndarray
    rmse: np.ndarray | None
    order: np.ndarray

    @property
    def mean_sad(self) -> float:
        return float(self.sad.mean())

    @property
    def total_rmse(self) -> float | None:
        """RMSE over all pixels and endmembers (sqrt of the mean of the per-endmember MSEs)."""
        return None if self.rmse is None else float(np.sqrt(np.mean(self.rmse**2)))

    def to_dict(self, names: list[str] | None = None) -> dict:
        names = names or [f"endmember_{i}" for i in range(len(self.sad))]
        out = {
            "sad": {n: float(v) for n, v in zip(names, self.sad)},
            "mean_sad": self.mean_sad,
            "matched_order": self.order.tolist(),
        }
        if self.rmse is not None:
            out["rmse"] = {n: float(v) for n, v in zip(names, self.rmse)}
            out["mean_rmse"] = self.total_rmse
        return out


def score_unmixing(
    endmembers: np.ndarray,
    reference_endmembers: np.ndarray,
    abundances: np.ndarray | None = None,
    reference_abundances: np.ndarray | None = None,
) -> UnmixingScores:
    """Match endmembers (K, B) to the reference (R, B), then SAD per reference endmember and,
    when both abundance sets are given ((N, K) and (N, R)), abundance RMSE per endmember."""
    order = match_endmembers(endmembers, reference_endmembers)
    sad = spectral_angles(np.asarray(endmembers)[order], reference_endmembers).diagonal().copy()
    rmse = None
    if abundances is not None and reference_abundances is not None:
        est = np.asarray(abundances, dtype=np.float64)[:, order]
        ref = np.asarray(reference_abundances, dtype=np.float64)
        if est.shape != ref.shape:
            raise ValueError(f"abundance shapes differ: {est.shape} vs {ref.shape}")
        rmse = np.sqrt(np.mean((est - ref) ** 2, axis=0))
    return UnmixingScores(sad=sad, rmse=rmse, order=order)
