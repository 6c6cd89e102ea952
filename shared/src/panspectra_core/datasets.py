"""Named datasets: TOML manifests, local resolution, cached download with hash check.

A manifest ``data_manifests/<domain>/<name>.toml`` declares the files of a dataset::

    name = "ETTh1"
    domain = "ts"
    title = "Electricity Transformer Temperature, hourly, transformer 1"
    license = "CC BY-ND 4.0"
    citation = "Zhou et al., Informer, AAAI 2021"
    shared_path = "timeseries/ETTh1"          # relative to $PANSPECTRA_DATA
    how_to_get = "pip install ... or set PANSPECTRA_DATA"   # shown when nothing is found
    [[files]]
    name = "ETTh1.csv"
    sha256 = "f18de3ad..."
    size = 2589657
    url = "https://..."                        # optional: files without url are never downloaded
    [format]    # free-form: columns, keys, class names, wavelengths ...
    [protocol]  # free-form: the standard split

Each file is resolved, first *present* copy wins, and always checked against its sha256:

1. ``$PANSPECTRA_DATA/<shared_path>/<file>`` (the dev tooling points this at ``../shared/data``);
2. any ``extra_dirs`` the domain passes (e.g. a copy shipped inside a PyPI wheel);
3. the user cache ``$PANSPECTRA_CACHE`` or ``pooch.os_cache("panspectra")`` / ``<domain>/<name>``;
4. a download with pooch into that cache, refused on a hash mismatch.

A copy that is present and fails its size or hash is an error naming it: the next place is
tried only when the earlier ones are absent. :func:`resolve_file` says which place served
the file and its sha256 (:class:`ResolvedFile`, for ``metrics.json``).

Manifests are found in the installed domain package (``panspectra_<domain>/data_manifests``,
copied there at install time) or in the repository's ``data_manifests/`` (source checkouts).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError


class DatasetError(UserError):
    """A dataset that is unknown, missing locally and not downloadable, or fails its hash."""


@dataclass(frozen=True)
class DataFile:
    name: str
    sha256: str = ""
    size: int | None = None
    url: str | None = None


@dataclass
class DatasetManifest:
    name: str
    domain: str
    title: str = ""
    files: list[DataFile] = field(default_factory=list)
    license: str = ""
    citation: str = ""
    shared_path: str | None = None
    how_to_get: str = ""
    format: dict[str, Any] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def file(self, filename: str) -> DataFile:
        for f in self.files:
            if f.name == filename:
                return f
        raise DatasetError(f"dataset {self.name!r} has no file {filename!r}")


def _manifest_dirs(domain: str) -> list[Path]:
    dirs = []
    env = os.environ.get("PANSPECTRA_MANIFESTS")
    if env:
        dirs.append(Path(env) / domain)
    try:
        packaged = importlib.resources.files(f"panspectra_{domain}") / "data_manifests"
        dirs.append(Path(str(packaged)))
    except ModuleNotFoundError:
        pass
    repo = Path(__file__).resolve().parents[3] / "data_manifests" / domain  # source checkout
    dirs.append(repo)
    return [d for d in dirs if d.is_dir()]


def list_datasets(domain: str) -> list[str]:
    """Names of the datasets with a manifest for ``domain``."""
    names = {p.stem for d in _manifest_dirs(domain) for p in d.glob("*.toml")}
    return sorted(names, key=str.lower)


def load_manifest(domain: str, name: str) -> DatasetManifest:
    """Parse ``<name>.toml`` of ``domain`` (case-insensitive name)."""
    for directory in _manifest_dirs(domain):
        for path in directory.glob("*.toml"):
            if path.stem.lower() == name.lower():
                return _parse_manifest(path, domain)
    known = ", ".join(list_datasets(domain)) or "none"
    raise DatasetError(f"unknown {domain} dataset {name!r}; known: {known}")


def _parse_manifest(path: Path, domain: str) -> DatasetManifest:
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise DatasetError(f"{path}: invalid TOML ({exc})") from None
    files = [
        DataFile(f["name"], f.get("sha256", ""), f.get("size"), f.get("url") or None)
        for f in raw.get("files", [])
    ]
    return DatasetManifest(
        name=raw.get("name", path.stem),
        domain=raw.get("domain", domain),
        title=raw.get("title", ""),
        files=files,
        license=raw.get("license", ""),
        citation=raw.get("citation", ""),
        shared_path=raw.get("shared_path"),
        how_to_get=raw.get("how_to_get", ""),
        format=raw.get("format", {}),
        protocol=raw.get("protocol", {}),
        raw=raw,
    )


def cache_dir() -> Path:
    """The user cache root (``$PANSPECTRA_CACHE`` or the OS cache dir)."""
    env = os.environ.get("PANSPECTRA_CACHE")
    if env:
        return Path(env)
    import pooch

    return Path(pooch.os_cache("panspectra"))


def sha256sum(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ResolvedFile:
    """Where one file of a named dataset came from: ``source`` is ``"PANSPECTRA_DATA"``,
    ``"extra:<dir>"`` (a domain's extra folder, e.g. a wheel's copy), ``"cache"`` or
    ``"download"``; ``sha256`` is the digest of the file as read (always checked against the
    manifest when the manifest has one)."""

    file: str
    path: Path
    source: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready: ``{"file", "path", "source", "sha256"}``."""
        return {
            "file": self.file,
            "path": str(self.path),
            "source": self.source,
            "sha256": self.sha256,
        }


