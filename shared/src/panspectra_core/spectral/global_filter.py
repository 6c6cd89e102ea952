"""Learnable global filters in the Fourier domain (GFNet; Rao et al. 2021, "Global Filter
Networks for Image Classification", NeurIPS 2021, arXiv:2107.00645; also the spectral gating
block of SpectFormer, Patro et al. 2023, arXiv:2304.06446).

``y = irfft(W ⊙ rfft(x))`` along the token axes, with a learnable complex weight ``W`` per
frequency and channel (stored as a real tensor whose last axis holds (real, imag), so optimisers
and checkpoints only ever see real parameters). By the convolution theorem this equals the
*circular* convolution of ``x`` with the real spatial kernel ``irfft(W)`` (see
:meth:`GlobalFilter1d.spatial_kernel`); with the ``"ortho"`` norm on both transforms the
normalisations cancel, exactly as in GFNet.
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn

_HALF_DTYPES = (torch.float16, torch.bfloat16)


def _compute_dtype(x: Tensor) -> torch.dtype:
    return torch.float32 if x.dtype in _HALF_DTYPES else x.dtype


def circular_conv_ref(x: Tensor, kernel: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Direct circular convolution ``y[n] = Σ_m kernel[m] · x[(n - m) mod N]`` over ``dims``.

    Readable reference (a loop over kernel offsets with ``torch.roll``), for tests.

    Args:
        x: (batch, *token_dims, channels).
        kernel: (*token_dims, channels), one kernel per channel.
        dims: the token dimensions of ``x`` (e.g. ``(1,)`` or ``(1, 2)``).
    """
    out = torch.zeros_like(x)
    for shift in itertools.product(*[range(x.shape[d]) for d in dims]):
        out = out + kernel[shift] * torch.roll(x, shifts=shift, dims=dims)  # kernel[shift]: (C,)
    return out


class GlobalFilter1d(nn.Module):
    """GFNet global filter over a sequence of tokens.

    Args:
        seq_len: number of tokens L (the filter has L // 2 + 1 frequencies, so L is fixed).
        dim: channels.
        init_std: std of the random normal initialisation of the filter (GFNet uses 0.02).

    Shapes: (batch, L, dim) → (batch, L, dim). Not causal (circular mixing over all tokens).
    """

    def __init__(self, seq_len: int, dim: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.seq_len = seq_len
        self.dim = dim
        self.complex_weight = nn.Parameter(torch.randn(seq_len // 2 + 1, dim, 2) * init_std)

    def spatial_kernel(self) -> Tensor:
        """The equivalent real circular-convolution kernel ``irfft(W)``, shape (L, dim)."""
        weight = torch.view_as_complex(self.complex_weight)
        return torch.fft.irfft(weight, n=self.seq_len, dim=0)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-2] != self.seq_len or x.shape[-1] != self.dim:
            raise ValueError(
                f"expected (..., {self.seq_len}, {self.dim}) tokens, got {tuple(x.shape)}"
            )
        compute = _compute_dtype(x)
        freq = torch.fft.rfft(x.to(compute), dim=-2, norm="ortho")
        weight = torch.view_as_complex(self.complex_weight.to(compute))
        return torch.fft.irfft(freq * weight, n=self.seq_len, dim=-2, norm="ortho").to(x.dtype)


class GlobalFilter2d(nn.Module):
    """GFNet global filter over an (H, W) grid of tokens (2D rfft over height and width).

    Args:
        height, width: token grid size (fixed; the filter is (H, W // 2 + 1) per channel).
        dim: channels.
        init_std: std of the random normal initialisation of the filter (GFNet uses 0.02).

    Shapes: (batch, H, W, dim) → (batch, H, W, dim); flattened tokens (batch, H·W, dim) are also
    accepted (row-major, as produced by ``PatchEmbed2d``) and returned flattened.
    """

    def __init__(self, height: int, width: int, dim: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.height, self.width, self.dim = height, width, dim
        self.complex_weight = nn.Parameter(torch.randn(height, width // 2 + 1, dim, 2) * init_std)

    def spatial_kernel(self) -> Tensor:
        """The equivalent real 2D circular-convolution kernel ``irfft2(W)``, shape (H, W, dim)."""
        weight = torch.view_as_complex(self.complex_weight)
        return torch.fft.irfft2(weight, s=(self.height, self.width), dim=(0, 1))

    def forward(self, x: Tensor) -> Tensor:
        flat = x.ndim == 3
        if flat:
            if x.shape[1] != self.height * self.width:
                raise ValueError(
                    f"expected {self.height}x{self.width}={self.height * self.width} tokens, "
                    f"got {x.shape[1]}"
                )
            x = x.reshape(x.shape[0], self.height, self.width, x.shape[-1])
        if tuple(x.shape[-3:]) != (self.height, self.width, self.dim):
            raise ValueError(
                f"expected (..., {self.height}, {self.width}, {self.dim}), got {tuple(x.shape)}"
            )
        compute = _compute_dtype(x)
        freq = torch.fft.rfft2(x.to(compute), dim=(-3, -2), norm="ortho")
        weight = torch.view_as_complex(self.complex_weight.to(compute))
        y = torch.fft.irfft2(freq * weight, s=(self.height, self.width), dim=(-3, -2), norm="ortho")
        y = y.to(x.dtype)
        return y.flatten(1, 2) if flat else y
