"""Decode a set of images once into a memory-mapped tensor cache keyed by content hash.

The key is a BLAKE2b digest of the decode settings and, for every image, its name, label and
raw bytes, so any change to a file, a label or the settings makes a new entry and an unchanged
set is never decoded twice (CIFAR-10's 60,000 JPEGs decode once; every later epoch and run
reads ``(N, C, S, S)`` uint8/uint16 pixels straight from the ``.npy`` memory map).

Layout: ``<cache>/vision/decoded/<key>.npy`` (pixels) and ``<key>.json`` (kept names, labels,
skip counts), both written to temporary names and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from panspectra_core.datasets import cache_dir

from .decode import DecodeSpec, SkipImage, decode_image
from .sources import ByteReader, ImageRecord

log = logging.getLogger("panspectra")
CACHE_VERSION = 1


@dataclass
class DecodedSet:
    """Decoded images: ``pixels`` (N, C, S, S) uint8 (or uint16 for 16-bit sets), memory-mapped;
    ``records`` the kept images in order; ``counts`` conversions and skips by reason;
    ``skipped`` (name, reason) of the first skipped images; ``decoded`` whether this call
    decoded (False: read from the cache)."""

    pixels: torch.Tensor
    records: list[ImageRecord]
    counts: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    decoded: bool = False
    key: str = ""

    @property
    def max_value(self) -> float:
        return 65535.0 if self.pixels.dtype == torch.uint16 else 255.0


def content_key(records: Sequence[ImageRecord], blobs: Sequence[bytes], spec: DecodeSpec) -> str:
    """BLAKE2b-160 hex digest of the settings and every (name, label, bytes)."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(json.dumps({"v": CACHE_VERSION, **asdict(spec)}, sort_keys=True).encode())
    for record, blob in zip(records, blobs):
        digest.update(f"\0{record.name}\0{record.label}\0{len(blob)}\0".encode())
        digest.update(blob)
    return digest.hexdigest()


def decoded_cache_dir() -> Path:
    return cache_dir() / "vision" / "decoded"


def load_decoded(
    records: Sequence[ImageRecord], reader: ByteReader, spec: DecodeSpec, *, use_cache: bool = True
) -> DecodedSet:
    """Decode ``records`` (or memory-map an earlier decode of the same bytes and settings)."""
    blobs = [reader.read(r.name) for r in records]
    key = content_key(records, blobs, spec)
    folder = decoded_cache_dir()
    npy, meta = folder / f"{key}.npy", folder / f"{key}.json"
    if use_cache and npy.is_file() and meta.is_file():
        return _open_cached(npy, meta, records, key)
    pixels, kept, counts, skipped = _decode_all(records, blobs, spec)
    if not use_cache:
        return DecodedSet(torch.from_numpy(pixels), kept, counts, skipped, True, key)
    folder.mkdir(parents=True, exist_ok=True)
    tmp_npy = folder / f".{key}.{os.getpid()}.npy"
    out = np.lib.format.open_memmap(tmp_npy, mode="w+", dtype=pixels.dtype, shape=pixels.shape)
    out[:] = pixels
    out.flush()
    del out
    info = {"kept": [r.name for r in kept], "counts": counts, "skipped": skipped}
    tmp_meta = folder / f".{key}.{os.getpid()}.json"
    tmp_meta.write_text(json.dumps(info))
    os.replace(tmp_npy, npy)
    os.replace(tmp_meta, meta)
    return _open_cached(npy, meta, records, key, decoded=True)


def _open_cached(
    npy: Path, meta: Path, records: Sequence[ImageRecord], key: str, decoded: bool = False
) -> DecodedSet:
    info = json.loads(meta.read_text())
    by_name = {r.name: r for r in records}
    kept = [by_name[name] for name in info["kept"]]
    array = np.load(npy, mmap_mode="c")  # copy-on-write: writable view, file never modified
    skipped = [tuple(s) for s in info["skipped"]]
    return DecodedSet(torch.from_numpy(array), kept, info["counts"], skipped, decoded, key)


def _decode_all(records: Sequence[ImageRecord], blobs: Sequence[bytes], spec: DecodeSpec):
    dtype = np.uint16 if spec.bits == 16 else np.uint8
    pixels = np.empty((len(records), spec.channels, spec.size, spec.size), dtype=dtype)
    kept: list[ImageRecord] = []
    counts: dict[str, int] = {}
    skipped: list[tuple[str, str]] = []
    for record, blob in zip(records, blobs):
        try:
            pixels[len(kept)] = decode_image(blob, spec, counts)
        except SkipImage as exc:
            reason = exc.args[0]
            kind = "skipped_too_small" if "smaller" in reason else "skipped_unreadable"
            counts[kind] = counts.get(kind, 0) + 1
            if len(skipped) < 20:
                skipped.append((record.name, reason))
            log.warning("%s: skipped (%s)", record.name, reason)
            continue
        kept.append(record)
    return pixels[: len(kept)], kept, counts, skipped
