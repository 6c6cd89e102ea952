"""Inverse of a batch of small unit lower triangular matrices ``(I + N)⁻¹`` (N strictly lower).

Used by the delta rule's UT transform (Yang et al. 2024, arXiv:2406.06484), where thousands of
64 × 64 systems are solved per call. ``torch.linalg.solve_triangular`` solves them one LAPACK call
at a time, which dominates the run time on CPU; this routine uses the recursive block formula
(as LAPACK's TRTRI does)

    [[A, 0], [C, D]]⁻¹ = [[A⁻¹, 0], [−D⁻¹ C A⁻¹, D⁻¹]],

batching both diagonal halves of every matrix together, so one level costs two batched matmuls;
blocks of ≤ 8 rows use row-by-row forward substitution. All ops are differentiable.
Reference: :func:`unit_lower_triangular_inverse_ref` (LAPACK triangular solve).
"""

from __future__ import annotations

import torch
from torch import Tensor

BASE_BLOCK = 8


def unit_lower_triangular_inverse_ref(strictly_lower: Tensor) -> Tensor:
    """Reference: ``solve_triangular(I + N, I)``. strictly_lower: (..., n, n) -> (..., n, n)."""
    n = strictly_lower.shape[-1]
    eye = torch.eye(n, dtype=strictly_lower.dtype, device=strictly_lower.device)
    return torch.linalg.solve_triangular(
        strictly_lower, eye.expand_as(strictly_lower), upper=False, unitriangular=True
    )


def _forward_substitution_inverse(strictly_lower: Tensor) -> Tensor:
    """Row i of T = (I + N)⁻¹ is ``e_i − N[i, :i] T[:i]``; (..., n, n) -> (..., n, n)."""
    n = strictly_lower.shape[-1]
    eye = torch.eye(n, dtype=strictly_lower.dtype, device=strictly_lower.device)
    eye = eye.expand_as(strictly_lower)
    rows = [eye[..., 0, :]]
    for i in range(1, n):
        previous = torch.stack(rows, dim=-2)  # (..., i, n)
        rows.append(eye[..., i, :] - (strictly_lower[..., i : i + 1, :i] @ previous).squeeze(-2))
    return torch.stack(rows, dim=-2)


def unit_lower_triangular_inverse(strictly_lower: Tensor) -> Tensor:
    """``(I + N)⁻¹`` for N: (..., n, n) strictly lower triangular (the upper part and diagonal of
    the input are ignored). Returns (..., n, n), unit lower triangular."""
    return _block_inverse(strictly_lower.tril(-1))


def _block_inverse(strictly_lower: Tensor) -> Tensor:
    n = strictly_lower.shape[-1]
    if n <= BASE_BLOCK:
        return _forward_substitution_inverse(strictly_lower)
    h = n // 2
    # both diagonal blocks (sizes h and n - h) inverted in one recursive call when equal-sized
    if n - h == h:
        diag_blocks = torch.stack((strictly_lower[..., :h, :h], strictly_lower[..., h:, h:]))
        inv_top, inv_bottom = _block_inverse(diag_blocks).unbind(0)
    else:
        inv_top = _block_inverse(strictly_lower[..., :h, :h])
        inv_bottom = _block_inverse(strictly_lower[..., h:, h:])
    lower_left = -(inv_bottom @ (strictly_lower[..., h:, :h] @ inv_top))
    top = torch.cat((inv_top, torch.zeros_like(strictly_lower[..., :h, h:])), dim=-1)
    bottom = torch.cat((lower_left, inv_bottom), dim=-1)
    return torch.cat((top, bottom), dim=-2)
