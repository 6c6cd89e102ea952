"""Fixed-length labelled clips for classification (a torch ``Dataset``).

Files are read on access (with every check of :func:`~panspectra_audio.audio_io.read_audio`) and
kept in memory only when the whole set is small (``cache``), so a folder of thousands of files
streams. A clip longer than ``num_samples`` is cropped (training: a random window; evaluation:
the window of highest energy); a shorter one is zero-padded (training: at a random offset;
evaluation: centred).
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
    ) -> None:
        self.paths = list(paths)
        self.targets = list(targets) if targets is not None else [-1] * len(self.paths)
        self.sample_rate, self.num_samples = sample_rate, num_samples
        self.train, self.mono, self.resample = train, mono, resample
        self.cache: dict[int, np.ndarray] | None = {} if cache else None

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
        clip = fit_length(self.samples(index), self.num_samples, rng)
        return {
            "x": torch.from_numpy(np.ascontiguousarray(clip)),
            "y": torch.tensor(self.targets[index], dtype=torch.long),
        }
