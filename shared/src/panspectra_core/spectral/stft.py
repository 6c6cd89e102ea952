"""Short-time Fourier transform modules wrapping ``torch.stft`` / ``torch.istft``.

STFT with overlap-add inversion (Griffin & Lim 1984, "Signal estimation from modified short-time
Fourier transform", IEEE Trans. ASSP 32(2)). The analysis window is a non-persistent buffer, so it
follows ``.to(device)`` and is not written into checkpoints.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

_WINDOWS = {
    "hann": torch.hann_window,
    "hamming": torch.hamming_window,
    "blackman": torch.blackman_window,
    "rectangular": torch.ones,
}


def make_window(name: str, win_length: int) -> Tensor:
    """A periodic analysis window (``"hann"``, ``"hamming"``, ``"blackman"``, ``"rectangular"``)."""
    if name not in _WINDOWS:
        raise ValueError(f"unknown window {name!r}; choose from {sorted(_WINDOWS)}")
    return _WINDOWS[name](win_length)


class _STFTConfig(nn.Module):
    """Shared STFT parameters and window buffer of :class:`STFT` and :class:`ISTFT`."""

    def __init__(
        self,
        n_fft: int,
        hop_length: int | None = None,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        normalized: bool = False,
    ) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.win_length = win_length or n_fft
        self.hop_length = hop_length or self.win_length // 4
        self.center = center
        self.normalized = normalized
        self.register_buffer("window", make_window(window, self.win_length), persistent=False)

    def _kwargs(self, x: Tensor) -> dict:
        return {
            "n_fft": self.n_fft,
            "hop_length": self.hop_length,
            "win_length": self.win_length,
            "window": self.window.to(device=x.device, dtype=x.real.dtype),
            "center": self.center,
            "normalized": self.normalized,
            "onesided": True,
        }


class STFT(_STFTConfig):
    """One-sided STFT of real signals.

    Args:
        n_fft: FFT size; the output has ``n_fft // 2 + 1`` frequency bins.
        hop_length: frame step (default ``win_length // 4``).
        win_length: window length (default ``n_fft``).
        window: ``"hann"`` (default), ``"hamming"``, ``"blackman"`` or ``"rectangular"``.
        center: pad ``n_fft // 2`` on both sides (reflect) so frame t is centred at ``t·hop``.
        normalized: multiply by ``n_fft**-0.5`` (``torch.stft``'s ``normalized``).
        power: None for the complex spectrum, 1 for magnitude, 2 for power.

    Shapes: (batch, time) or (batch, channels, time) → (batch, [channels,] freq, frames), with
    ``frames = 1 + time // hop`` when ``center`` else ``1 + (time - n_fft) // hop``; complex
    when ``power`` is None, real otherwise.
    """

    def __init__(
        self,
        n_fft: int,
        hop_length: int | None = None,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        normalized: bool = False,
        power: float | None = None,
    ) -> None:
        super().__init__(n_fft, hop_length, win_length, window, center, normalized)
        self.power = power

    def forward(self, x: Tensor) -> Tensor:
        leading = x.shape[:-1]
        spec = torch.stft(x.reshape(-1, x.shape[-1]), return_complex=True, **self._kwargs(x))
        spec = spec.reshape(*leading, *spec.shape[-2:])
        if self.power is None:
            return spec
        return spec.abs().pow(self.power)


class ISTFT(_STFTConfig):
    """Inverse of :class:`STFT` (complex spectrum, same parameters) by windowed overlap-add.

    Shapes: complex (batch, [channels,] freq, frames) → real (batch, [channels,] time). Pass
    ``length`` to recover the exact original length (otherwise ``hop · (frames - 1)``).
    """

    def forward(self, spec: Tensor, length: int | None = None) -> Tensor:
        leading = spec.shape[:-2]
        flat = spec.reshape(-1, *spec.shape[-2:])
        signal = torch.istft(flat, length=length, return_complex=False, **self._kwargs(spec))
        return signal.reshape(*leading, signal.shape[-1])
