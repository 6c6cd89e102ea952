"""STFT / ISTFT modules (wrapping torch.stft) and the optional torchaudio log-mel front end."""

from __future__ import annotations

import math
import sys

import pytest
import torch

from panspectra_core.spectral import ISTFT, STFT, TORCHAUDIO_HINT, MelFrontEnd


def _signal(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("window", ["hann", "hamming"])
def test_stft_equals_torch_stft(window):
    x = _signal(2, 800)
    module = STFT(n_fft=128, hop_length=32, window=window)
    win = torch.hann_window(128) if window == "hann" else torch.hamming_window(128)
    expected = torch.stft(x, 128, hop_length=32, window=win, return_complex=True)
    spec = module(x)
    assert spec.shape == (2, 65, 1 + 800 // 32)
    torch.testing.assert_close(spec, expected)


def test_stft_power_and_channels():
    x = _signal(2, 3, 500, seed=1)
    power = STFT(n_fft=64, hop_length=16, power=2.0)(x)
    complex_spec = STFT(n_fft=64, hop_length=16)(x)
    assert power.shape == complex_spec.shape == (2, 3, 33, 1 + 500 // 16)
    torch.testing.assert_close(power, complex_spec.abs().square())
    torch.testing.assert_close(complex_spec[:, 1], STFT(n_fft=64, hop_length=16)(x[:, 1]))


@pytest.mark.parametrize("length", [1000, 1013])
def test_stft_istft_round_trip(length):
    x = _signal(2, 3, length, seed=2).double()
    stft, istft = STFT(n_fft=256, hop_length=64).double(), ISTFT(n_fft=256, hop_length=64)
    torch.testing.assert_close(istft(stft(x), length=length), x)


def test_stft_gradients_flow():
    x = _signal(1, 300, seed=3).requires_grad_(True)
    STFT(n_fft=64, hop_length=16, power=1.0)(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_window_buffer_is_not_persistent():
    assert "window" not in STFT(n_fft=64).state_dict()
    with pytest.raises(ValueError):
        STFT(n_fft=64, window="kaiser-ish")


def test_mel_front_end_tone_peaks_at_the_right_filter():
    torchaudio = pytest.importorskip("torchaudio")
    sample_rate, freq = 16000, 1000.0
    t = torch.arange(sample_rate) / sample_rate
    tone = torch.sin(2 * math.pi * freq * t)[None]
    front_end = MelFrontEnd(sample_rate, n_fft=512, hop_length=160, n_mels=40)
    log_mel = front_end(tone)
    assert log_mel.shape == (1, 40, 1 + sample_rate // 160)
    # the filter with the largest response at the tone's bin is the one that lights up
    tone_bin = round(freq * 512 / sample_rate)
    expected_filter = int(front_end.filterbank[tone_bin].argmax())
    assert int(log_mel[0, :, 10:-10].mean(-1).argmax()) == expected_filter
    # equals log(filterbank^T @ |STFT|^2 + offset) computed by hand
    power = STFT(n_fft=512, hop_length=160, power=2.0)(tone)
    fb = torchaudio.functional.melscale_fbanks(257, 0.0, 8000.0, 40, sample_rate)
    manual = torch.log(fb.T @ power + 1e-6)
    torch.testing.assert_close(log_mel, manual, atol=1e-4, rtol=1e-4)


def test_mel_front_end_missing_torchaudio_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchaudio", None)  # makes `import torchaudio` fail
    with pytest.raises(ImportError, match=r"pip install torchaudio==2\.11\.\*"):
        MelFrontEnd(16000)
    assert TORCHAUDIO_HINT == "pip install torchaudio==2.11.*"
