"""Batches from a decoded tensor cache: shuffled index batches gathered from the memory map,
augmented as whole batches (see :mod:`.augment`), normalized with training-split statistics.

No per-sample Python work: one gather, a handful of batched tensor ops per step. Under DDP each
rank takes every ``world``-th index of the epoch's permutation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from . import augment


@dataclass
class AugmentConfig:
    """Training augmentations (0 / False disables each)."""

    crop_padding: int = 4
    flip: bool = True
    trivial_augment: bool = False
    erase_prob: float = 0.0
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    mix_prob: float = 1.0

    @property
    def mixes(self) -> bool:
        return self.mix_prob > 0 and (self.mixup_alpha > 0 or self.cutmix_alpha > 0)


def channel_stats(
    pixels: Tensor, max_value: float, index: Tensor | None = None, chunk: int = 4096
) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of (N, C, H, W) integer pixels (rows ``index`` only, if given)
    scaled to [0, 1] (float64 sums, in chunks so the memory map is never copied whole)."""
    channels = pixels.shape[1]
    rows = torch.arange(pixels.shape[0]) if index is None else index
    total = torch.zeros(channels, dtype=torch.float64)
    squares = torch.zeros(channels, dtype=torch.float64)
    count = 0
    for start in range(0, len(rows), chunk):
        block = pixels[rows[start : start + chunk]].to(torch.float64) / max_value
        total += block.sum(dim=(0, 2, 3))
        squares += (block**2).sum(dim=(0, 2, 3))
        count += block.numel() // channels
    mean = total / count
    std = (squares / count - mean**2).clamp_min(1e-12).sqrt()
    return mean.tolist(), std.tolist()


class Normalizer:
    """uint8/uint16 batch → float ``(x / max_value − mean) / std`` per channel."""

    def __init__(self, mean: list[float], std: list[float], max_value: float) -> None:
        self.mean = torch.tensor(mean, dtype=torch.float32)[None, :, None, None]
        self.std = torch.tensor(std, dtype=torch.float32)[None, :, None, None]
        self.max_value = max_value

    def to_unit(self, pixels: Tensor) -> Tensor:
        return pixels.float() / self.max_value

    def __call__(self, unit: Tensor) -> Tensor:
        return (unit - self.mean.to(unit.device)) / self.std.to(unit.device)


class BatchLoader:
    """Iterable of ``{"x": (B, C, H, W) float, "y": (B,) long or (B, K) soft}`` batches.

    Args:
        pixels: (N_all, C, H, W) integer cache; labels: (N,) long; index: (N,) rows of
            ``pixels`` that make this set (default: all rows).
        normalizer: scaling and train statistics.
        batch_size: batch size; ``shuffle``: new permutation each epoch (seeded by ``seed`` and
            the epoch count); ``drop_last`` (training only, never for evaluation).
        augment_config: training augmentations, or None for evaluation batches.
        num_classes: for mixup/cutmix soft targets.
        channels_last: return the batch in channels-last memory format (faster CPU convs).
    """

    def __init__(
        self,
        pixels: Tensor,
        labels: Tensor,
        normalizer: Normalizer,
        batch_size: int,
        *,
        index: Tensor | None = None,
        shuffle: bool = False,
        drop_last: bool = False,
        augment_config: AugmentConfig | None = None,
        num_classes: int = 0,
        seed: int = 0,
        channels_last: bool = False,
    ) -> None:
        self.pixels, self.labels, self.normalizer = pixels, labels, normalizer
        self.index = torch.arange(len(labels)) if index is None else index
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.augment_config, self.num_classes, self.seed = augment_config, num_classes, seed
        self.channels_last = channels_last
        self.epoch = 0

    def _indices(self) -> Tensor:
        n = len(self.labels)
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(n, generator=gen)
        else:
            order = torch.arange(n)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            order = order[torch.distributed.get_rank() :: torch.distributed.get_world_size()]
        return order

    def __len__(self) -> int:
        n = len(self.labels)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            n = -(-n // torch.distributed.get_world_size())
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[dict[str, Tensor]]:
        order = self._indices()
        gen = torch.Generator().manual_seed(self.seed * 7_919 + self.epoch + 1)
        self.epoch += 1
        stop = len(order) - (len(order) % self.batch_size if self.drop_last else 0)
        for start in range(0, stop, self.batch_size):
            idx = order[start : start + self.batch_size]
            idx = idx.sort().values if not self.shuffle else idx
            x, y = self.make_batch(self.pixels[self.index[idx]], self.labels[idx], gen)
            if self.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            yield {"x": x, "y": y}

    def make_batch(
        self, pixels: Tensor, labels: Tensor, gen: torch.Generator
    ) -> tuple[Tensor, Tensor]:
        """Integer pixels and labels → augmented, normalized float batch and targets."""
        unit = self.normalizer.to_unit(pixels)
        cfg = self.augment_config
        if cfg is None:
            return self.normalizer(unit), labels
        unit = augment.random_crop(unit, cfg.crop_padding, gen)
        if cfg.flip:
            unit = augment.random_flip(unit, gen)
        if cfg.trivial_augment:
            unit = augment.trivial_augment(unit, gen)
        x = self.normalizer(unit)
        if cfg.erase_prob > 0:
            x = augment.random_erasing(x, gen, p=cfg.erase_prob)
        if cfg.mixes:
            return augment.mix_batch(
                x, labels, self.num_classes, gen, cfg.mixup_alpha, cfg.cutmix_alpha, cfg.mix_prob
            )
        return x, labels
