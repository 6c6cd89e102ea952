"""Where a user's images come from: an ImageFolder tree, a CSV of ``path,label``, or a zip
holding either (read member by member, never unpacked to disk).

A source is a list of :class:`ImageRecord` (a name for messages and outputs, a label or None)
plus a :class:`ByteReader` that returns the raw bytes of one record. Layouts:

- folder: ``ROOT/<class>/<image>`` (torchvision ``ImageFolder``); with ``train/`` and ``test/``
  sub-folders (``ROOT/train/<class>/...``) the official split is kept;
- CSV: a header with ``path`` and ``label`` columns, paths relative to the CSV's folder;
- zip: either layout inside (a single top-level folder is looked through), or a ``*.csv``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from panspectra_core.errors import UserError

#: file suffixes read as images (Pillow decodes them)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".ppm")
SPLITS = ("train", "test")


@dataclass(frozen=True)
class ImageRecord:
    """One image: ``name`` (relative path or zip member), ``label`` (class name or None),
    ``split`` (``train``/``test`` when the layout fixes it, else None)."""

    name: str
    label: str | None = None
    split: str | None = None


class ByteReader:
    """Raw bytes of images below a folder or inside a zip (opened lazily, one handle)."""

    def __init__(self, root: Path, zip_path: Path | None = None) -> None:
        self.root, self.zip_path = root, zip_path
        self._zip: zipfile.ZipFile | None = None

    def read(self, name: str) -> bytes:
        if self.zip_path is None:
            return (self.root / name).read_bytes()
        if self._zip is None:
            self._zip = zipfile.ZipFile(self.zip_path)
        return self._zip.read(name)

    def identity(self) -> str:
        """The container for messages: ``archive.zip`` or the folder."""
        return str(self.zip_path or self.root)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


@dataclass
class ImageSource:
    """A listing of images with a reader for their bytes."""

    records: list[ImageRecord]
    reader: ByteReader
    description: str

    def class_names(self) -> list[str]:
        return sorted({r.label for r in self.records if r.label is not None})

    def split(self, name: str) -> list[ImageRecord]:
        return [r for r in self.records if r.split == name]


def is_image_name(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES) and not PurePosixPath(name).name.startswith(".")


def open_source(path: str | Path, *, labelled: bool = True) -> ImageSource:
    """List the images of a folder, CSV or zip (see the module docs).

    With ``labelled=False`` (prediction) any image file anywhere below counts, label None; a
    single image file is accepted too.

    Raises:
        UserError: missing path, unknown layout, empty class folder, CSV naming a missing file.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".zip":
        return _zip_source(path, labelled)
    if path.is_file() and path.suffix.lower() == ".csv":
        return _csv_source(
            path.read_text(encoding="utf-8-sig"),
            path.name,
            ByteReader(path.parent),
            _exists_on_disk(path.parent),
        )
    if path.is_file():
        if not is_image_name(path.name) or labelled:
            raise UserError(f"{path}: expected a folder of class sub-folders, a CSV or a zip")
        return ImageSource([ImageRecord(path.name)], ByteReader(path.parent), str(path))
    files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    dirs = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_dir())
    return _tree_source(files, dirs, ByteReader(path), str(path), labelled)


def _exists_on_disk(root: Path):
    return lambda name: (root / name).is_file()


def _zip_source(path: Path, labelled: bool) -> ImageSource:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            csvs = [i.filename for i in infos if i.filename.lower().endswith(".csv")]
            if labelled and len(csvs) == 1:
                text = zf.read(csvs[0]).decode("utf-8-sig")
                members = {i.filename for i in infos}
                base = str(PurePosixPath(csvs[0]).parent)
                base = "" if base == "." else base + "/"
                source = _csv_source(
                    text,
                    f"{path.name}:{csvs[0]}",
                    ByteReader(path, path),
                    members.__contains__,
                    base,
                )
                return source
    except zipfile.BadZipFile:
        raise UserError(f"{path}: not a readable zip file") from None
    files = [i.filename for i in infos if not i.is_dir()]
    dirs = sorted({str(PurePosixPath(f).parent) for f in files} - {"."})
    dirs += [i.filename.rstrip("/") for i in infos if i.is_dir()]
    return _tree_source(files, sorted(set(dirs)), ByteReader(path, path), str(path), labelled)


