"""The named datasets' protocols on the real files (FSDD, NOIZEUS) and the fixed mixtures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panspectra_audio.data.mixtures import (
    EnhancementTrainSet,
    Pair,
    TwoTalkerTrainSet,
    mix_at_snr,
    two_talker_list,
    two_talker_mix,
)
from panspectra_audio.data.named import (
    fsdd_items,
    fsdd_official_split,
    fsdd_speakers,
    noizeus_pairs,
    noizeus_split,
)


@pytest.mark.data
def test_fsdd_official_split_and_speakers():
    items = fsdd_items()
    train, test = fsdd_official_split(items)
    assert (len(items), len(train), len(test)) == (3000, 2700, 300)
    assert {i.index for i in test} == set(range(5))
    assert len(fsdd_speakers(items)) == 6
    counts = np.bincount([i.digit for i in test])
    assert (counts == 30).all()


@pytest.mark.data
def test_noizeus_split_keeps_test_sentences_out_of_training():
    train, test = noizeus_split(noizeus_pairs())
    assert (len(train), len(test)) == (480, 240)
    assert max(p.sentence for p in train) == 20 and min(p.sentence for p in test) == 21
    assert {(p.noise, p.snr_db) for p in test} == {
        (n, s)
        for n in ("airport", "babble", "car", "exhibition", "restaurant", "street")
        for s in (0, 5, 10, 15)
    }


@pytest.mark.data
def test_two_talker_test_list_is_fixed_and_uses_test_takes_of_two_speakers():
    _, test = fsdd_official_split(fsdd_items())
    recordings = [(i.path, i.speaker) for i in test]
    a = two_talker_list(recordings, 50, seed=2026)
    assert a == two_talker_list(recordings, 50, seed=2026)
    assert a != two_talker_list(recordings, 50, seed=1)
    speaker = {p: s for p, s in recordings}
    assert all(speaker[m.first] != speaker[m.second] for m in a)
    assert all(-5 <= m.level_db <= 5 for m in a)


def test_mixing_levels():
    rng = np.random.default_rng(0)
    speech, noise = rng.standard_normal(8000), rng.standard_normal(8000)
    mixed = mix_at_snr(speech.astype(np.float32), noise.astype(np.float32), 5.0)
    residual = mixed - speech
    snr = 10 * np.log10(np.mean(speech**2) / np.mean(residual**2))
    assert abs(snr - 5.0) < 1e-3
    pair = two_talker_mix(np.ones(100, np.float32), np.ones(50, np.float32), -6.0)
    a, b = pair.sources
    assert len(pair.mixture) == 100 and b[50:].sum() == 0
    assert abs(10 * np.log10(np.mean(b[:50] ** 2) / np.mean(a**2)) + 6.0) < 1e-4
    assert np.allclose(pair.mixture, a + b)


@pytest.mark.data
def test_fsdd_speaker_protocol_holds_out_one_whole_speaker_per_fold():
    from panspectra_audio.pipeline.classify import _fsdd_splits

    folds = _fsdd_splits("speaker")
    assert len(folds) == 6
    held_out = set()
    for fold in folds:
        assert (len(fold.train), len(fold.test)) == (2500, 500)
        test_speakers = {p.name.split("_")[1] for p in fold.test}
        train_speakers = {p.name.split("_")[1] for p in fold.train}
        assert len(test_speakers) == 1 and not test_speakers & train_speakers
        held_out |= test_speakers
    assert len(held_out) == 6
    official = _fsdd_splits("official")[0]
    assert not {p.name for p in official.train} & {p.name for p in official.test}


def test_two_talker_training_segments_always_hold_both_talkers():
    # a long and a short recording: cropping the mixture could miss the short one entirely
    rng = np.random.default_rng(0)
    long_clip = rng.standard_normal(4000).astype(np.float32)
    short_clip = rng.standard_normal(300).astype(np.float32)
    data = TwoTalkerTrainSet([(long_clip, "a"), (short_clip, "b")], segment=1000, length=64)
    torch.manual_seed(0)
    for k in range(64):
        item = data[k]
        assert item["x"].shape == (1000,) and item["y"].shape == (2, 1000)
        assert (item["y"].abs().sum(-1) > 0).all()
        assert torch.allclose(item["x"], item["y"].sum(0), atol=1e-6)


def test_remixed_enhancement_items_pair_training_speech_with_training_noise_at_the_drawn_snr():
    # two pairs whose clean speech and noise are told apart by sign and frequency
    t = np.arange(4000) / 8000
    speech = [np.sin(2 * np.pi * 200 * t), 3 * np.sin(2 * np.pi * 300 * t)]
    noise = [np.sin(2 * np.pi * 1500 * t) * 0.1, np.cos(2 * np.pi * 2500 * t) * 0.2]
    pairs = [
        Pair(f"p{k}", (s + n).astype(np.float32), [s.astype(np.float32)], {})
        for k, (s, n) in enumerate(zip(speech, noise))
    ]
    data = EnhancementTrainSet(pairs, segment=1000, length=64, remix=1.0, snr_range=(0, 10))
    torch.manual_seed(0)
    mixed_across = 0
    for k in range(64):
        item = data[k]
        x, y = item["x"].numpy().astype(np.float64), item["y"].numpy().astype(np.float64)
        residual = x - y
        # the clean target is one pair's speech; the residual, one pair's noise
        clean_pair = int(np.argmax([abs(np.dot(y, s[:1000] / np.linalg.norm(s))) for s in speech]))
        # 8 Hz bins: 1500 Hz ≈ bin 187, 2500 Hz ≈ bin 312
        spectrum = np.abs(np.fft.rfft(residual * np.hanning(1000)))
        at_1500, at_2500 = spectrum[180:195].sum(), spectrum[305:320].sum()
        assert max(at_1500, at_2500) > 10 * min(at_1500, at_2500)  # one pair's noise only
        noise_pair = int(at_2500 > at_1500)
        mixed_across += clean_pair != noise_pair
        # SNR against the whole recording's power (the level gain cancels)
        gain = np.sqrt(np.mean(y**2) / np.mean(speech[clean_pair][:1000] ** 2))
        snr = 10 * np.log10(np.mean(speech[clean_pair] ** 2) * gain**2 / np.mean(residual**2))
        assert -0.5 <= snr <= 10.5
    assert 10 < mixed_across < 54  # noise drawn from either pair, not only the speech's own
