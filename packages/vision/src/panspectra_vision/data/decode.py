"""Decode image bytes (JPEG/PNG/TIFF, 8- or 16-bit, 1..N channels) into fixed-size arrays.

Multi-page TIFFs (microscopy stacks, one page per channel) become multi-channel images; RGBA
drops alpha; a grayscale image in an RGB set is replicated to 3 channels (and counted).
Images are resized to ``size × size`` (shorter side to ``size``, then a centre crop) only when
they differ from it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageSequence, UnidentifiedImageError

from panspectra_core.errors import UserError

#: what Pillow raises on a corrupt or truncated file
DECODE_ERRORS = (
    OSError,
    UnidentifiedImageError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombError,
)


class SkipImage(Exception):
    """An image that is skipped and counted (reason in ``args[0]``)."""


@dataclass(frozen=True)
class DecodeSpec:
    """Target geometry: ``size`` (square side), ``channels``, ``min_side`` (smaller images are
    skipped), ``bits`` (8 or 16: the cache's dtype)."""

    size: int
    channels: int
    min_side: int = 1
    bits: int = 8


def read_array(data: bytes) -> np.ndarray:
    """Bytes → (H, W, C) uint8 or uint16 array (every TIFF page a channel).

    Raises:
        SkipImage: the bytes are not a decodable image (corrupt, truncated).
    """
    try:
        with Image.open(io.BytesIO(data)) as img:
            frames = getattr(img, "n_frames", 1)
            if frames > 1 and img.format == "TIFF":
                pages = [_page_array(page) for page in ImageSequence.Iterator(img)]
                if len({p.shape[:2] for p in pages}) != 1:
                    raise SkipImage("TIFF pages of different sizes")
                return np.concatenate(pages, axis=2)
            return _page_array(img)
    except UnidentifiedImageError:
        raise SkipImage("unreadable image (not a format Pillow recognises)") from None
    except DECODE_ERRORS as exc:
        raise SkipImage(f"unreadable image ({type(exc).__name__}: {exc})") from None


def _page_array(img: Image.Image) -> np.ndarray:
    img.load()
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        arr = np.asarray(img, dtype=np.uint16)
    elif mode in ("I", "F"):
        arr = np.clip(np.asarray(img), 0, 65535).astype(np.uint16)
    elif mode in ("1", "L", "P", "LA", "PA", "CMYK", "YCbCr", "HSV", "LAB", "RGBA"):
        target = {"1": "L", "L": "L", "LA": "L"}.get(mode, "RGB")
        if mode == "P" and "transparency" in img.info:
            img = img.convert("RGBA")
        arr = np.asarray(img.convert(target))
    else:
        arr = np.asarray(img.convert("RGB") if mode != "RGB" else img)
    return arr[:, :, None] if arr.ndim == 2 else arr


def fit_channels(arr: np.ndarray, channels: int, counts: dict[str, int]) -> np.ndarray:
    """Convert (H, W, c) to ``channels``: gray → RGB replicated, RGB → gray luminance (both
    counted in ``counts``); any other mismatch raises :class:`SkipImage`."""
    have = arr.shape[2]
    if have == channels:
        return arr
    if have == 1 and channels == 3:
        counts["gray_to_rgb"] = counts.get("gray_to_rgb", 0) + 1
        return np.repeat(arr, 3, axis=2)
    if have in (3, 4) and channels == 1:
        counts["rgb_to_gray"] = counts.get("rgb_to_gray", 0) + 1
        weights = np.array([0.299, 0.587, 0.114])
        return np.round(arr[:, :, :3] @ weights)[:, :, None].astype(arr.dtype)
    if have == 4 and channels == 3:
        return arr[:, :, :3]
    raise SkipImage(f"{have} channels, the set has {channels}")


def to_bits(arr: np.ndarray, bits: int) -> np.ndarray:
    """Rescale to the cache's bit depth (8-bit → 16-bit ×257, 16-bit → 8-bit ÷257 rounded)."""
    if bits == 8 and arr.dtype == np.uint16:
        return np.round(arr / 257.0).astype(np.uint8)
    if bits == 16 and arr.dtype == np.uint8:
        return arr.astype(np.uint16) * 257
    return arr


def resize_square(arr: np.ndarray, size: int) -> np.ndarray:
    """(H, W, C) → (size, size, C): shorter side to ``size`` (antialiased bilinear), centre crop."""
    height, width = arr.shape[:2]
    if height == width == size:
        return arr
    scale = size / min(height, width)
    new_h, new_w = max(size, round(height * scale)), max(size, round(width * scale))
    t = torch.from_numpy(arr.astype(np.float32)).permute(2, 0, 1)[None]
    t = F.interpolate(t, size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False)
    top, left = (new_h - size) // 2, (new_w - size) // 2
    t = t[0, :, top : top + size, left : left + size].permute(1, 2, 0)
    limit = 65535 if arr.dtype == np.uint16 else 255
    return t.round().clamp(0, limit).numpy().astype(arr.dtype)


def decode_image(data: bytes, spec: DecodeSpec, counts: dict[str, int]) -> np.ndarray:
    """Bytes → (channels, size, size) array of the spec's bit depth.

    Raises:
        SkipImage: unreadable, too small (``min_side``), or an unconvertible channel count.
    """
    arr = read_array(data)
    if min(arr.shape[:2]) < spec.min_side:
        raise SkipImage(f"{arr.shape[1]}x{arr.shape[0]} is smaller than {spec.min_side} px")
    arr = fit_channels(arr, spec.channels, counts)
    arr = resize_square(to_bits(arr, spec.bits), spec.size)
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


def probe(data: bytes, name: str) -> tuple[int, int, int]:
    """(side, channels, bits) of one image, to infer the defaults of a set from its first
    readable image. Raises :class:`UserError` when it cannot be read."""
    try:
        arr = read_array(data)
    except SkipImage as exc:
        raise UserError(f"{name}: {exc.args[0]}") from None
    channels = 3 if arr.shape[2] == 4 else arr.shape[2]
    return min(arr.shape[:2]), channels, 16 if arr.dtype == np.uint16 else 8