def _check_copy(path: Path, spec: DataFile, dataset: str) -> str:
    """The sha256 of a present copy; DatasetError naming it when its size or hash is wrong."""
    size = path.stat().st_size
    if spec.size is not None and size != spec.size:
        raise DatasetError(
            f"{path}: size {size} does not match the manifest of {dataset} ({spec.size} bytes); "
            "the file is corrupted or another version: remove or replace it"
        )
    digest = sha256sum(path)
    if spec.sha256 and digest != spec.sha256:
        raise DatasetError(
            f"{path}: sha256/size does not match the manifest of {dataset} (sha256 "
            f"{digest[:12]}…, expected {spec.sha256[:12]}…); the file is corrupted or another "
            "version: remove or replace it"
        )
    return digest


def resolve_file(
    domain: str,
    name: str,
    filename: str,
    *,
    extra_dirs: Iterable[str | os.PathLike[str]] = (),
    download: bool = True,
) -> ResolvedFile:
    """Resolve one file of a named dataset to a verified local copy (see module docs)."""
    manifest = load_manifest(domain, name)
    spec = manifest.file(filename)
    candidates: list[tuple[str, Path]] = []
    data_root = os.environ.get("PANSPECTRA_DATA")
    if data_root and manifest.shared_path:
        candidates.append(("PANSPECTRA_DATA", Path(data_root) / manifest.shared_path / filename))
    candidates += [(f"extra:{d}", Path(d) / filename) for d in extra_dirs]
    cached = cache_dir() / domain / manifest.name / filename
    candidates.append(("cache", cached))
    for source, candidate in candidates:
        if candidate.exists():  # present: it must verify, never silently skipped
            if not candidate.is_file():
                raise DatasetError(
                    f"{candidate}: expected a file of {manifest.name}, found a folder"
                )
            return ResolvedFile(
                filename, candidate, source, _check_copy(candidate, spec, manifest.name)
            )
    if not download or not spec.url:
        hint = manifest.how_to_get or "set PANSPECTRA_DATA to a folder holding it"
        raise DatasetError(f"{manifest.name}: {filename} not found locally; {hint}")
    if not spec.sha256:
        raise DatasetError(
            f"{manifest.name}: {filename} has no sha256 in its manifest, refusing to download "
            f"unverified data; download {spec.url} yourself and set PANSPECTRA_DATA"
        )
    return ResolvedFile(filename, _download(spec, cached), "download", spec.sha256)


def fetch_file(
    domain: str,
    name: str,
    filename: str,
    *,
    extra_dirs: Iterable[str | os.PathLike[str]] = (),
    download: bool = True,
) -> Path:
    """The verified local path of one file of a named dataset (:func:`resolve_file`)."""
    return resolve_file(domain, name, filename, extra_dirs=extra_dirs, download=download).path


def _download(spec: DataFile, target: Path) -> Path:
    import pooch

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        path = pooch.retrieve(
            spec.url,
            known_hash=f"sha256:{spec.sha256}",
            fname=target.name,
            path=target.parent,
            progressbar=False,
        )
    except ValueError as exc:  # pooch raises ValueError on hash mismatch
        raise DatasetError(f"{spec.url}: downloaded file failed its hash check ({exc})") from None
    except Exception as exc:  # network errors: one line, not a traceback
        raise DatasetError(
            f"{spec.url}: download failed ({type(exc).__name__}); "
            "check the network or set PANSPECTRA_DATA to a local copy"
        ) from None
    return Path(path)


def fetch_dataset(
    domain: str,
    name: str,
    *,
    files: Sequence[str] | None = None,
    extra_dirs: Iterable[str | os.PathLike[str]] = (),
    download: bool = True,
) -> dict[str, Path]:
    """Resolve ``files`` (default: all) of a dataset → ``{filename: verified path}``."""
    manifest = load_manifest(domain, name)
    wanted = files or [f.name for f in manifest.files]
    extra = list(extra_dirs)
    return {f: fetch_file(domain, name, f, extra_dirs=extra, download=download) for f in wanted}
