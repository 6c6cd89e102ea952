"""From a run's options to decoded, split, normalized image tensors.

- named datasets resolve through ``data_manifests/vision/<name>.toml`` (the file is verified
  against its sha256); ``--data`` takes a folder, CSV or zip (:mod:`.sources`);
- the official split is kept when the layout has one (``train/`` and ``test/``, a CSV ``split``
  column); otherwise a stratified test share is drawn with a fixed seed (0), the same for every
  training seed; the validation share is always carved from the training split only;
- normalization statistics come from the training images (validation and test excluded).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from panspectra_core.datasets import fetch_file, load_manifest
from panspectra_core.errors import UserError

from .cache import DecodedSet, load_decoded
from .decode import DecodeSpec, SkipImage, read_array
from .loader import Normalizer, channel_stats
from .sources import ImageSource, open_source

log = logging.getLogger("panspectra")
SPLIT_SEED = 0


@dataclass
class Split:
    """Images ``source[index]`` of the decoded set (the memory map is not copied)."""

    source: Tensor  # (N_all, C, S, S) integer, memory-mapped
    index: Tensor  # (N,) long
    labels: Tensor  # (N,) long
    names: list[str]

    def __len__(self) -> int:
        return len(self.index)

    def pixels(self, rows: Tensor | slice | None = None) -> Tensor:
        """Integer pixels of rows ``rows`` of this split (all rows by default), gathered."""
        return self.source[self.index if rows is None else self.index[rows]]


@dataclass
class PreparedData:
    """Everything a run needs from its images."""

    train: Split
    val: Split | None
    test: Split
    class_names: list[str]
    normalizer: Normalizer
    spec: DecodeSpec
    description: str
    info: dict[str, Any] = field(default_factory=dict)

    def preprocessing(self) -> dict[str, Any]:
        """What a checkpoint stores to preprocess new images the same way."""
        return {
            "image_size": self.spec.size,
            "channels": self.spec.channels,
            "bits": self.spec.bits,
            "mean": self.normalizer.mean.flatten().tolist(),
            "std": self.normalizer.std.flatten().tolist(),
            "max_value": self.normalizer.max_value,
            "class_names": self.class_names,
        }


def open_run_source(dataset: str | None, data: Any) -> ImageSource:
    """The image source of ``--dataset`` or ``--data`` (exactly one)."""
    if (dataset is None) == (data is None):
        raise UserError("give exactly one of --dataset NAME or --data PATH")
    if data is not None:
        return open_source(data)
    manifest = load_manifest("vision", dataset)
    path = fetch_file("vision", manifest.name, manifest.files[0].name)
    return open_source(path)


def infer_spec(
    source: ImageSource,
    image_size: int | None,
    channels: int | None,
    min_side: int,
    probe: int = 32,
) -> DecodeSpec:
    """Decode settings: the given size/channels, else the most common side and the largest
    channel count among the first ``probe`` readable images (16-bit if any of them is)."""
    sides, chans, bits = [], [], []
    for record in source.records[:probe]:
        try:
            arr = read_array(source.reader.read(record.name))
        except SkipImage:
            continue
        sides.append(min(arr.shape[:2]))
        chans.append(3 if arr.shape[2] == 4 else arr.shape[2])
        bits.append(16 if arr.dtype.itemsize == 2 else 8)
    if not sides:
        raise UserError(f"{source.description}: none of the first {probe} images can be read")
    size = image_size or Counter(sides).most_common(1)[0][0]
    return DecodeSpec(size=size, channels=channels or max(chans), min_side=min_side, bits=max(bits))


def _stratified(labels: Tensor, fraction: float, seed: int) -> tuple[Tensor, Tensor]:
    """(kept, held out) indices with ``fraction`` of every class held out (at least one of a
    class with 2+ samples)."""
    gen = torch.Generator().manual_seed(seed)
    keep, held = [], []
    for cls in labels.unique():
        idx = (labels == cls).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        n = round(fraction * len(idx))
        n = max(1, n) if len(idx) > 1 and fraction > 0 else n
        held.append(idx[:n])
        keep.append(idx[n:])
    return torch.cat(keep).sort().values, torch.cat(held).sort().values


def _take(decoded: DecodedSet, index: Tensor, labels: Tensor) -> Split:
    names = [decoded.records[i].name for i in index.tolist()]
    return Split(decoded.pixels, index, labels[index], names)


def prepare(cfg: Any) -> PreparedData:
    """Decode (or read from the cache), split and normalize the images of a run."""
    source = open_run_source(cfg.get("dataset"), cfg.get("data"))
    spec = infer_spec(
        source, cfg.get("image_size"), cfg.get("channels"), cfg.get("min_image_side", 4)
    )
    decoded = load_decoded(
        source.records, source.reader, spec, use_cache=not cfg.get("no_cache", False)
    )
    source.reader.close()
    class_names = sorted({r.label for r in decoded.records})
    to_index = {name: i for i, name in enumerate(class_names)}
    labels = torch.tensor([to_index[r.label] for r in decoded.records], dtype=torch.long)
    splits = [r.split for r in decoded.records]
    if any(s is not None for s in splits):
        if "test" not in splits or "train" not in splits:
            raise UserError(
                f"{source.description}: a train/test layout needs both train and test images"
            )
        train_idx = torch.tensor([i for i, s in enumerate(splits) if s != "test"])
        test_idx = torch.tensor([i for i, s in enumerate(splits) if s == "test"])
        protocol = "official train/test split"
    else:
        train_idx, test_idx = _stratified(labels, cfg.get("test_fraction", 0.2), SPLIT_SEED)
        protocol = (
            f"stratified {cfg.get('test_fraction', 0.2):g} test share (split seed {SPLIT_SEED})"
        )
    val = None
    val_fraction = cfg.get("val_fraction", 0.0)
    if val_fraction > 0:
        keep, held = _stratified(labels[train_idx], val_fraction, SPLIT_SEED + 1)
        train_idx, val_idx = train_idx[keep], train_idx[held]
        val = _take(decoded, val_idx, labels)
    train = _take(decoded, train_idx, labels)
    mean, std = channel_stats(train.source, 65535.0 if spec.bits == 16 else 255.0, train.index)
    normalizer = Normalizer(mean, std, 65535.0 if spec.bits == 16 else 255.0)
    info = {
        "protocol": protocol,
        "n_train": len(train.labels),
        "n_val": 0 if val is None else len(val.labels),
        "n_test": len(test_idx),
        "decoded_now": decoded.decoded,
        "cache_key": decoded.key,
        **{f"images_{k}": v for k, v in decoded.counts.items()},
    }
    if decoded.skipped:
        info["skipped_examples"] = [f"{name}: {why}" for name, why in decoded.skipped[:5]]
    return PreparedData(
        train,
        val,
        _take(decoded, test_idx, labels),
        class_names,
        normalizer,
        spec,
        source.description,
        info,
    )
