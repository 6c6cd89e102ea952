"""The log-MMSE baseline on synthetic signals."""

from __future__ import annotations

import numpy as np
from audio_test_helpers import tone

from panspectra_audio.classic import log_mmse
from panspectra_audio.scores import si_snr_db


def _noisy_tone(seed: int = 0, noise: float = 0.1):
    clean = tone(2.0)
    clean[:800] = 0.0  # leading silence: the noise estimate comes from there
    rng = np.random.default_rng(seed)
    return clean, (clean + noise * rng.standard_normal(len(clean))).astype(np.float32)


def test_log_mmse_improves_si_snr_of_a_tone_in_white_noise():
    clean, noisy = _noisy_tone()
    out = log_mmse(noisy, 8000)
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert si_snr_db(clean, out) > si_snr_db(clean, noisy) + 6.0


def test_log_mmse_keeps_the_tone_a_tone():
    _clean, noisy = _noisy_tone(noise=0.05)
    out = log_mmse(noisy, 8000)[2000:14000]
    spectrum = np.abs(np.fft.rfft(out))
    freqs = np.fft.rfftfreq(len(out), 1 / 8000)
    assert abs(freqs[spectrum.argmax()] - 440.0) < 2.0
    # energy away from the tone is strongly reduced compared with the input
    off = np.abs(freqs - 440) > 50
    noisy_spec = np.abs(np.fft.rfft(noisy[2000:14000]))
    assert spectrum[off].sum() < 0.3 * noisy_spec[off].sum()


def test_log_mmse_silence_stays_quiet():
    _, noisy = _noisy_tone()
    out = log_mmse(noisy, 8000)
    assert np.std(out[:700]) < 0.5 * np.std(noisy[:700])
