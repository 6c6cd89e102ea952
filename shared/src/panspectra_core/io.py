"""Atomic file and directory output: nothing half-written is ever left at the final path."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    The temporary file keeps the final suffix (so writers that look at the extension, e.g.
    rasterio or pandas, behave), and is removed if the block raises.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=path.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        tmp_path.chmod(0o666 & ~umask)  # mkstemp creates 0600
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically (NaN/inf are written as null)."""
    text = json.dumps(_json_safe(obj), indent=2, sort_keys=False)
    with atomic_write(path) as tmp:
        tmp.write_text(text + "\n")
    return Path(path)


def _json_safe(obj: Any) -> Any:
    """Convert numpy/torch scalars and arrays, paths and non-finite floats for JSON."""
    import math

    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy arrays/scalars, torch tensors
        return _json_safe(obj.tolist())
    return obj


def check_output_file(path: str | os.PathLike[str], overwrite: bool) -> Path:
    """Validate a single-file output path before any work is done.

    Raises :class:`UserError` if the file exists and ``overwrite`` is false or is a directory;
    a missing parent directory is created.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise UserError(f"{path} exists; pass --overwrite to replace it")
    if path.is_dir():
        raise UserError(f"{path} is a directory; expected a file path")
    if path.parent.exists() and not path.parent.is_dir():
        raise UserError(f"{path}: {path.parent} is not a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


class OutputDir:
    """Stage a run's outputs and move them into place only when the run succeeds.

    Usage::

        with OutputDir(args.output, overwrite=args.overwrite) as out:
            (out / "metrics.json").write_text(...)

    The check for an existing non-empty directory happens in ``__init__`` — before any work —
    and raises :class:`UserError` without ``overwrite``. Inside the block ``out`` is a staging
    directory beside the final one (with ``resume``, pre-filled with the existing run's files);
    on success it replaces the final directory (the old one is
    removed only then); on an exception it is deleted, so no half-written outputs remain.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False
    ) -> None:
        self.path = Path(path)
        self.resume = resume
        if self.path.exists() and not self.path.is_dir():
            raise UserError(f"--output {self.path} exists and is not a directory")
        if self.path.is_dir() and any(self.path.iterdir()) and not (overwrite or resume):
            raise UserError(f"--output {self.path} exists and is not empty; pass --overwrite")
        if self.path.parent.exists() and not self.path.parent.is_dir():
            raise UserError(f"--output {self.path}: {self.path.parent} is not a directory")
        self.staging: Path | None = None

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)  # like `mkdir -p` for runs/NAME
        self.staging = Path(
            tempfile.mkdtemp(prefix=f".{self.path.name}.partial-", dir=self.path.parent)
        )
        if self.resume and self.path.is_dir():  # continue from the previous run's files
            shutil.copytree(self.path, self.staging, dirs_exist_ok=True)
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.staging is not None
        if exc_type is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            return
        old = None
        if self.path.exists():
            old = self.path.with_name(f".{self.path.name}.old-{os.getpid()}")
            os.replace(self.path, old)
        os.replace(self.staging, self.path)
        self.path.chmod(0o755)  # mkdtemp creates 0700
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
