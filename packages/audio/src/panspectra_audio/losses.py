"""Signal losses and scores: SI-SNR (Le Roux et al. 2019, "SDR — half-baked or well done?",
ICASSP), its permutation-invariant form (uPIT, Kolbæk et al. 2017, IEEE/ACM TASLP 25(10)) and
a multi-resolution compressed spectral magnitude loss (power-law compression 0.3 as in Wilson
et al. 2018, "Exploring tradeoffs in models for low-latency speech enhancement", IWAENC, and
DeepFilterNet, Schröter et al. 2022; several STFT resolutions as in Yamamoto et al. 2020,
Parallel WaveGAN, ICASSP).

Shapes: signals (..., time); PIT takes (batch, sources, time).
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor

EPS = 1e-8


def si_snr(estimate: Tensor, reference: Tensor, eps: float = EPS) -> Tensor:
    """Scale-invariant SNR in dB of (..., time) signals → (...).

    Both are made zero-mean; ``s_target = <ŝ, s> s / ||s||²``, ``e = ŝ − s_target``,
    ``SI-SNR = 10 log10(||s_target||² / ||e||²)``.
    """
    estimate = estimate - estimate.mean(-1, keepdim=True)
    reference = reference - reference.mean(-1, keepdim=True)
    scale = (estimate * reference).sum(-1, keepdim=True) / (
        reference.pow(2).sum(-1, keepdim=True) + eps
    )
    target = scale * reference
    noise = estimate - target
    return 10 * torch.log10((target.pow(2).sum(-1) + eps) / (noise.pow(2).sum(-1) + eps))


def neg_si_snr(estimate: Tensor, reference: Tensor) -> Tensor:
    """Training loss: −mean SI-SNR over every signal of the batch."""
    return -si_snr(estimate, reference).mean()


def compressed_spectral_loss(
    estimate: Tensor,
    reference: Tensor,
    resolutions: tuple[tuple[int, int], ...] = ((128, 32), (256, 64), (512, 128)),
    power: float = 0.3,
) -> Tensor:
    """Mean over ``resolutions`` (FFT size, hop) of the mean squared difference of
    ``|STFT|^power`` of (batch, time) signals, both scaled by the reference's RMS (so the
    loss does not depend on the recording level). Unlike SI-SNR it weighs every
    time-frequency bin on a compressed scale: quiet speech and residual noise in speech
    pauses count, and a distorted clean-ish input is penalised bin by bin.
    """
    scale = reference.pow(2).mean(-1, keepdim=True).add(EPS).rsqrt()
    total = estimate.new_zeros(())
    for n_fft, hop in resolutions:
        window = torch.hann_window(n_fft, device=estimate.device, dtype=estimate.dtype)
        mags = [
            torch.stft(x * scale, n_fft, hop, window=window, return_complex=True)
            .abs()
            .square()
            .add(EPS)
            .pow(power / 2)
            for x in (estimate, reference)
        ]
        total = total + (mags[0] - mags[1]).square().mean()
    return total / len(resolutions)


def enhancement_loss(estimate: Tensor, reference: Tensor, weight: float = 30.0) -> Tensor:
    """−SI-SNR (dB) + ``weight`` × :func:`compressed_spectral_loss`, batch means."""
    return neg_si_snr(estimate, reference) + weight * compressed_spectral_loss(estimate, reference)


#: ``--loss`` choices of ``audio-enhance``
ENHANCE_LOSSES = {"si_snr": neg_si_snr, "si_snr+spectral": enhancement_loss}


def pit_si_snr(estimate: Tensor, reference: Tensor) -> tuple[Tensor, Tensor]:
    """Best mean SI-SNR over source permutations, per mixture.

    Args:
        estimate, reference: (batch, sources, time).

    Returns:
        (batch,) best mean SI-SNR (dB) and (batch, sources) the permutation: estimate
        ``perm[b, j]`` is matched to reference ``j``.
    """
    n = estimate.shape[1]
    # pairwise (batch, estimate i, reference j) scores, then every assignment
    pair = si_snr(estimate.unsqueeze(2), reference.unsqueeze(1))
    perms = torch.tensor(list(itertools.permutations(range(n))), device=estimate.device)
    cols = torch.arange(n, device=estimate.device)
    scores = pair[:, perms, cols].mean(-1)  # (batch, permutations)
    best, index = scores.max(-1)
    return best, perms[index]


def pit_si_snr_ref(estimate: Tensor, reference: Tensor) -> Tensor:
    """Readable reference of :func:`pit_si_snr` (loop over permutations), (batch,) scores."""
    n = estimate.shape[1]
    scores = [
        torch.stack([si_snr(estimate[:, p[j]], reference[:, j]) for j in range(n)]).mean(0)
        for p in itertools.permutations(range(n))
    ]
    return torch.stack(scores, -1).max(-1).values


def pit_loss(estimate: Tensor, reference: Tensor) -> Tensor:
    """Training loss: −mean over the batch of the permutation-invariant SI-SNR."""
    return -pit_si_snr(estimate, reference)[0].mean()


def reorder(estimate: Tensor, perm: Tensor) -> Tensor:
    """Estimates (batch, sources, time) reordered so source j matches reference j."""
    return torch.gather(estimate, 1, perm.unsqueeze(-1).expand_as(estimate))
