"""Named audio datasets (``data_manifests/audio/*.toml``): resolution and the standard protocols.

- ``fsdd`` — Free Spoken Digit Dataset (Jackson et al., Zenodo 10.5281/zenodo.1342401): files
  ``recordings/{digit}_{speaker}_{index}.wav``. Official split: index 0-4 of every speaker and
  digit is the test set (300 files), 5-49 train (2700). Leave-one-speaker-out: 6 folds.
- ``noizeus`` — NOIZEUS (Hu & Loizou 2007): ``clean/spNN.wav`` and
  ``noisy/{noise}_{snr}dB/spNN_{noise}_sn{snr}.wav``, sample-aligned. Protocol: sentences
  sp01-sp20 train, sp21-sp30 test, every noise type and SNR.

The manifest lists every file with its sha256; a local copy under ``$PANSPECTRA_DATA`` is checked
file by file (size and hash) in one pass, and only the missing files go through the core's
per-file download (:func:`panspectra_core.datasets.fetch_file`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from panspectra_core.datasets import (
    DatasetError,
    cache_dir,
    fetch_file,
    load_manifest,
    sha256sum,
)

FSDD_NAME = re.compile(r"^(\d)_([a-z]+)_(\d+)\.wav$")
NOIZEUS_NOISY = re.compile(r"^sp(\d\d)_([a-z]+)_sn(\d+)\.wav$")


def resolve_named(name: str) -> dict[str, Path]:
    """Verified local paths of every file of the named dataset ``name`` (manifest file name →
    path); missing files are downloaded into the cache, a hash mismatch is refused."""
    manifest = load_manifest("audio", name)
    roots = []
    data_root = os.environ.get("PANSPECTRA_DATA")
    if data_root and manifest.shared_path:
        roots.append(Path(data_root) / manifest.shared_path)
    roots.append(cache_dir() / "audio" / manifest.name)
    paths: dict[str, Path] = {}
    for spec in manifest.files:
        found = next((r / spec.name for r in roots if (r / spec.name).is_file()), None)
        if found is None:
            found = fetch_file("audio", manifest.name, spec.name)
        elif (spec.size is not None and found.stat().st_size != spec.size) or (
            spec.sha256 and sha256sum(found) != spec.sha256
        ):
            raise DatasetError(
                f"{found}: sha256/size does not match the manifest of {manifest.name} "
                f"(expected {spec.sha256[:12]}…); remove or replace the file"
            )
        paths[spec.name] = found
    return paths


@dataclass(frozen=True)
class FsddItem:
    """One FSDD recording: its path, digit (the class), speaker and take index."""

    path: Path
    digit: int
    speaker: str
    index: int


def fsdd_items() -> list[FsddItem]:
    """All 3000 FSDD recordings, sorted by file name."""
    items = []
    for name, path in sorted(resolve_named("fsdd").items()):
        match = FSDD_NAME.match(Path(name).name)
        if match is None:
            raise DatasetError(f"{path}: not an FSDD file name (digit_speaker_index.wav)")
        items.append(FsddItem(path, int(match[1]), match[2], int(match[3])))
    return items


def fsdd_official_split(items: list[FsddItem]) -> tuple[list[FsddItem], list[FsddItem]]:
    """(train, test): index 5-49 / 0-4 of every speaker and digit (the dataset's README)."""
    test_indices = set(load_manifest("audio", "fsdd").protocol.get("test_indices", range(5)))
    return (
        [i for i in items if i.index not in test_indices],
        [i for i in items if i.index in test_indices],
    )


def fsdd_speakers(items: list[FsddItem]) -> list[str]:
    return sorted({i.speaker for i in items})


@dataclass(frozen=True)
class NoizeusPair:
    """One NOIZEUS noisy file with its clean reference, noise type, nominal SNR and sentence."""

    noisy: Path
    clean: Path
    noise: str
    snr_db: int
    sentence: int


def noizeus_pairs() -> list[NoizeusPair]:
    """All 720 noisy/clean pairs of the NOIZEUS copy, sorted by condition and sentence."""
    paths = resolve_named("noizeus")
    pairs = []
    for name, path in sorted(paths.items()):
        match = NOIZEUS_NOISY.match(Path(name).name)
        if not name.startswith("noisy/") or match is None:
            continue
        clean = paths[f"clean/sp{match[1]}.wav"]
        pairs.append(NoizeusPair(path, clean, match[2], int(match[3]), int(match[1])))
    return pairs


def noizeus_split(pairs: list[NoizeusPair]) -> tuple[list[NoizeusPair], list[NoizeusPair]]:
    """(train, test) by sentence: sp01-sp20 / sp21-sp30 (no test sentence is ever trained on)."""
    first, last = load_manifest("audio", "noizeus").protocol.get("test_sentences", [21, 30])
    test = [p for p in pairs if first <= p.sentence <= last]
    return [p for p in pairs if not first <= p.sentence <= last], test
