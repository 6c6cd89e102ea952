"""Orthonormal DCT-II / DCT-III along the last dimension, computed with one length-N FFT.

Makhoul 1980, "A fast cosine transform in one and two dimensions", IEEE Trans. ASSP 28(1).
Normalisation matches ``scipy.fft.dct(x, type=2, norm="ortho")``:

    X[k] = f_k · 2 Σ_n x[n] cos(π k (2n + 1) / (2N)),   f_0 = √(1/(4N)), f_k = √(1/(2N))

The orthonormal DCT-III is the inverse (and transpose) of the orthonormal DCT-II.

Makhoul's reordering: ``v = [x0, x2, x4, ..., x5, x3, x1]`` (even samples, then odd samples
reversed) gives ``Σ_n x[n] cos(πk(2n+1)/(2N)) = Re(exp(-iπk/(2N)) · FFT(v)[k])``. The inverse
rebuilds ``FFT(v)[k] = exp(iπk/(2N)) · (X̃[k] - i X̃[N-k])`` (with ``X̃[N] = 0``) from the
unnormalised coefficients ``X̃`` and undoes the reordering.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_HALF_DTYPES = (torch.float16, torch.bfloat16)


def _compute_dtype(x: Tensor) -> torch.dtype:
    return torch.float32 if x.dtype in _HALF_DTYPES else x.dtype


def _ortho_scale(n: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """Per-coefficient factors ``2 f_k``: ``√(1/N)`` for k = 0, ``√(2/N)`` otherwise; (N,)."""
    scale = torch.full((n,), math.sqrt(2.0 / n), dtype=dtype, device=device)
    scale[0] = math.sqrt(1.0 / n)
    return scale


def _twiddle(n: int, sign: float, dtype: torch.dtype, device: torch.device) -> Tensor:
    """``exp(sign · iπk/(2N))`` for k = 0..N-1, complex (N,)."""
    angle = sign * math.pi * torch.arange(n, dtype=dtype, device=device) / (2 * n)
    return torch.polar(torch.ones_like(angle), angle)


def _dct2_ortho(x: Tensor) -> Tensor:
    n = x.shape[-1]
    compute = _compute_dtype(x)
    xc = x.to(compute)
    v = torch.cat((xc[..., ::2], xc[..., 1::2].flip(-1)), dim=-1)
    spectrum = torch.fft.fft(v, dim=-1)
    unnormalised = (spectrum * _twiddle(n, -1.0, compute, x.device)).real
    return (unnormalised * _ortho_scale(n, compute, x.device)).to(x.dtype)


def _dct3_ortho(x: Tensor) -> Tensor:
    """Inverse of :func:`_dct2_ortho` (orthonormal DCT-III)."""
    n = x.shape[-1]
    compute = _compute_dtype(x)
    unnormalised = x.to(compute) / _ortho_scale(n, compute, x.device)  # X̃[k]
    # X̃[N - k] for k = 0..N-1, with X̃[N] = 0
    mirrored = torch.cat(
        (torch.zeros_like(unnormalised[..., :1]), unnormalised[..., 1:].flip(-1)), -1
    )
    spectrum = torch.complex(unnormalised, -mirrored) * _twiddle(n, 1.0, compute, x.device)
    v = torch.fft.irfft(spectrum[..., : n // 2 + 1], n=n, dim=-1)
    out = torch.empty_like(v)
    out[..., ::2] = v[..., : (n + 1) // 2]
    out[..., 1::2] = v[..., (n + 1) // 2 :].flip(-1)
    return out.to(x.dtype)


def dct(x: Tensor, type: int = 2) -> Tensor:
    """Orthonormal DCT along the last dimension (FFT-based, O(N log N)).

    Args:
        x: (..., N) real tensor.
        type: 2 (DCT-II, the "forward" DCT) or 3 (DCT-III, its inverse).

    Returns:
        (..., N), same dtype as ``x`` (half precision computed in float32). Equals
        ``scipy.fft.dct(x, type=type, norm="ortho")``.
    """
    if type == 2:
        return _dct2_ortho(x)
    if type == 3:
        return _dct3_ortho(x)
    raise NotImplementedError(f"only DCT types 2 and 3 are implemented, got type={type}")


def idct(x: Tensor, type: int = 2) -> Tensor:
    """Inverse of :func:`dct` of the same ``type``: ``idct(dct(x, t), t) == x``.

    ``idct(·, type=2)`` is the orthonormal DCT-III, ``idct(·, type=3)`` the DCT-II; equals
    ``scipy.fft.idct(x, type=type, norm="ortho")``. Shapes as :func:`dct`.
    """
    return dct(x, type=3 if type == 2 else 2 if type == 3 else type)


def dct_matrix(n: int, dtype: torch.dtype = torch.float64, device=None) -> Tensor:
    """Orthonormal DCT-II matrix ``C`` (N, N) from the definition: ``dct(x) == x @ C.T``.

    ``C[k, n] = 2 f_k cos(π k (2n + 1) / (2N))``; ``C @ C.T == I``, so the DCT-III is ``C.T``.
    """
    k = torch.arange(n, dtype=torch.float64, device=device)[:, None]
    i = torch.arange(n, dtype=torch.float64, device=device)[None, :]
    basis = torch.cos(math.pi * k * (2 * i + 1) / (2 * n))
    return (basis * _ortho_scale(n, torch.float64, device)[:, None]).to(dtype)


def dct_ref(x: Tensor, type: int = 2) -> Tensor:
    """Readable O(N²) reference for :func:`dct` (matrix product with :func:`dct_matrix`)."""
    c = dct_matrix(x.shape[-1], x.dtype, x.device)
    if type == 2:
        return x @ c.T
    if type == 3:
        return x @ c
    raise NotImplementedError(f"only DCT types 2 and 3 are implemented, got type={type}")
