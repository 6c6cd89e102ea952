"""Patches centred on pixels, extracted on the fly from a reflect-padded cube.

Patch models take ``(batch, C, p, p)``; a patch of pixel ``(r, c)`` covers rows ``r − p//2 …
r + p//2`` of the scene, mirrored (numpy/torch ``reflect``) beyond its border. Patches are never
all materialized: :class:`PatchDataset` indexes one padded ``(C, H + 2r, W + 2r)`` tensor, and
:func:`gather_patches` is its batched (vectorized) equivalent used for whole-scene prediction.

:func:`dihedral` applies one of the 8 flips/rotations of the square (the dihedral group D4) to
the spatial axes of patches; it serves training augmentation (``PatchDataset(augment=True)``)
and test-time augmentation (``PixelClassifier.tta``). A land-cover class does not depend on the
orientation of its neighbourhood, so the 8 views are equally valid inputs.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset


def pad_cube(cube: np.ndarray, radius: int) -> torch.Tensor:
    """``(H, W, C)`` → reflect-padded channels-first float32 ``(C, H + 2·radius, W + 2·radius)``."""
    chw = torch.from_numpy(np.ascontiguousarray(np.moveaxis(np.asarray(cube, np.float32), -1, 0)))
    if radius == 0:
        return chw.contiguous()
    if radius >= min(chw.shape[1:]):
        raise ValueError(f"patch radius {radius} must be below the scene size {chw.shape[1:]}")
    return torch.nn.functional.pad(chw[None], (radius,) * 4, mode="reflect")[0].contiguous()


#: number of distinct flips/rotations of a square patch
DIHEDRAL_VIEWS = 8


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """View ``k`` (0..7) of the dihedral group on the last two axes of ``(..., p, p)``.

    ``k % 4`` quarter turns, followed by a left-right flip when ``k >= 4``; ``k = 0`` is the
    identity. Shapes are unchanged (square patches).
    """
    if not 0 <= k < DIHEDRAL_VIEWS:
        raise ValueError(f"dihedral view must be in 0..7, got {k}")
    out = torch.rot90(x, k % 4, dims=(-2, -1))
    return out.flip(-1) if k >= 4 else out


class PatchDataset(Dataset):
    """Patches ``(C, p, p)`` and labels at given pixel coordinates of a padded cube.

    Items are dicts ``{"x": (C, p, p) float32, "y": int64 scalar, "pixel": (2,) int64}``; ``y`` is
    the class index ``label − 1`` (0-based, as the loss expects); unlabelled scenes give ``y = -1``.

    Args:
        padded: ``(C, H + 2r, W + 2r)`` from :func:`pad_cube` with ``r = patch_size // 2``.
        pixels: ``(N, 2)`` row/col coordinates in the unpadded scene.
        labels: ``(H, W)`` labels (0 = unlabelled, 1..K) or None.
        patch_size: odd ``p``.
        augment: return a random dihedral view (:func:`dihedral`) of every patch — training
            augmentation by flips and 90° rotations (drawn from torch's global RNG, which the
            trainer seeds).
    """

    def __init__(
        self,
        padded: torch.Tensor,
        pixels: np.ndarray,
        labels: np.ndarray | None,
        patch_size: int,
        augment: bool = False,
    ) -> None:
        if patch_size % 2 != 1:
            raise ValueError(f"patch_size must be odd, got {patch_size}")
        self.padded = padded
        self.pixels = torch.as_tensor(np.asarray(pixels, dtype=np.int64).reshape(-1, 2))
        self.patch_size = patch_size
        self.augment = augment
        if labels is None:
            self.targets = torch.full((len(self.pixels),), -1, dtype=torch.int64)
        else:
            rows, cols = self.pixels[:, 0].numpy(), self.pixels[:, 1].numpy()
            self.targets = torch.as_tensor(labels[rows, cols].astype(np.int64) - 1)

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        r, c = (int(v) for v in self.pixels[index])
        p = self.patch_size
        # Pixel (r, c) of the scene is (r + radius, c + radius) of the padded cube, so its patch
        # starts at (r, c) in padded coordinates.
        patch = self.padded[:, r : r + p, c : c + p]
        if self.augment:
            patch = dihedral(patch, int(torch.randint(DIHEDRAL_VIEWS, ())))
        return {"x": patch, "y": self.targets[index], "pixel": self.pixels[index]}


def gather_patches(padded: torch.Tensor, pixels: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Vectorized :class:`PatchDataset` lookup: ``(N, 2)`` pixels → ``(N, C, p, p)`` patches."""
    offsets = torch.arange(patch_size, device=padded.device)
    rows = pixels[:, 0, None].to(padded.device) + offsets  # (N, p)
    cols = pixels[:, 1, None].to(padded.device) + offsets
    patches = padded[:, rows[:, :, None], cols[:, None, :]]  # (C, N, p, p)
    return patches.permute(1, 0, 2, 3).contiguous()


def pixel_coordinates(mask: np.ndarray) -> np.ndarray:
    """Row-major ``(N, 2)`` coordinates of the True pixels of a ``(H, W)`` mask."""
    return np.argwhere(mask).astype(np.int64)
