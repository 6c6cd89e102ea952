"""Fully constrained least squares (FCLS) abundance estimation.

For each pixel y (B,) and endmembers E (K, B), FCLS solves
``min_a ½‖aE − y‖²  s.t.  a ≥ 0 (ANC),  Σa = 1 (ASC)`` (Heinz & Chang 2001, IEEE TGRS 39,
"Fully constrained least squares linear spectral mixture analysis").

Solvers:

* :func:`fcls_ref` — the readable reference: per pixel, scipy's Lawson–Hanson NNLS on the
  *augmented* system ``[E^T; δ1^T] a ≈ [y; δ]``; a large δ enforces the sum-to-one row (the
  classic Heinz–Chang trick; the deviation from Σa = 1 shrinks as 1/δ²).
* :func:`fcls_exact` — batched and exact for small K: the optimum is the equality-constrained
  least-squares solution on its support, so every support S (2^K − 1 of them) is solved in
  closed form for all pixels at once (KKT system on the Gram matrix), infeasible (negative)
  solutions are discarded and the feasible one with the smallest residual is kept.
* :func:`fcls_pgd` — batched accelerated projected gradient (FISTA, Beck & Teboulle 2009, with
  adaptive restart), each step projected exactly onto the probability simplex (Duchi et al.
  2008); for large K where enumerating supports is too costly. Approximate (tolerance-driven).
* :func:`fcls` — dispatches: exact for K ≤ 10, FISTA otherwise.

All torch solvers only need the K×K Gram matrix and run on the pixels' device (CUDA included).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import nnls
from torch import Tensor


def fcls_ref(pixels: np.ndarray, endmembers: np.ndarray, delta: float = 1e3) -> np.ndarray:
    """Reference FCLS with augmented NNLS. pixels (N, B), endmembers (K, B) -> (N, K)."""
    pixels = np.asarray(pixels, dtype=np.float64)
    endmembers = np.asarray(endmembers, dtype=np.float64)
    k = endmembers.shape[0]
    scale = delta * max(np.abs(endmembers).max(), 1e-12)
    design = np.vstack([endmembers.T, np.full((1, k), scale)])  # (B+1, K)
    out = np.empty((pixels.shape[0], k))
    for i, y in enumerate(pixels):
        out[i] = nnls(design, np.append(y, scale), maxiter=50 * k)[0]
    return out


def project_simplex(v: Tensor) -> Tensor:
    """Euclidean projection of each row of v (..., K) onto {a ≥ 0, Σa = 1} (Duchi et al. 2008)."""
    k = v.shape[-1]
    u = torch.sort(v, dim=-1, descending=True).values
    cssv = u.cumsum(-1) - 1
    ind = torch.arange(1, k + 1, device=v.device, dtype=v.dtype)
    rho = ((u - cssv / ind) > 0).sum(-1, keepdim=True)  # number of positive entries, ≥ 1
    theta = cssv.gather(-1, rho - 1) / rho.to(v.dtype)
    return torch.clamp(v - theta, min=0)


def _as_tensors(pixels, endmembers) -> tuple[Tensor, Tensor]:
    y = torch.as_tensor(pixels)
    if not y.is_floating_point() or isinstance(pixels, np.ndarray):
        y = y.to(torch.float64)
    e = torch.as_tensor(endmembers, device=y.device, dtype=y.dtype)
    if y.ndim != 2 or e.ndim != 2 or y.shape[1] != e.shape[1]:
        raise ValueError(f"pixels (N, B) and endmembers (K, B) expected, got {y.shape}, {e.shape}")
    return y, e


EXACT_MAX_ENDMEMBERS = 10


def fcls(pixels: Tensor | np.ndarray, endmembers: Tensor | np.ndarray) -> Tensor:
    """FCLS abundances: pixels (N, B), endmembers (K, B) -> (N, K) rows on the simplex.

    Exact support enumeration for K ≤ 10, FISTA beyond. Output is float64 for numpy input,
    else the pixels' dtype, on the pixels' device.
    """
    k = torch.as_tensor(endmembers).shape[0]
    if k <= EXACT_MAX_ENDMEMBERS:
        return fcls_exact(pixels, endmembers)
    return fcls_pgd(pixels, endmembers)


def fcls_exact(pixels: Tensor | np.ndarray, endmembers: Tensor | np.ndarray) -> Tensor:
    """Exact batched FCLS by enumerating supports (see module doc). (N, B), (K, B) -> (N, K)."""
    y, e = _as_tensors(pixels, endmembers)
    compute = torch.float64 if y.dtype != torch.float64 else y.dtype
    gram = (e @ e.T).to(compute)  # (K, K)
    target = (y @ e.T).to(compute)  # (N, K)
    n, k = target.shape
    best = torch.zeros(n, k, dtype=compute, device=y.device)
    best_cost = torch.full((n,), torch.inf, dtype=compute, device=y.device)
    for mask in range(1, 2**k):
        support = [j for j in range(k) if mask >> j & 1]
        g_inv = torch.linalg.pinv(gram[np.ix_(support, support)])
        ones = torch.ones(len(support), dtype=compute, device=y.device)
        b = target[:, support]  # (N, s)
        g_inv_b, g_inv_1 = b @ g_inv.T, g_inv @ ones
        lam = (g_inv_b.sum(-1, keepdim=True) - 1) / g_inv_1.sum()  # Lagrange multiplier of Σa=1
        a = g_inv_b - lam * g_inv_1  # (N, s), sums to one
        cost = ((a @ gram[np.ix_(support, support)]) * a).sum(-1) - 2 * (a * b).sum(-1)
        better = (a.min(-1).values >= -1e-12) & (cost < best_cost - 1e-15)
        if better.any():
            full = torch.zeros(n, k, dtype=compute, device=y.device)
            full[:, support] = a.clamp_min(0)
            best = torch.where(better[:, None], full, best)
            best_cost = torch.where(better, cost, best_cost)
    return best.to(y.dtype)


def fcls_pgd(
    pixels: Tensor | np.ndarray,
    endmembers: Tensor | np.ndarray,
    *,
    max_iter: int = 2000,
    tol: float = 1e-6,
) -> Tensor:
    """Batched FCLS by FISTA with simplex projection. (N, B), (K, B) -> (N, K).

    Args:
        max_iter: iteration cap. tol: stop when the largest abundance change of a step is below it.
    """
    y, e = _as_tensors(pixels, endmembers)
    gram = e @ e.T  # (K, K)
    target = y @ e.T  # (N, K)
    step = 1.0 / torch.linalg.eigvalsh(gram.double()).max().clamp_min(1e-30).item()
    # start from the unconstrained LS solution projected on the simplex
    a = project_simplex(torch.linalg.lstsq(gram, target.T).solution.T)
    z, t = a, 1.0
    for _ in range(max_iter):
        a_next = project_simplex(z - step * (z @ gram - target))
        t_next = (1 + (1 + 4 * t * t) ** 0.5) / 2
        moved = a_next - a
        # adaptive restart (O'Donoghue & Candès 2015): drop momentum when it points uphill
        restart = ((z - a_next) * moved).sum(-1, keepdim=True) > 0
        momentum = torch.where(restart, 0.0, (t - 1) / t_next)
        z = a_next + momentum * moved
        a, t = a_next, t_next
        if moved.abs().max() < tol:
            break
    return a
