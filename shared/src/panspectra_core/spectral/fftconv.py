"""Long depthwise convolution via FFT (the convolution theorem), as used by S4 (Gu et al. 2022,
"Efficiently Modeling Long Sequences with Structured State Spaces", ICLR), H3 (Fu et al. 2023,
"Hungry Hungry Hippos", ICLR) and Hyena (Poli et al. 2023, "Hyena Hierarchy", ICML).

``fft_conv`` costs O(L log L) per channel whatever the kernel length K, against O(L·K) for a
direct convolution; :func:`fft_conv_ref` is the direct ``conv1d`` reference beside it.

Definitions (per channel c, kernel k of length K, input x of length L):

- causal (``causal=True``): ``y[t] = Σ_{j=0}^{min(t, K-1)} k[j] · x[t - j]``, the
  zero-padded linear convolution truncated to the first L outputs (``y[t]`` never depends on
  ``x[s]`` for ``s > t``);
- circular (``causal=False``): ``y[t] = Σ_{j=0}^{K-1} k[j] · x[(t - j) mod L]`` (needs K <= L).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

_HALF_DTYPES = (torch.float16, torch.bfloat16)


def _check(x: Tensor, kernel: Tensor, causal: bool) -> None:
    if x.ndim != 3:
        raise ValueError(f"x must be (batch, channels, L), got {tuple(x.shape)}")
    if kernel.ndim not in (2, 3) or kernel.shape[-2] != x.shape[1]:
        raise ValueError(
            f"kernel must be (channels, K) or (batch, channels, K) with channels={x.shape[1]}, "
            f"got {tuple(kernel.shape)}"
        )
    if not causal and kernel.shape[-1] > x.shape[-1]:
        raise ValueError(f"circular mode needs K <= L, got K={kernel.shape[-1]} L={x.shape[-1]}")


def _fft_size(n: int) -> int:
    """Smallest power of two >= n (fast for every FFT backend)."""
    return 1 << max(n - 1, 0).bit_length()


def fft_conv(x: Tensor, kernel: Tensor, causal: bool = True) -> Tensor:
    """Depthwise long convolution of ``x`` with ``kernel`` through real FFTs.

    Args:
        x: (batch, channels, L).
        kernel: (channels, K), shared over the batch, or (batch, channels, K) (data-dependent).
        causal: True for the causal (zero-padded, truncated to L) convolution, False for the
            circular one (period L, needs K <= L).

    Returns:
        (batch, channels, L), dtype of ``x``; half precision is computed in float32.
    """
    _check(x, kernel, causal)
    seq_len = x.shape[-1]
    compute = torch.float32 if x.dtype in _HALF_DTYPES else x.dtype
    n = _fft_size(seq_len + kernel.shape[-1] - 1) if causal else seq_len
    x_f = torch.fft.rfft(x.to(compute), n=n, dim=-1)
    k_f = torch.fft.rfft(kernel.to(compute), n=n, dim=-1)
    y = torch.fft.irfft(x_f * k_f, n=n, dim=-1)[..., :seq_len]
    return y.to(x.dtype)


def fft_conv_ref(x: Tensor, kernel: Tensor, causal: bool = True) -> Tensor:
    """Direct reference for :func:`fft_conv` with ``F.conv1d`` (a cross-correlation, so the
    kernel is flipped) and left padding (zeros for causal, wrap-around for circular).

    Args/returns as :func:`fft_conv`; a batched kernel is handled by folding batch into groups.
    """
    _check(x, kernel, causal)
    batch, channels, _ = x.shape
    k = kernel.shape[-1]
    pad_mode = "constant" if causal else "circular"
    padded = F.pad(x, (k - 1, 0), mode=pad_mode) if k > 1 else x
    if kernel.ndim == 2:
        return F.conv1d(padded, kernel.flip(-1).unsqueeze(1), groups=channels)
    y = F.conv1d(
        padded.reshape(1, batch * channels, -1),
        kernel.flip(-1).reshape(batch * channels, 1, k),
        groups=batch * channels,
    )
    return y.reshape(batch, channels, -1)
