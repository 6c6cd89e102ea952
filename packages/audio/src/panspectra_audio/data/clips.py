"""Fixed-length labelled clips for classification (a torch ``Dataset``).

Files are read on access (with every check of :func:`~panspectra_audio.audio_io.read_audio`) and
kept in memory only when the whole set is small (``cache``), so a folder of thousands of files
streams. A clip longer than ``num_samples`` is cropped (training: a random window; evaluation:
the window of highest energy); a shorter one is zero-padded (training: at a random offset;
evaluation: centred). Training clips may be speed-perturbed first (:func:`speed_factors`) and
band-limited (:func:`random_lowpass`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..audio_io import read_audio


def fit_length(
    samples: np.ndarray, length: int, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Crop or zero-pad (time,) samples to ``length``; random placement when ``rng`` is given,
    otherwise the highest-energy window / centred padding (deterministic)."""
    n = len(samples)
    if n > length:
        if rng is not None:
            start = int(rng.integers(0, n - length + 1))
        else:
            energy = np.concatenate([[0.0], np.cumsum(samples.astype(np.float64) ** 2)])
            start = int(np.argmax(energy[length:] - energy[: n - length + 1]))
        return samples[start : start + length]
    out = np.zeros(length, dtype=np.float32)
    start = int(rng.integers(0, length - n + 1)) if rng is not None else (length - n) // 2
    out[start : start + n] = samples
    return out


def speed_factors(spread: float) -> list[float]:
    """Speed-perturbation factors 1 - spread … 1 + spread in steps of 0.01 (Ko et al. 2015,
    "Audio augmentation for speech recognition", Interspeech): resampling by a factor f
    shortens the recording by f and moves pitch and formants up by f, which imitates other
    speakers' vocal tracts and speaking rates (torchaudio ``SpeedPerturbation``)."""
    steps = round(100 * spread)
    return [(100 + k) / 100 for k in range(-steps, steps + 1)]


def random_lowpass(
    samples: np.ndarray, sample_rate: int, rng: np.random.Generator, band=(1000.0, 3500.0)
) -> np.ndarray:
    """Band-limit ``samples`` like a narrow-band microphone or channel: a zero-phase 4th-order
    Butterworth magnitude response ``1 / sqrt(1 + (f / fc)^8)`` applied in the Fourier domain,
    with the cutoff ``fc`` drawn log-uniformly from ``band`` (Hz)."""
    cutoff = float(np.exp(rng.uniform(np.log(band[0]), np.log(band[1]))))
    freqs = np.fft.rfftfreq(len(samples), 1.0 / sample_rate)
    gain = 1.0 / np.sqrt(1.0 + (freqs / cutoff) ** 8)
    return np.fft.irfft(np.fft.rfft(samples) * gain, n=len(samples)).astype(np.float32)


def torch_seeded_rng() -> np.random.Generator:
    """A NumPy generator seeded from torch's global generator, so that data augmentation is
    reproducible under ``seed_everything`` (and differs per DataLoader worker)."""
    return np.random.default_rng(int(torch.randint(0, 2**62, ()).item()))


class ClipDataset(Dataset):
    """``{"x": (num_samples,) float32, "y": int64}`` items.

    Args:
        paths, targets: the files and their class indices (``targets`` may be None: y = -1).
        sample_rate: the rate every clip is brought to. num_samples: clip length.
        train: random crops/offsets (drawn from torch's seeded generator, see
            :func:`torch_seeded_rng`).
        speed_perturb: training only: each recording is first resampled by a factor drawn
            uniformly from :func:`speed_factors` (0: off).
        lowpass: training only: the probability that a recording is band-limited by
            :func:`random_lowpass` (0: off).
        mono, resample: as :func:`read_audio`. cache: keep decoded clips in memory.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        targets: Sequence[int] | None,
        *,
        sample_rate: int,
        num_samples: int,
        train: bool = False,
        mono: bool = False,
        resample: bool = True,
        cache: bool = True,
        speed_perturb: float = 0.0,
        lowpass: float = 0.0,
    ) -> None:
        self.paths = list(paths)
        self.targets = list(targets) if targets is not None else [-1] * len(self.paths)
        self.sample_rate, self.num_samples = sample_rate, num_samples
        self.train, self.mono, self.resample = train, mono, resample
        self.cache: dict[int, np.ndarray] | None = {} if cache else None
        self.lowpass = lowpass if train else 0.0
        self.speed = None
        if train and speed_perturb > 0:
            from torchaudio.transforms import SpeedPerturbation

            self.speed = SpeedPerturbation(sample_rate, speed_factors(speed_perturb))

    def __len__(self) -> int:
        return len(self.paths)

    def samples(self, index: int) -> np.ndarray:
        if self.cache is not None and index in self.cache:
            return self.cache[index]
        samples, _ = read_audio(
            self.paths[index], sample_rate=self.sample_rate, mono=self.mono, resample=self.resample
        )
        if self.cache is not None:
            self.cache[index] = samples
        return samples

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = torch_seeded_rng() if self.train else None
        samples = self.samples(index)
        if self.speed is not None:
            with torch.no_grad():
                samples = self.speed(torch.from_numpy(samples))[0].numpy()
        if self.lowpass > 0 and rng.random() < self.lowpass:
            samples = random_lowpass(samples, self.sample_rate, rng)
        clip = fit_length(samples, self.num_samples, rng)
        return {
            "x": torch.from_numpy(np.ascontiguousarray(clip)),
            "y": torch.tensor(self.targets[index], dtype=torch.long),
        }
