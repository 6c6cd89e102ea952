"""Reading audio and listing a user's files: every bad input is one UserError naming the file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from audio_test_helpers import tone, write

from panspectra_audio.audio_io import read_audio, write_audio
from panspectra_audio.data.clips import ClipDataset, fit_length, random_lowpass, speed_factors
from panspectra_audio.data.mixtures import read_pair
from panspectra_audio.data.user import labelled_files, paired_files
from panspectra_core.errors import UserError


def test_read_write_roundtrip_and_resampling(tmp_path):
    path = write_audio(tmp_path / "a.wav", tone(0.5), 8000)
    samples, rate = read_audio(path)
    assert rate == 8000 and np.abs(samples - tone(0.5)).max() < 1e-4
    up, rate = read_audio(path, sample_rate=16000)
    assert rate == 16000 and abs(len(up) - 8000) <= 1
    with pytest.raises(UserError, match=r"a\.wav: sample rate 8000 Hz; expected 16000"):
        read_audio(path, sample_rate=16000, resample=False)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"RIFF\x00\x00garbage"), "cannot read audio"),
        (lambda p: write(p, np.zeros(0, np.float32)), "no samples"),
        (lambda p: write(p, np.zeros(800, np.float32)), "all silence"),
        (lambda p: write(p, np.full(800, np.nan, np.float32), subtype="FLOAT"), "NaN"),
        (lambda p: write(p, np.stack([tone(0.1), tone(0.1)], 1)), "2 channels; expected mono"),
    ],
)
def test_bad_files_are_one_line_errors_naming_the_file(tmp_path, make, message):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(UserError, match=message) as info:
        read_audio(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_stereo_is_downmixed_only_on_request(tmp_path):
    path = write(tmp_path / "s.wav", np.stack([tone(0.1), -0.5 * tone(0.1)], 1))
    samples, _ = read_audio(path, mono=True)
    assert np.allclose(samples, 0.25 * tone(0.1), atol=1e-4)


def test_pairs_of_different_length_or_rate_are_refused(tmp_path):
    noisy = write(tmp_path / "noisy" / "x.wav", tone(0.5))
    write(tmp_path / "clean" / "x.wav", tone(0.4))
    with pytest.raises(UserError, match=r"3200 samples but .* has 4000"):
        read_pair(noisy, [tmp_path / "clean" / "x.wav"])
    write(tmp_path / "clean" / "x.wav", tone(0.5, rate=16000), rate=16000)
    with pytest.raises(UserError, match="16000 Hz but"):
        read_pair(noisy, [tmp_path / "clean" / "x.wav"])


def test_user_layouts(tmp_path):
    for label in ("yes", "no"):
        for k in range(2):
            write(tmp_path / "cls" / label / f"{k}.wav", tone(0.2, 300 + k))
    paths, labels = labelled_files(tmp_path / "cls")
    assert labels == ["no", "no", "yes", "yes"] and all(p.is_file() for p in paths)
    (tmp_path / "cls" / "empty").mkdir()
    with pytest.raises(UserError, match="class 'empty' has no audio files"):
        labelled_files(tmp_path / "cls")
    csv = tmp_path / "labels.csv"
    csv.write_text("path,label\ncls/yes/0.wav,yes\ncls/no/0.wav,no\n")
    assert labelled_files(csv)[1] == ["yes", "no"]
    csv.write_text("file,label\ncls/yes/0.wav,yes\n")
    with pytest.raises(UserError, match="expected path, label"):
        labelled_files(csv)
    csv.write_text("path,label\ncls/yes/9.wav,yes\n")
    with pytest.raises(UserError, match="not found"):
        labelled_files(csv)
    write(tmp_path / "pairs" / "noisy" / "a.wav", tone(0.2))
    (tmp_path / "pairs" / "clean").mkdir()
    with pytest.raises(UserError, match="no clean file of the same name"):
        paired_files(tmp_path / "pairs", 1)


def test_fit_length_crops_to_the_loudest_window_and_centres_short_clips():
    x = np.zeros(1000, np.float32)
    x[700:750] = 1.0
    assert fit_length(x, 100)[0:100].sum() == 50.0
    short = fit_length(np.ones(10, np.float32), 30)
    assert short[10:20].sum() == 10 and short.sum() == 10
    rng = np.random.default_rng(0)
    assert len(fit_length(x, 64, rng)) == 64


def test_speed_perturbation_scales_duration_and_pitch_together(tmp_path):
    """A 500 Hz tone of 0.5 s comes out f times shorter and f times higher for a factor f from
    1 ± spread (250 cycles either way); evaluation clips are never perturbed."""
    path = write(tmp_path / "tone.wav", tone(0.5, 500.0))
    common = {"sample_rate": 8000, "num_samples": 8000}
    train = ClipDataset([path], [0], train=True, speed_perturb=0.2, **common)
    torch.manual_seed(0)
    ratios = []
    for _ in range(8):
        x = train[0]["x"].numpy()
        loud = np.flatnonzero(np.abs(x) > 0.1)
        span = (loud[-1] - loud[0]) / 8000
        freq = np.argmax(np.abs(np.fft.rfft(x, 2**16))) * 8000 / 2**16
        assert span * freq == pytest.approx(250, rel=0.01)
        ratios.append(freq / 500)
    assert 0.8 - 1e-3 <= min(ratios) < max(ratios) <= 1.2 + 1e-3
    assert max(ratios) - min(ratios) > 0.02
    assert speed_factors(0.02) == [0.98, 0.99, 1.0, 1.01, 1.02]
    plain = ClipDataset([path], [0], train=False, speed_perturb=0.2, **common)[0]["x"].numpy()
    loud = np.flatnonzero(np.abs(plain) > 0.1)
    assert (loud[-1] - loud[0]) / 8000 == pytest.approx(0.5, abs=0.001)


def test_random_lowpass_keeps_the_low_band_and_removes_the_top():
    noise = np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    out = random_lowpass(noise, 8000, np.random.default_rng(1))
    assert out.dtype == np.float32 and out.shape == noise.shape

    def band(x, lo, hi):
        spectrum = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(len(x), 1 / 8000)
        return spectrum[(freqs >= lo) & (freqs < hi)].sum()

    assert band(out, 0, 700) == pytest.approx(band(noise, 0, 700), rel=0.05)
    assert band(out, 3700, 4000) < 0.5 * band(noise, 3700, 4000)
