"""Waveform → normalised log-mel spectrogram, with SpecAugment while training.

The log-mel comes from the core :class:`~panspectra_core.spectral.MelFrontEnd` (torchaudio's
``MelSpectrogram``); the masks are torchaudio's ``FrequencyMasking`` / ``TimeMasking``
(SpecAugment, Park et al. 2019, "SpecAugment: A Simple Data Augmentation Method for Automatic
Speech Recognition", Interspeech). The normalisation is a ``BatchNorm1d`` over mel bins without
affine terms: its running statistics are fitted on the training clips only and travel in the
checkpoint. Optionally each clip's log-mel is first mean-normalised per bin over its active
frames (:func:`utterance_normalise`), which removes a fixed microphone/channel response and the
recording level (a convolutive channel adds a constant per bin to the log spectrum).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from panspectra_core.spectral.mel import MelFrontEnd


class LogMelFrontEnd(nn.Module):
    """(batch, time) waveform → (batch, n_mels, frames) normalised log-mel.

    Args:
        sample_rate: Hz. n_fft, hop_length: STFT size and step in samples (defaults: 32 ms and
            10 ms). n_mels: mel bins. freq_masks, time_masks: SpecAugment masks per clip while
            training (widths up to ``freq_mask_width`` bins / ``time_mask_width`` frames).
        utterance_norm: subtract each clip's per-bin mean over its active frames and zero the
            others (:func:`utterance_normalise`) before the normalisation.
    """

    def __init__(
        self,
        sample_rate: int = 8000,
        n_fft: int | None = None,
        hop_length: int | None = None,
        n_mels: int = 40,
        freq_masks: int = 2,
        freq_mask_width: int = 6,
        time_masks: int = 2,
        time_mask_width: int = 10,
        utterance_norm: bool = False,
    ) -> None:
        super().__init__()
        import torchaudio

        n_fft = n_fft or round(0.032 * sample_rate)
        hop_length = hop_length or round(0.010 * sample_rate)
        self.mel = MelFrontEnd(sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
        self.norm = nn.BatchNorm1d(n_mels, affine=False)
        self.n_mels, self.hop_length = n_mels, hop_length
        self.utterance_norm = utterance_norm
        masks = [torchaudio.transforms.FrequencyMasking(freq_mask_width, iid_masks=True)] * (
            freq_masks
        )
        masks += [torchaudio.transforms.TimeMasking(time_mask_width, iid_masks=True)] * time_masks
        self.masks = nn.ModuleList(masks)

    def frames(self, num_samples: int) -> int:
        return 1 + num_samples // self.hop_length

    def forward(self, waveform: Tensor) -> Tensor:
        spec = self.mel(waveform)  # (batch, n_mels, frames)
        if self.utterance_norm:
            spec = utterance_normalise(spec, self.mel.log_offset)
        spec = self.norm(spec)
        if self.training:
            spec = spec.unsqueeze(1)
            for mask in self.masks:
                spec = mask(spec)
            spec = spec.squeeze(1)
        return spec


def utterance_normalise(log_mel: Tensor, log_offset: float, range_db: float = 50.0) -> Tensor:
    """Per-clip mean normalisation of a natural-log mel spectrogram (batch, n_mels, frames).

    Active frames: total power above the floor of silent (zero-padded) frames and within
    ``range_db`` of the clip's loudest frame. Their per-bin mean is subtracted (cepstral mean
    normalisation in the log-mel domain, Atal 1974, JASA 55(6); Furui 1981, IEEE Trans. ASSP
    29(2)); inactive frames are set to 0, so padding carries no level or channel information.
    """
    power = log_mel.logsumexp(1)  # (batch, frames) log of the total mel power
    floor = torch.log(torch.tensor(log_mel.shape[1] * log_offset)) + 1.0
    top = power.amax(-1, keepdim=True)
    active = ((power > floor) & (power > top - range_db * 0.1 * math.log(10))).unsqueeze(1)
    weight = active.to(log_mel.dtype)
    mean = (log_mel * weight).sum(-1, keepdim=True) / weight.sum(-1, keepdim=True).clamp_min(1)
    return (log_mel - mean) * weight


def mixup(x: Tensor, y: Tensor, alpha: float, generator: torch.Generator | None = None):
    """Mixup (Zhang et al. 2018, "mixup: Beyond Empirical Risk Minimization", ICLR).

    x: (batch, ...) inputs, y: (batch,) class indices → mixed x, y, the permuted y and λ ~
    Beta(α, α); the loss is ``λ·CE(out, y) + (1-λ)·CE(out, y_perm)``.
    """
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    perm = torch.randperm(x.shape[0], generator=generator, device=x.device)
    return lam * x + (1 - lam) * x[perm], y, y[perm], lam
