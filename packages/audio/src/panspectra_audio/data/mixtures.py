"""Paired signals for enhancement and separation, and the mixtures the package makes itself.

Nothing mixed is stored: mixtures are drawn from seeded generators.

- Your own pairs: :func:`holdout_pairs` holds a seeded share out for the test set;
  :class:`PairSegmentSet` draws random training segments of the rest (any number of sources).
- Enhancement training: random segments of the training pairs (noisy, clean), and, when extra
  clean speech is given, that speech mixed with noise taken from the training pairs
  (``noisy − clean``, sample-aligned in NOIZEUS) at an SNR drawn from ``snr_range``.
- Two-talker mixtures (FSDD): two recordings of different speakers, the second scaled to a
  relative level drawn from [−5, 5] dB, the shorter one zero-padded to the longer.
  :func:`two_talker_list` draws the fixed test list (seeded, test recordings only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from panspectra_core.errors import UserError

from ..audio_io import read_audio
from .clips import fit_length, torch_seeded_rng


@dataclass
class Pair:
    """A mixture and its reference source(s), (time,) float32 each, with a name."""

    name: str
    mixture: np.ndarray
    sources: list[np.ndarray]
    info: dict


def read_pair(
    mixture: Path,
    sources: Sequence[Path],
    *,
    sample_rate: int | None = None,
    mono: bool = False,
    resample: bool = True,
    info: dict | None = None,
) -> Pair:
    """Read a mixture and its references; they must share rate and length (UserError)."""
    mix, rate = read_audio(mixture, sample_rate=sample_rate, mono=mono, resample=resample)
    refs = []
    for path in sources:
        ref, ref_rate = read_audio(path, mono=mono)
        if ref_rate != rate and sample_rate is None:
            raise UserError(f"{path}: {ref_rate} Hz but {mixture} is {rate} Hz; expected equal")
        if ref_rate != rate:
            ref, _ = read_audio(path, sample_rate=rate, mono=mono, resample=resample)
        if len(ref) != len(mix):
            raise UserError(
                f"{path}: {len(ref)} samples but {mixture} has {len(mix)}; expected equal lengths"
            )
        refs.append(ref)
    return Pair(Path(mixture).stem, mix, refs, {"rate": rate, **(info or {})})


def mix_at_snr(
    speech: np.ndarray, noise: np.ndarray, snr_db: float, speech_power: float | None = None
) -> np.ndarray:
    """speech + noise scaled so that 10 log10(P_speech / P_noise) = ``snr_db``; P_speech is
    ``speech_power`` when given (e.g. the power of the whole recording a segment was cut
    from, so that a segment of leading silence does not silence the noise too)."""
    if speech_power is None:
        speech_power = float(np.mean(speech.astype(np.float64) ** 2))
    p_speech = speech_power + 1e-12
    p_noise = float(np.mean(noise.astype(np.float64) ** 2)) + 1e-12
    return (speech + noise * np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))).astype(np.float32)


def _segment(arrays: Sequence[np.ndarray], length: int, rng: np.random.Generator):
    """The same random window of ``length`` from equally long arrays (zero-padded if short)."""
    n = len(arrays[0])
    if n >= length:
        start = int(rng.integers(0, n - length + 1))
        return [a[start : start + length] for a in arrays]
    offset = int(rng.integers(0, length - n + 1))
    out = []
    for a in arrays:
        padded = np.zeros(length, dtype=np.float32)
        padded[offset : offset + n] = a
        out.append(padded)
    return out


def _level_augmented(
    mix: np.ndarray, target: np.ndarray, rng: np.random.Generator
) -> dict[str, torch.Tensor]:
    """``{"x": mix, "y": target}`` both scaled by one gain drawn from −10…+5 dB."""
    gain = 10 ** (rng.uniform(-10, 5) / 20)
    return {
        "x": torch.from_numpy(mix * gain).float(),
        "y": torch.from_numpy(target * gain).float(),
    }


def holdout_pairs(
    pairs: Sequence[Pair], test_fraction: float, seed: int, where: object
) -> tuple[list[Pair], list[Pair], int]:
    """(training pairs, test pairs, rate): a seeded ``test_fraction`` share (at least one pair)
    held out; one sample rate and at least one training pair required (UserError naming
    ``where``, the user's ``--data``)."""
    rates = {p.info["rate"] for p in pairs}
    if len(rates) > 1:
        raise UserError(f"--data {where}: sample rates {sorted(rates)}; pass --sample-rate")
    order = np.random.default_rng(seed).permutation(len(pairs))
    n_test = max(1, round(test_fraction * len(pairs)))
    if len(pairs) - n_test < 1:
        raise UserError(f"--data {where}: {len(pairs)} pair(s); need at least 2")
    test = [pairs[i] for i in order[:n_test]]
    return [pairs[i] for i in order[n_test:]], test, rates.pop()


class PairSegmentSet(Dataset):
    """``{"x": mixture (L,), "y": sources (S, L)}`` — the same random window of a random
    training pair's mixture and its S references (zero-padded when shorter than L), with a
    level augmentation of −10…+5 dB applied to all of them.

    Args:
        pairs: training pairs with S references each. segment: L samples. length: items per
            epoch.
    """

    def __init__(self, pairs: Sequence[Pair], segment: int, length: int) -> None:
        self.pairs, self.segment, self.length = list(pairs), segment, length

    def __len__(self) -> int:
        return self.length

    def _pair_segment(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(mixture (L,), sources (S, L)): one window of a random training pair."""
        pair = self.pairs[int(rng.integers(len(self.pairs)))]
        mix, *refs = _segment([pair.mixture, *pair.sources], self.segment, rng)
        return mix, np.stack(refs)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = torch_seeded_rng()
        return _level_augmented(*self._pair_segment(rng), rng)


class EnhancementTrainSet(PairSegmentSet):
    """``{"x": noisy (L,), "y": clean (L,)}`` random training segments.

    Args:
        pairs: training (noisy, clean) pairs. segment: L samples. length: items per epoch.
        extra_speech: more clean speech (e.g. FSDD training recordings), mixed with noise cut
            from ``pairs`` at an SNR drawn from ``snr_range`` with probability ``extra_share``.
        remix: probability that an item drawn from ``pairs`` is mixed afresh ("dynamic
            mixing"): the pair's clean speech with the noise of a random training pair at an SNR
            drawn from ``snr_range``, instead of the stored noisy recording.
    """

    def __init__(
        self,
        pairs: Sequence[Pair],
        segment: int,
        length: int,
        extra_speech: Sequence[np.ndarray] = (),
        extra_share: float = 0.5,
        snr_range: tuple[float, float] = (-5.0, 20.0),
        remix: float = 0.0,
    ) -> None:
        super().__init__(pairs, segment, length)
        self.remix = remix
        self.noise = [p.mixture - p.sources[0] for p in self.pairs]
        #: power of each pair's whole clean recording: the reference of a remixed SNR
        self.clean_power = [float(np.mean(p.sources[0].astype(np.float64) ** 2)) for p in pairs]
        self.extra = list(extra_speech)
        self.extra_share = extra_share if self.extra else 0.0
        self.snr_range = snr_range

    def _extra_speech(self, rng: np.random.Generator) -> np.ndarray:
        parts, total = [], 0
        while total < self.segment:
            clip = self.extra[int(rng.integers(len(self.extra)))]
            parts.append(clip)
            total += len(clip)
        speech = np.concatenate(parts)
        return _segment([speech], self.segment, rng)[0]

    def _noisy(
        self, clean: np.ndarray, rng: np.random.Generator, speech_power: float | None = None
    ) -> np.ndarray:
        """``clean`` plus a segment of a random training pair's noise at a drawn SNR."""
        noise = _segment([self.noise[int(rng.integers(len(self.noise)))]], self.segment, rng)[0]
        return mix_at_snr(clean, noise, float(rng.uniform(*self.snr_range)), speech_power)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = torch_seeded_rng()
        if rng.random() < self.extra_share:
            clean = self._extra_speech(rng)
            noisy = self._noisy(clean, rng)
        elif rng.random() < self.remix:
            k = int(rng.integers(len(self.pairs)))
            clean = _segment([self.pairs[k].sources[0]], self.segment, rng)[0]
            noisy = self._noisy(clean, rng, self.clean_power[k])
        else:
            noisy, sources = self._pair_segment(rng)
            clean = sources[0]
        return _level_augmented(noisy, clean, rng)


@dataclass(frozen=True)
class TwoTalker:
    """One fixed two-talker mixture: two recordings and the level of the second (dB)."""

    first: Path
    second: Path
    level_db: float


def two_talker_mix(first: np.ndarray, second: np.ndarray, level_db: float) -> Pair:
    """Pad both to the longer one, scale the second to ``level_db`` relative to the first
    (by power), and add."""
    length = max(len(first), len(second))
    a = np.zeros(length, dtype=np.float32)
    b = np.zeros(length, dtype=np.float32)
    a[: len(first)], b[: len(second)] = first, second
    p_a = float(np.mean(first.astype(np.float64) ** 2)) + 1e-12
    p_b = float(np.mean(second.astype(np.float64) ** 2)) + 1e-12
    b = (b * np.sqrt(p_a / p_b * 10 ** (level_db / 10))).astype(np.float32)
    return Pair("", a + b, [a, b], {"level_db": level_db})


def two_talker_list(
    recordings: Sequence[tuple[Path, str]], count: int, seed: int
) -> list[TwoTalker]:
    """``count`` mixtures of two recordings by different speakers, drawn with ``seed``.

    Args:
        recordings: (path, speaker) of the recordings allowed (the test takes only, for the
            test list).
    """
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        i, j = rng.integers(len(recordings), size=2)
        if recordings[i][1] == recordings[j][1]:
            continue
        out.append(TwoTalker(recordings[i][0], recordings[j][0], float(rng.uniform(-5, 5))))
    return out


class TwoTalkerTrainSet(Dataset):
    """``{"x": mixture (L,), "y": sources (2, L)}`` drawn afresh each item from ``clips`` (each
    (samples, speaker)). A recording longer than L is cropped to a random window of L *before*
    mixing, so both sources are present in every training segment (cropping the mixture could
    leave a silent reference, whose SI-SNR is undefined); the mixture is then padded to L at a
    random offset."""

    def __init__(self, clips: Sequence[tuple[np.ndarray, str]], segment: int, length: int):
        self.clips, self.segment, self.length = list(clips), segment, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = torch_seeded_rng()
        while True:
            i, j = rng.integers(len(self.clips), size=2)
            if self.clips[i][1] != self.clips[j][1]:
                break
        first, second = (
            fit_length(self.clips[k][0], min(len(self.clips[k][0]), self.segment), rng)
            for k in (i, j)
        )
        pair = two_talker_mix(first, second, float(rng.uniform(-5, 5)))
        mix, a, b = _segment([pair.mixture, *pair.sources], self.segment, rng)
        return _level_augmented(mix, np.stack([a, b]), rng)