def _strip_single_top(files: Sequence[str], dirs: Sequence[str]) -> str:
    """A lone top-level folder holding everything (``cifar10/train/...``) is looked through."""
    tops = {f.split("/", 1)[0] for f in files if "/" in f}
    loose = [f for f in files if "/" not in f and is_image_name(f)]
    if len(tops) == 1 and not loose:
        top = next(iter(tops))
        if top.lower() not in SPLITS and not _looks_like_classes(files, top):
            return top + "/"
    return ""


def _looks_like_classes(files: Sequence[str], top: str) -> bool:
    """True when images sit directly in ``top/`` (then ``top`` is itself a class)."""
    return any(f.count("/") == 1 and f.startswith(top + "/") and is_image_name(f) for f in files)


def _tree_source(
    files: Sequence[str], dirs: Sequence[str], reader: ByteReader, where: str, labelled: bool
) -> ImageSource:
    if not labelled:
        records = [ImageRecord(f) for f in sorted(files) if is_image_name(f)]
        if not records:
            raise UserError(f"{where}: no image files ({', '.join(IMAGE_SUFFIXES)}) found")
        return ImageSource(records, reader, where)
    prefix = _strip_single_top(files, dirs)
    rel = [f[len(prefix) :] for f in files if f.startswith(prefix)]
    rel_dirs = [d[len(prefix) :] for d in dirs if d.startswith(prefix) and len(d) > len(prefix)]
    split_layout = any(f.split("/", 1)[0].lower() in SPLITS and f.count("/") == 2 for f in rel)
    records, class_dirs = [], set()
    for f in sorted(rel):
        parts = f.split("/")
        if not is_image_name(f):
            continue
        if split_layout and len(parts) == 3 and parts[0].lower() in SPLITS:
            records.append(ImageRecord(prefix + f, parts[1], parts[0].lower()))
        elif not split_layout and len(parts) == 2:
            records.append(ImageRecord(prefix + f, parts[0]))
    for d in rel_dirs:
        parts = d.split("/")
        if split_layout and len(parts) == 2 and parts[0].lower() in SPLITS:
            class_dirs.add((parts[0].lower(), parts[1]))
        elif not split_layout and len(parts) == 1:
            class_dirs.add((None, parts[0]))
    _check_classes(records, class_dirs, where)
    return ImageSource(records, reader, where)


def _check_classes(records: list[ImageRecord], class_dirs: set, where: str) -> None:
    if not records:
        raise UserError(
            f"{where}: no images in class sub-folders; expected ROOT/<class>/<image> "
            "(or ROOT/train/<class>/..., a CSV with path,label columns, or a zip of either)"
        )
    filled = {(r.split, r.label) for r in records}
    for split, name in sorted(class_dirs, key=str):
        if (split, name) not in filled:
            shown = f"{split}/{name}" if split else name
            raise UserError(
                f"{where}: class folder {shown!r} holds no images; remove it or add images"
            )
    if len({r.label for r in records}) < 2:
        raise UserError(f"{where}: found one class only ({records[0].label!r}); need at least 2")


def _csv_source(text: str, where: str, reader: ByteReader, exists, base: str = "") -> ImageSource:
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or not {"path", "label"} <= set(rows[0]):
        raise UserError(f"{where}: expected a header with 'path' and 'label' columns")
    records = []
    for line, row in enumerate(rows, start=2):
        name = base + (row["path"] or "").strip().replace("\\", "/")
        label = (row["label"] or "").strip()
        if not label:
            raise UserError(f"{where}: line {line}: empty label")
        if not exists(name):
            raise UserError(f"{where}: line {line}: image {row['path']!r} does not exist")
        split = (row.get("split") or "").strip().lower() or None
        if split is not None and split not in SPLITS:
            raise UserError(f"{where}: line {line}: split {split!r}; expected train or test")
        records.append(ImageRecord(name, label, split))
    _check_classes(records, set(), where)
    return ImageSource(records, reader, where)
