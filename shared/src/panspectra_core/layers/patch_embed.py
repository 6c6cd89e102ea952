"""Patch embeddings: 1D sequences (PatchTST), 2D images (ViT) and 3D spectral-spatial cubes.

- :class:`PatchEmbed1d`: Nie et al. 2023, "A Time Series is Worth 64 Words" (PatchTST), ICLR.
- :class:`PatchEmbed2d`: Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words" (ViT), ICLR.
- :class:`PatchEmbed3d`: 3D-convolutional tokenisation of hyperspectral cubes, spanning bands and
  space (as in SSFTT, Sun et al. 2022, IEEE TGRS, and 3D-ViT style spectral-spatial tokenisers).

Number of patches along an axis of size S with patch P and stride T: ``(S - P) // T + 1``
(remainders at the end are dropped, as with a strided convolution).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


def _num_windows(size: int, patch: int, stride: int) -> int:
    if size < patch:
        raise ValueError(f"axis of size {size} is shorter than the patch {patch}")
    return (size - patch) // stride + 1


def _triple(value: int | tuple[int, int, int]) -> tuple[int, int, int]:
    return (value, value, value) if isinstance(value, int) else tuple(value)


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


class PatchEmbed1d(nn.Module):
    """Channel-independent sequence patching + linear embedding (PatchTST).

    Every channel is cut into (possibly overlapping) windows of ``patch_len`` samples every
    ``stride`` samples, and each window is projected to ``dim`` with one shared ``nn.Linear``.

    Args:
        patch_len: samples per patch.
        stride: step between patch starts (``stride == patch_len``: no overlap).
        dim: embedding size.
        pad_end: PatchTST's end padding — repeat the last sample ``stride`` times first, which
            adds one patch.

    Shapes: (batch, channels, L) → (batch, channels, num_patches, dim), with
    ``num_patches = (L + pad - patch_len) // stride + 1`` (``pad = stride`` if ``pad_end``), see
    :meth:`num_patches`.
    """

    def __init__(self, patch_len: int, stride: int, dim: int, pad_end: bool = False) -> None:
        super().__init__()
        self.patch_len, self.stride, self.pad_end = patch_len, stride, pad_end
        self.proj = nn.Linear(patch_len, dim)

    def num_patches(self, seq_len: int) -> int:
        """Patches produced from a sequence of length ``seq_len``."""
        padded = seq_len + (self.stride if self.pad_end else 0)
        return _num_windows(padded, self.patch_len, self.stride)

    def patchify(self, x: Tensor) -> Tensor:
        """(batch, channels, L) → raw patches (batch, channels, num_patches, patch_len)."""
        if self.pad_end:
            x = F.pad(x, (0, self.stride), mode="replicate")
        _num_windows(x.shape[-1], self.patch_len, self.stride)  # validates the length
        return x.unfold(-1, self.patch_len, self.stride)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(self.patchify(x))


class PatchEmbed2d(nn.Module):
    """Non-overlapping image patches → tokens with a strided ``Conv2d`` (ViT).

    Args:
        patch_size: P or (P_h, P_w).
        in_channels: image channels (e.g. bands of a multispectral image).
        dim: embedding size.

    Shapes: (batch, in_channels, H, W) → (batch, (H / P_h)·(W / P_w), dim), tokens in row-major
    order over the patch grid (see :meth:`grid_size`). H and W must be divisible by the patch.
    """

    def __init__(self, patch_size: int | tuple[int, int], in_channels: int, dim: int) -> None:
        super().__init__()
        self.patch_size = _pair(patch_size)
        self.proj = nn.Conv2d(in_channels, dim, self.patch_size, stride=self.patch_size)

    def grid_size(self, height: int, width: int) -> tuple[int, int]:
        """Patch grid (rows, cols) for an H x W image."""
        if height % self.patch_size[0] or width % self.patch_size[1]:
            raise ValueError(f"image {height}x{width} not divisible by patch {self.patch_size}")
        return height // self.patch_size[0], width // self.patch_size[1]

    def num_patches(self, height: int, width: int) -> int:
        rows, cols = self.grid_size(height, width)
        return rows * cols

    def forward(self, x: Tensor) -> Tensor:
        self.grid_size(*x.shape[-2:])
        return self.proj(x).flatten(2).transpose(1, 2)


class PatchEmbed3d(nn.Module):
    """Spectral-spatial tokens from a cube with a ``Conv3d`` spanning bands and space.

    Args:
        patch_size: (P_bands, P_h, P_w) or one int for all three.
        dim: embedding size.
        stride: (S_bands, S_h, S_w); default ``patch_size`` (non-overlapping).
        in_channels: channels of the cube (1 for a plain hyperspectral cube).

    Shapes: (batch, in_channels, bands, H, W) → (batch, n_b·n_h·n_w, dim) with
    ``n_b = (bands - P_bands) // S_bands + 1`` (same for H, W), tokens ordered band-major then
    row-major (see :meth:`grid_size`).
    """

    def __init__(
        self,
        patch_size: int | tuple[int, int, int],
        dim: int,
        stride: int | tuple[int, int, int] | None = None,
        in_channels: int = 1,
    ) -> None:
        super().__init__()
        self.patch_size = _triple(patch_size)
        self.stride = _triple(stride) if stride is not None else self.patch_size
        self.proj = nn.Conv3d(in_channels, dim, self.patch_size, stride=self.stride)

    def grid_size(self, bands: int, height: int, width: int) -> tuple[int, int, int]:
        """Token grid (n_b, n_h, n_w) for a cube of the given size."""
        sizes = (bands, height, width)
        return tuple(  # type: ignore[return-value]
            _num_windows(s, p, t) for s, p, t in zip(sizes, self.patch_size, self.stride)
        )

    def num_patches(self, bands: int, height: int, width: int) -> int:
        n_b, n_h, n_w = self.grid_size(bands, height, width)
        return n_b * n_h * n_w

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 5:
            raise ValueError(f"expected (batch, channels, bands, H, W), got {tuple(x.shape)}")
        self.grid_size(*x.shape[-3:])
        return self.proj(x).flatten(2).transpose(1, 2)
