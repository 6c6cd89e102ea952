"""Parameter-free Fourier token mixing (FNet; Lee-Thorp et al. 2022, "FNet: Mixing Tokens with
Fourier Transforms", NAACL 2022, arXiv:2105.03824).

The attention sub-layer is replaced by ``Re(FFT_seq(FFT_hidden(x)))``: a 2D discrete Fourier
transform over the sequence and hidden dimensions, keeping the real part.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

_HALF_DTYPES = (torch.float16, torch.bfloat16)


def fnet_mixing(x: Tensor) -> Tensor:
    """FNet mixing ``Re(FFT2(x))`` over the last two dimensions (fast path, ``torch.fft.fft2``).

    Args:
        x: (batch, L, dim) real tensor (any leading dimensions are allowed).

    Returns:
        (batch, L, dim), same dtype as ``x``. Half precision is computed in float32.
    """
    compute = torch.float32 if x.dtype in _HALF_DTYPES else x.dtype
    return torch.fft.fft2(x.to(compute), dim=(-2, -1)).real.to(x.dtype)


def _dft_matrix(n: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """Unnormalised DFT matrix ``W[k, m] = exp(-2πi k m / n)``, shape (n, n), complex."""
    idx = torch.arange(n, dtype=torch.float64, device=device)
    angle = -2.0 * math.pi * torch.outer(idx, idx) / n
    return torch.polar(torch.ones_like(angle), angle).to(dtype)


def fnet_mixing_ref(x: Tensor) -> Tensor:
    """Reference for :func:`fnet_mixing` with explicit DFT matrices: ``Re(W_L · x · W_D)``.

    O(L²·D + L·D²); for tests only. Args/returns as :func:`fnet_mixing`.
    """
    complex_dtype = torch.complex128 if x.dtype == torch.float64 else torch.complex64
    w_seq = _dft_matrix(x.shape[-2], complex_dtype, x.device)
    w_hidden = _dft_matrix(x.shape[-1], complex_dtype, x.device)
    xc = x.to(complex_dtype)
    return (w_seq @ xc @ w_hidden).real.to(x.dtype)  # W_D is symmetric, so x·W_D = DFT over D


class FNetMixing(nn.Module):
    """FNet token-mixing layer (drop-in for self-attention; no parameters).

    Input (batch, L, dim) → output (batch, L, dim) = ``Re(FFT_L(FFT_dim(x)))``.
    Not causal: every output token depends on every input token.
    """

    def forward(self, x: Tensor) -> Tensor:
        return fnet_mixing(x)
