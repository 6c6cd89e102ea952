"""Log-mel filterbank front end (mel scale: Stevens, Volkmann & Newman 1937; log-mel features as in
Davis & Mermelstein 1980, IEEE Trans. ASSP 28(4)).

Wraps ``torchaudio.transforms.MelSpectrogram``. torchaudio is an *optional* dependency of the
core: it is imported lazily when a :class:`MelFrontEnd` is built, and a missing install raises an
``ImportError`` telling how to install the matching version.
"""

from __future__ import annotations

import importlib

import torch
from torch import Tensor, nn

TORCHAUDIO_HINT = "pip install torchaudio==2.11.*"


def _import_torchaudio():
    try:
        return importlib.import_module("torchaudio")
    except ImportError as exc:
        raise ImportError(
            f"MelFrontEnd needs the optional dependency torchaudio: {TORCHAUDIO_HINT}"
        ) from exc


class MelFrontEnd(nn.Module):
    """Waveform → log-mel spectrogram ``log(mel_filterbank @ |STFT|**power + log_offset)``.

    Args:
        sample_rate: sampling rate of the waveform in Hz.
        n_fft: FFT size (``n_fft // 2 + 1`` linear-frequency bins before the mel projection).
        hop_length: frame step (default ``win_length // 2`` as in torchaudio).
        win_length: Hann window length (default ``n_fft``).
        n_mels: number of triangular mel filters.
        f_min, f_max: filterbank frequency range in Hz (``f_max`` default ``sample_rate / 2``).
        power: exponent of the magnitude (2: power spectrum, 1: magnitude).
        log_offset: added before the log to keep silent frames finite.
        mel_scale: ``"htk"`` or ``"slaney"`` mel formula; ``norm``: None or ``"slaney"``
            (area normalisation of the filters), as in torchaudio.

    Shapes: (batch, time) or (batch, channels, time) → (batch, [channels,] n_mels, frames), with
    ``frames = 1 + time // hop_length`` (centred frames).

    Raises:
        ImportError: torchaudio is missing; the message says ``pip install torchaudio==2.11.*``.
    """

    def __init__(
        self,
        sample_rate: int,
        n_fft: int = 400,
        hop_length: int | None = None,
        win_length: int | None = None,
        n_mels: int = 80,
        f_min: float = 0.0,
        f_max: float | None = None,
        power: float = 2.0,
        log_offset: float = 1e-6,
        mel_scale: str = "htk",
        norm: str | None = None,
    ) -> None:
        super().__init__()
        torchaudio = _import_torchaudio()
        self.log_offset = log_offset
        self.n_mels = n_mels
        self.mel_spectrogram = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate,
            n_fft=n_fft,
            win_length=win_length,
            hop_length=hop_length,
            f_min=f_min,
            f_max=f_max,
            n_mels=n_mels,
            power=power,
            norm=norm,
            mel_scale=mel_scale,
        )

    @property
    def filterbank(self) -> Tensor:
        """Triangular mel filters, shape (n_fft // 2 + 1, n_mels) (torchaudio's layout)."""
        return self.mel_spectrogram.mel_scale.fb

    def forward(self, waveform: Tensor) -> Tensor:
        compute = torch.float32 if waveform.dtype in (torch.float16, torch.bfloat16) else None
        x = waveform.to(compute) if compute is not None else waveform
        mel = self.mel_spectrogram(x)
        return torch.log(mel + self.log_offset).to(waveform.dtype)
