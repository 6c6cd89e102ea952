"""A user's own audio: labelled files, paired noisy/clean folders and mixture CSVs.

- Classification: a folder with one sub-folder per class (``root/<label>/*.wav``), or a CSV
  with columns ``path,label`` (paths relative to the CSV's folder).
- Enhancement: a folder holding ``noisy/`` and ``clean/`` with the same file names, or a CSV
  ``mixture,source1`` (enhancement) / ``mixture,source1,source2`` (separation).

Only the listing is done here; files are read (and checked) by the datasets when used, so a
folder of thousands of files streams through a DataLoader.
"""

from __future__ import annotations

import csv
from pathlib import Path

from panspectra_core.errors import UserError

from ..audio_io import audio_files, is_audio_file


def labelled_files(source: Path) -> tuple[list[Path], list[str]]:
    """``(paths, labels)`` from a folder of class sub-folders or a ``path,label`` CSV."""
    source = Path(source)
    if source.is_dir():
        return _class_folders(source)
    if source.is_file() and source.suffix.lower() == ".csv":
        rows = _csv_rows(source, ("path", "label"))
        return [_relative(source, r["path"], "path") for r in rows], [r["label"] for r in rows]
    raise UserError(f"--data {source}: expected a folder of class sub-folders or a .csv file")


def _class_folders(root: Path) -> tuple[list[Path], list[str]]:
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise UserError(f"{root}: {len(classes)} class sub-folder(s); expected at least 2")
    paths, labels = [], []
    for folder in classes:
        files = sorted(p for p in folder.rglob("*") if is_audio_file(p))
        if not files:
            raise UserError(f"{folder}: class {folder.name!r} has no audio files")
        paths += files
        labels += [folder.name] * len(files)
    return paths, labels


def _csv_rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with open(path, newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"{path}: cannot read CSV ({exc})") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise UserError(f"{path}: columns {header}; expected {', '.join(required)}")
    if not rows:
        raise UserError(f"{path}: no rows; expected at least one")
    for number, row in enumerate(rows, start=2):
        empty = [c for c in required if not row.get(c)]
        if empty:
            raise UserError(f"{path}: line {number}: empty {', '.join(empty)}")
    return rows


def _relative(csv_path: Path, value: str, column: str) -> Path:
    path = Path(value)
    path = path if path.is_absolute() else csv_path.parent / path
    if not path.is_file():
        raise UserError(f"{csv_path}: {column} {value!r} not found ({path})")
    return path


def paired_files(source: Path, num_sources: int) -> list[tuple[Path, list[Path]]]:
    """``[(mixture, [source1, ...]), ...]`` from ``noisy/`` + ``clean/`` folders (one source)
    or a CSV ``mixture,source1[,source2]``."""
    source = Path(source)
    columns = ("mixture", *(f"source{i + 1}" for i in range(num_sources)))
    expected = "a CSV " + ",".join(columns)
    if num_sources == 1:
        expected = "a folder with noisy/ and clean/ or " + expected
    if not source.exists():
        raise UserError(f"--data {source}: no such file or folder; expected {expected}")
    if source.is_file() and source.suffix.lower() == ".csv":
        rows = _csv_rows(source, columns)
        return [
            (
                _relative(source, r["mixture"], "mixture"),
                [_relative(source, r[c], c) for c in columns[1:]],
            )
            for r in rows
        ]
    if not source.is_dir() or num_sources != 1:
        raise UserError(f"--data {source}: expected {expected}")
    noisy, clean = source / "noisy", source / "clean"
    for folder in (noisy, clean):
        if not folder.is_dir():
            raise UserError(f"{source}: no {folder.name}/ folder; expected noisy/ and clean/")
    pairs = []
    for path in audio_files(noisy):
        reference = clean / path.name
        if not reference.is_file():
            raise UserError(f"{path}: no clean file of the same name ({reference})")
        pairs.append((path, [reference]))
    return pairs
