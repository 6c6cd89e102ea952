"""Orthonormal Haar discrete wavelet transform, 1D (last dim) and 2D (last two dims), multi-level.

Haar (1910); the multi-level pyramid is Mallat's algorithm (Mallat 1989, "A theory for
multiresolution signal decomposition: the wavelet representation", IEEE TPAMI 11(7)). Used as a
lossless token down-sampler in wavelet transformers (e.g. Wave-ViT, Yao et al. 2022).

One analysis step on pairs ``(a, b) = (x[2k], x[2k+1])`` gives

    approximation ``cA[k] = (a + b) / √2``,  detail ``cD[k] = (a - b) / √2``

which is the sign convention of PyWavelets' ``"haar"`` wavelet. The transform is orthonormal, so
it preserves energy (Parseval: ``Σ x² == Σ over all coefficients²``) and its inverse is its
transpose.

Coefficient layout (the same as ``pywt.wavedec`` / ``pywt.wavedec2``):

- :func:`haar_dwt` returns the list ``[cA_n, cD_n, cD_{n-1}, ..., cD_1]`` — coarsest approximation
  first, then details from coarsest (level n, length L / 2**n) to finest (level 1, length L / 2).
- :func:`haar_dwt2d` returns ``[LL_n, (LH_n, HL_n, HH_n), ..., (LH_1, HL_1, HH_1)]``. The first
  letter is the filter along the width (last dim), the second along the height (dim -2):
  ``LH`` = low-pass along W, high-pass along H (pywt's horizontal detail ``cH``),
  ``HL`` = high-pass along W, low-pass along H (pywt's vertical detail ``cV``),
  ``HH`` = high-pass along both (pywt's diagonal detail ``cD``).

Lengths must be divisible by ``2**levels`` (no boundary extension), which makes the round trip
exact.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_INV_SQRT2 = 1.0 / math.sqrt(2.0)


def _check_divisible(size: int, levels: int, what: str) -> None:
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    if size % (2**levels):
        raise ValueError(f"{what} {size} is not divisible by 2**levels = {2**levels}")


def _analysis_step(x: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """One Haar analysis step along negative ``dim``: size N → two tensors of size N/2 there."""
    pairs = x.unflatten(dim, (x.shape[dim] // 2, 2))  # the pair axis lands at position ``dim``
    a, b = pairs.unbind(dim)
    return (a + b) * _INV_SQRT2, (a - b) * _INV_SQRT2


def _synthesis_step(approx: Tensor, detail: Tensor, dim: int) -> Tensor:
    """Inverse of :func:`_analysis_step`: interleave ``(cA + cD)/√2`` and ``(cA - cD)/√2``."""
    a = (approx + detail) * _INV_SQRT2
    b = (approx - detail) * _INV_SQRT2
    return torch.stack((a, b), dim=dim).flatten(dim - 1, dim)


def haar_dwt(x: Tensor, levels: int = 1) -> list[Tensor]:
    """Multi-level orthonormal Haar DWT along the last dimension.

    Args:
        x: (..., L) real tensor, L divisible by ``2**levels``.
        levels: number of decomposition levels n >= 1.

    Returns:
        ``[cA_n, cD_n, ..., cD_1]`` with shapes ``(..., L/2**n), (..., L/2**n), ...,
        (..., L/2)`` (module docstring: layout and sign convention, as ``pywt.wavedec``).
    """
    _check_divisible(x.shape[-1], levels, "length")
    details: list[Tensor] = []
    approx = x
    for _ in range(levels):
        approx, detail = _analysis_step(approx, dim=-1)
        details.append(detail)
    return [approx, *reversed(details)]


def haar_idwt(coeffs: list[Tensor] | tuple[Tensor, ...]) -> Tensor:
    """Inverse of :func:`haar_dwt`: ``haar_idwt(haar_dwt(x, n)) == x``.

    Args:
        coeffs: ``[cA_n, cD_n, ..., cD_1]`` as returned by :func:`haar_dwt`.

    Returns:
        (..., L) with ``L = 2 * coeffs[-1].shape[-1]``.
    """
    approx = coeffs[0]
    for detail in coeffs[1:]:
        approx = _synthesis_step(approx, detail, dim=-1)
    return approx


def haar_dwt2d(x: Tensor, levels: int = 1) -> list:
    """Multi-level orthonormal separable 2D Haar DWT over the last two dimensions.

    Args:
        x: (..., H, W) real tensor, H and W divisible by ``2**levels``.
        levels: number of decomposition levels n >= 1.

    Returns:
        ``[LL_n, (LH_n, HL_n, HH_n), ..., (LH_1, HL_1, HH_1)]`` where level-j bands have shape
        (..., H / 2**j, W / 2**j) (module docstring: band naming, as ``pywt.wavedec2``).
    """
    _check_divisible(x.shape[-2], levels, "height")
    _check_divisible(x.shape[-1], levels, "width")
    details: list[tuple[Tensor, Tensor, Tensor]] = []
    ll = x
    for _ in range(levels):
        low_w, high_w = _analysis_step(ll, dim=-1)
        ll, lh = _analysis_step(low_w, dim=-2)
        hl, hh = _analysis_step(high_w, dim=-2)
        details.append((lh, hl, hh))
    return [ll, *reversed(details)]


def haar_idwt2d(coeffs: list | tuple) -> Tensor:
    """Inverse of :func:`haar_dwt2d`: ``haar_idwt2d(haar_dwt2d(x, n)) == x``.

    Args:
        coeffs: ``[LL_n, (LH_n, HL_n, HH_n), ..., (LH_1, HL_1, HH_1)]``.

    Returns:
        (..., H, W) with ``(H, W)`` twice the spatial size of the finest detail bands.
    """
    ll = coeffs[0]
    for lh, hl, hh in coeffs[1:]:
        low_w = _synthesis_step(ll, lh, dim=-2)
        high_w = _synthesis_step(hl, hh, dim=-2)
        ll = _synthesis_step(low_w, high_w, dim=-1)
    return ll


def haar_matrix(n: int, dtype: torch.dtype = torch.float64, device=None) -> Tensor:
    """One-level orthonormal Haar analysis matrix ``M`` (n, n), n even: ``M @ x = [cA; cD]``.

    Row k < n/2 averages ``x[2k], x[2k+1]``; row n/2 + k differences them; ``M @ M.T == I``.
    """
    if n % 2:
        raise ValueError(f"Haar matrix needs an even size, got {n}")
    m = torch.zeros(n, n, dtype=dtype, device=device)
    half = n // 2
    for k in range(half):
        m[k, 2 * k] = m[k, 2 * k + 1] = _INV_SQRT2
        m[half + k, 2 * k] = _INV_SQRT2
        m[half + k, 2 * k + 1] = -_INV_SQRT2
    return m


def haar_dwt_ref(x: Tensor, levels: int = 1) -> list[Tensor]:
    """Readable reference for :func:`haar_dwt`: repeated multiplication by :func:`haar_matrix`."""
    _check_divisible(x.shape[-1], levels, "length")
    details: list[Tensor] = []
    approx = x
    for _ in range(levels):
        n = approx.shape[-1]
        out = approx @ haar_matrix(n, x.dtype, x.device).T
        approx, detail = out[..., : n // 2], out[..., n // 2 :]
        details.append(detail)
    return [approx, *reversed(details)]


def haar_dwt2d_ref(x: Tensor, levels: int = 1) -> list:
    """Readable reference for :func:`haar_dwt2d`: ``M_H @ X @ M_W.T`` per level, then quadrants."""
    details: list[tuple[Tensor, Tensor, Tensor]] = []
    ll = x
    for _ in range(levels):
        h, w = ll.shape[-2:]
        out = haar_matrix(h, x.dtype, x.device) @ ll @ haar_matrix(w, x.dtype, x.device).T
        top, bottom = out[..., : h // 2, :], out[..., h // 2 :, :]  # low / high along H
        ll, hl = top[..., : w // 2], top[..., w // 2 :]
        lh, hh = bottom[..., : w // 2], bottom[..., w // 2 :]
        details.append((lh, hl, hh))
    return [ll, *reversed(details)]
