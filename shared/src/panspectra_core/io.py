"""Atomic file and directory output: nothing half-written is ever left at the final path.

A training run's resumable progress (Lightning's ``last.ckpt``) lives at a predictable place,
``DIR/.progress/``, while the run's outputs are staged in ``.DIR.partial-HOST-PID-*`` beside
it; a finished run replaces ``DIR`` (progress included) with its staging folder.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError

PROGRESS_DIR = ".progress"
"""Name of the folder under ``--output`` that keeps an unfinished run's progress."""

_ACTIVE: dict[Path, OutputDir] = {}  # staging dir -> the OutputDir that owns it


def _host() -> str:
    return "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:32] or "host"


def check_writable_parent(path: str | os.PathLike[str], field: str = "--output") -> None:
    """Raise :class:`UserError` unless a file or folder can be created at ``path``.

    Walks up to the nearest existing ancestor and creates (then removes) a probe folder in it,
    so an unwritable place (``/proc/x``, a read-only mount, no permission) is refused in one
    line before any work is done.
    """
    path = Path(path).absolute()
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserError(f"{field} {path}: {ancestor} is not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".panspectra-probe-", dir=ancestor))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserError(f"{field} {path}: cannot write in {ancestor} ({reason})") from None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    The temporary file keeps the final suffix (so writers that look at the extension, e.g.
    rasterio or pandas, behave), and is removed if the block raises — any exception,
    ``KeyboardInterrupt`` and ``SystemExit`` included. A writer that leaves sidecar files
    beside the temporary path (GDAL's ``.aux.xml``) has them removed too. The temporary name
    ``.STEM.HOST-PID-*.partial.SUFFIX`` names its process, so the file of a killed process is
    removed by the next :func:`check_output_file` of the same output
    (:func:`remove_stale_partials`).
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.stem}.{_host()}-{os.getpid()}-",
            suffix=f".partial{path.suffix}",
            dir=path.parent,
        )
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror or exc})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        umask = os.umask(0)
        os.umask(umask)
        tmp_path.chmod(0o666 & ~umask)  # mkstemp creates 0600
        os.replace(tmp_path, path)
    finally:
        for leftover in (tmp_path, *tmp_path.parent.glob(f"{glob.escape(tmp_path.name)}.*")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


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

    Raises :class:`UserError` if the file exists and ``overwrite`` is false or is a directory,
    or if it cannot be written there; a missing parent directory is created.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise UserError(f"{path} exists; pass --overwrite to replace it")
    if path.is_dir():
        raise UserError(f"{path} is a directory; expected a file path")
    if path.parent.exists() and not path.parent.is_dir():
        raise UserError(f"{path}: {path.parent} is not a directory")
    check_writable_parent(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(path)
    return path


def _stale(candidate: Path, prefix: str) -> bool:
    """Whether ``candidate`` (named ``PREFIX<pid>-...``) was made by a process now gone."""
    pid = candidate.name[len(prefix) :].split("-")[0]
    return pid.isdigit() and not _pid_alive(int(pid))


def remove_stale_partials(path: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files of :func:`atomic_write` for ``path`` that a killed process
    of this host left behind (their sidecars included); returns what was removed."""
    path = Path(path)
    prefix = f".{path.stem}.{_host()}-"
    removed = []
    for candidate in path.parent.glob(f"{glob.escape(prefix)}*.partial{glob.escape(path.suffix)}*"):
        if candidate.is_file() and _stale(candidate, prefix):
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_staging(path: str | os.PathLike[str]) -> list[Path]:
    """Delete the staging folders (``.NAME.partial-HOST-PID-*``, ``.NAME.old-HOST-PID``) that
    a killed run of ``path`` left beside it; returns what was removed.

    Only folders made on this host by a process that no longer exists are touched, so a run
    still writing into the same output (or one on another machine sharing the disk) is safe.
    """
    path = Path(path)
    removed = []
    if not path.parent.is_dir():
        return removed
    host = _host()
    for kind in ("partial", "old"):
        prefix = f".{path.name}.{kind}-{host}-"
        for candidate in path.parent.glob(f"{glob.escape(prefix)}*"):
            if candidate.is_dir() and _stale(candidate, prefix):
                shutil.rmtree(candidate, ignore_errors=True)
                removed.append(candidate)
    return removed


def progress_dir_for(workdir: str | os.PathLike[str]) -> Path | None:
    """Where a training ``workdir`` inside an active :class:`OutputDir` staging folder keeps
    its resumable progress: ``DIR/.progress/<workdir relative to the staging folder>``;
    None when ``workdir`` is not inside one."""
    workdir = Path(workdir).absolute()
    for staging, owner in _ACTIVE.items():
        if workdir == staging or staging in workdir.parents:
            return owner.progress / workdir.relative_to(staging)
    return None


def _only_progress(path: Path) -> bool:
    return [p.name for p in path.iterdir()] == [PROGRESS_DIR]


class OutputDir:
    """Stage a run's outputs and move them into place only when the run succeeds.

    Usage::

        with OutputDir(args.output, overwrite=args.overwrite, resume=args.resume) as out:
            (out / "metrics.json").write_text(...)

    The checks happen in ``__init__`` — before any work — and raise :class:`UserError`: an
    existing non-empty directory needs ``overwrite``; one holding only an interrupted run's
    progress (``DIR/.progress``) needs ``resume`` (continue) or ``overwrite`` (start over);
    ``resume`` of a finished run is refused; an unwritable place is refused. Inside the block
    ``out`` is a staging directory beside the final one; training under it keeps its progress
    in :attr:`progress` (:func:`progress_dir_for`), which survives a crash or a kill. On
    success the staging directory replaces the final one (the old one, progress included, is
    removed only then); on an exception it is deleted, and so is the progress folder when
    nothing was saved in it. Staging folders of killed runs of the same output are removed on
    entry (:func:`remove_stale_staging`).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, overwrite: bool = False, resume: bool = False
    ) -> None:
        self.path = Path(path)
        self.resume = resume
        self.overwrite = overwrite
        self.progress = self.path / PROGRESS_DIR
        """``DIR/.progress``: Lightning's ``last.ckpt`` of every training run in the block
        (made by the first checkpoint written there)."""
        if self.path.exists() and not self.path.is_dir():
            raise UserError(f"--output {self.path} exists and is not a directory")
        if self.path.parent.exists() and not self.path.parent.is_dir():
            raise UserError(f"--output {self.path}: {self.path.parent} is not a directory")
        if self.path.is_dir() and any(self.path.iterdir()):
            self._check_existing(overwrite, resume)
        check_writable_parent(self.path)
        self.staging: Path | None = None
        self._created: list[Path] = []

    def _check_existing(self, overwrite: bool, resume: bool) -> None:
        interrupted = self.progress.is_dir()
        if interrupted and _only_progress(self.path) and not (overwrite or resume):
            raise UserError(
                f"--output {self.path} holds an interrupted run ({PROGRESS_DIR}/); pass "
                "--resume to continue it or --overwrite to start over"
            )
        if resume and not interrupted:
            raise UserError(
                f"--resume: {self.path} holds a finished run (no {PROGRESS_DIR}/ to continue "
                "from); pass --overwrite to train again"
            )
        if not (overwrite or resume):
            raise UserError(f"--output {self.path} exists and is not empty; pass --overwrite")

    def __enter__(self) -> Path:
        self._created = [p for p in (*reversed(self.path.parents), self.path) if not p.exists()]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # `mkdir -p` for runs/NAME
            remove_stale_staging(self.path)
            self.staging = Path(
                tempfile.mkdtemp(
                    prefix=f".{self.path.name}.partial-{_host()}-{os.getpid()}-",
                    dir=self.path.parent,
                )
            ).absolute()
            if not self.resume and self.progress.exists():  # --overwrite: start over
                shutil.rmtree(self.progress)
                if not any(self.path.iterdir()):  # it held only our progress
                    self._created.append(self.path)
        except OSError as exc:
            self._discard()
            raise UserError(f"--output {self.path}: cannot write ({exc.strerror or exc})") from None
        if self.resume and self.path.is_dir():  # continue from the previous run's files
            shutil.copytree(
                self.path,
                self.staging,
                dirs_exist_ok=True,
                ignore=lambda d, names: [PROGRESS_DIR] if Path(d) == self.path else [],
            )
        _ACTIVE[self.staging] = self
        return self.staging

    def _discard(self) -> None:
        """Remove the staging folder, an empty progress folder and the folders we created."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
        if self.progress.is_dir() and not any(p.is_file() for p in self.progress.rglob("*")):
            shutil.rmtree(self.progress, ignore_errors=True)
        for folder in reversed(self._created):  # deepest first; only if still empty
            with contextlib.suppress(OSError):
                folder.rmdir()

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.staging is not None
        _ACTIVE.pop(self.staging, None)
        if exc_type is not None:
            self._discard()
            return
        old = None
        if self.path.exists():
            old = self.path.with_name(f".{self.path.name}.old-{_host()}-{os.getpid()}")
            os.replace(self.path, old)
        os.replace(self.staging, self.path)
        self.path.chmod(0o755)  # mkdtemp creates 0700
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
