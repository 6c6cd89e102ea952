"""Batched augmentations: each compared with a per-image reference or checked by construction."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from panspectra_vision.data import augment
from panspectra_vision.data.loader import AugmentConfig, BatchLoader, Normalizer, channel_stats


def _coords(batch: int = 6, size: int = 8) -> torch.Tensor:
    """Pixel value = its position, so any crop can be located exactly."""
    grid = torch.arange(size * size, dtype=torch.float32).view(1, 1, size, size) / 100.0
    return grid.repeat(batch, 2, 1, 1) + torch.arange(batch).view(-1, 1, 1, 1) * 10


def test_random_crop_is_a_window_of_the_padded_image() -> None:
    x = _coords()
    out = augment.random_crop(x, 2, torch.Generator().manual_seed(0), mode="constant")
    padded = F.pad(x, (2, 2, 2, 2))
    offsets = set()
    for b in range(len(x)):  # reference: find the window per image
        hits = [
            (dy, dx)
            for dy in range(5)
            for dx in range(5)
            if torch.equal(padded[b, :, dy : dy + 8, dx : dx + 8], out[b])
        ]
        assert hits, f"sample {b} is not a crop"
        offsets.add(hits[0])
    assert len(offsets) > 1  # offsets differ per sample
    assert torch.equal(augment.random_crop(x, 0, torch.Generator()), x)


def test_flip_per_sample() -> None:
    x = _coords(batch=32)
    out = augment.random_flip(x, torch.Generator().manual_seed(3))
    flipped = [torch.equal(out[b], x[b].flip(-1)) for b in range(len(x))]
    kept = [torch.equal(out[b], x[b]) for b in range(len(x))]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)


def test_trivial_augment_stays_in_range_and_varies() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(64, 3, 16, 16, generator=gen)
    out = augment.trivial_augment(x, gen)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    changed = (out - x).abs().flatten(1).amax(1) > 1e-6
    assert 0 < changed.sum() < len(x)  # identity and no-op magnitudes leave some untouched


def test_trivial_augment_ops_match_their_definitions() -> None:
    x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    gray = augment._gray(x)
    assert torch.allclose(gray[0, 0], 0.299 * x[0, 0] + 0.587 * x[0, 1] + 0.114 * x[0, 2])
    assert torch.allclose(augment._blend(x, torch.zeros_like(x), torch.tensor([0.5])), x * 0.5)
    auto = augment._autocontrast(x)
    assert torch.allclose(auto.amin((2, 3)), torch.zeros(1, 3)) and torch.allclose(
        auto.amax((2, 3)), torch.ones(1, 3)
    )


def test_random_erasing_replaces_one_rectangle() -> None:
    x = torch.zeros(8, 3, 16, 16)
    out = augment.random_erasing(x, torch.Generator().manual_seed(0), p=1.0)
    for b in range(8):
        mask = (out[b] != 0).any(0)
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        box = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        assert box.float().mean() > 0.9  # a filled rectangle
    assert torch.equal(augment.random_erasing(x, torch.Generator(), p=0.0), x)


def test_mix_batch_soft_targets() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(6, 3, 8, 8, generator=gen)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    for mixup, cutmix in ((1.0, 0.0), (0.0, 1.0)):
        out, soft = augment.mix_batch(x, y, 3, gen, mixup, cutmix)
        assert torch.allclose(soft.sum(1), torch.ones(6))
        lam = soft[0, 0].item()  # y[0] = 0 and its partner y[5] = 2
        if mixup:
            assert torch.allclose(out[0], lam * x[0] + (1 - lam) * x[5], atol=1e-6)
        else:
            from_self = (out[0] == x[0]).all(0).float().mean().item()
            assert abs(from_self - lam) < 1e-6
    out, soft = augment.mix_batch(x, y, 3, gen, 0.0, 0.0)
    assert torch.equal(out, x) and torch.equal(soft.argmax(1), y)


def test_channel_stats_and_normalizer() -> None:
    pixels = torch.randint(0, 256, (50, 3, 4, 4), dtype=torch.uint8)
    mean, std = channel_stats(pixels, 255.0, chunk=7)
    unit = pixels.double() / 255
    assert torch.allclose(torch.tensor(mean, dtype=torch.float64), unit.mean((0, 2, 3)))
    assert torch.allclose(
        torch.tensor(std, dtype=torch.float64), unit.std((0, 2, 3), unbiased=False)
    )
    normed = Normalizer(mean, std, 255.0)(unit.float())
    assert torch.allclose(normed.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)


def test_loader_covers_every_image_once_when_evaluating() -> None:
    pixels = torch.arange(23, dtype=torch.uint8).view(23, 1, 1, 1).expand(23, 1, 2, 2).contiguous()
    labels = torch.arange(23)
    index = torch.arange(23).flip(0)
    loader = BatchLoader(pixels, labels, Normalizer([0.0], [1.0], 255.0), 5, index=index)
    batches = list(loader)
    assert len(loader) == len(batches) == 5
    seen = torch.cat([b["x"][:, 0, 0, 0] for b in batches]) * 255
    assert torch.allclose(seen, index.float())
    train = BatchLoader(
        pixels,
        labels,
        Normalizer([0.0], [1.0], 255.0),
        5,
        index=index,
        shuffle=True,
        drop_last=True,
        augment_config=AugmentConfig(crop_padding=1, mixup_alpha=0.5),
        num_classes=23,
    )
    first, second = list(train), list(train)
    assert len(first) == 4 and first[0]["y"].shape == (5, 23)
    assert not torch.equal(first[0]["y"], second[0]["y"])  # a new permutation each epoch
