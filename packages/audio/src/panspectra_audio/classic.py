"""Classic statistical speech enhancement: the log-spectral amplitude MMSE estimator.

Ephraim, Y. & Malah, D. (1985), "Speech enhancement using a minimum mean-square error
log-spectral amplitude estimator", IEEE Trans. ASSP 33(2), 443-445; decision-directed a priori
SNR from Ephraim & Malah (1984), IEEE Trans. ASSP 32(6). The framing, noise estimate from the
first frames and the VAD-gated noise update follow P. C. Loizou's reference ``logmmse.m``
(Speech Enhancement: Theory and Practice, CRC Press 2007/2013).
"""

from __future__ import annotations

import numpy as np
from scipy.special import exp1


def log_mmse(
    noisy: np.ndarray,
    rate: int,
    *,
    frame_ms: float = 20.0,
    noise_frames: int = 6,
    alpha: float = 0.98,
    xi_min_db: float = -25.0,
    vad_threshold: float = 0.15,
    noise_update: float = 0.98,
) -> np.ndarray:
    """Enhance (time,) noisy speech; returns (time,) float32 of the same length.

    Periodic-Hann frames of ``frame_ms`` with 50 % overlap, overlap-added without a synthesis
    window (the analysis windows sum to one). The noise power spectrum starts as the mean
    of the first ``noise_frames`` frames (the leading silence) and is updated
    (``noise_update``) in frames whose mean log-likelihood ratio is below ``vad_threshold``.
    A priori SNR ξ by the decision-directed rule (``alpha``), floored at ``xi_min_db``; gain
    ``G = ξ/(1+ξ) · exp(½ E1(v))`` with ``v = ξγ/(1+ξ)`` applied to the magnitude, noisy phase.
    """
    x = np.asarray(noisy, dtype=np.float64)
    n = len(x)
    length = round(frame_ms * rate / 1000) // 2 * 2
    hop = length // 2
    window = np.hanning(length + 1)[:-1]  # periodic Hann: frames at 50 % overlap sum to 1
    frames = 1 + max(0, int(np.ceil((n - length) / hop)))
    padded = np.zeros((frames - 1) * hop + length)
    padded[:n] = x
    index = np.arange(length)[None, :] + hop * np.arange(frames)[:, None]
    spectra = np.fft.rfft(padded[index] * window, axis=1)
    power = np.abs(spectra) ** 2
    noise = power[: max(1, noise_frames)].mean(0)
    xi_min = 10 ** (xi_min_db / 10)
    gains = np.empty_like(power)
    previous = np.zeros(power.shape[1])  # |Â|² of the last frame
    for t in range(frames):
        gamma = np.minimum(power[t] / np.maximum(noise, 1e-12), 40.0)
        xi_ml = np.maximum(gamma - 1, 0.0)
        xi = xi_ml if t == 0 else alpha * previous / np.maximum(noise, 1e-12) + (1 - alpha) * xi_ml
        xi = np.maximum(xi, xi_min)
        llr = gamma * xi / (1 + xi) - np.log1p(xi)
        if llr.mean() < vad_threshold:
            noise = noise_update * noise + (1 - noise_update) * power[t]
        v = np.maximum(xi * gamma / (1 + xi), 1e-10)
        gains[t] = xi / (1 + xi) * np.exp(0.5 * exp1(v))
        previous = gains[t] ** 2 * power[t]
    frames_out = np.fft.irfft(spectra * gains, n=length, axis=1)
    out = np.zeros_like(padded)
    norm = np.zeros_like(padded)
    np.add.at(out, index, frames_out)  # overlap-add of the analysis-windowed frames
    np.add.at(norm, index, np.broadcast_to(window, frames_out.shape))
    out = out / np.maximum(norm, 0.5)  # 1 inside; only the first half frame is rescaled
    return out[:n].astype(np.float32)
