"""Shared setup() for the domain distributions in packages/<domain>/.

Why a setup script: ``panspectra-core`` lives in ``shared/`` and is on no registry, and PEP 508
has no relative direct references. So each domain's dependency on the core is written as an
absolute ``file://`` reference computed here from the package's own location, which keeps a
plain ``pip install -e packages/hsi`` working in a fresh virtualenv. Set
``PANSPECTRA_CORE_REQUIREMENT`` (e.g. ``panspectra-core==0.1.0``) to build wheels for a
wheelhouse instead.

The repository keeps dataset manifests in ``data_manifests/<domain>/``; they are copied into
``src/panspectra_<domain>/data_manifests/`` at build time so an installed package (editable
or wheel) finds them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import setup


def _sync_manifests(package_root: Path, domain: str) -> None:
    source = package_root.parents[1] / "data_manifests" / domain
    target = package_root / "src" / f"panspectra_{domain}" / "data_manifests"
    if not source.is_dir():  # building from an sdist: the copy is already there
        return
    target.mkdir(exist_ok=True)
    for stale in target.glob("*.toml"):
        if not (source / stale.name).exists():
            stale.unlink()
    for manifest in source.glob("*.toml"):
        shutil.copyfile(manifest, target / manifest.name)


def domain_setup(setup_file: str, *, domain: str, requires: list[str]) -> None:
    package_root = Path(setup_file).resolve().parent
    core = os.environ.get("PANSPECTRA_CORE_REQUIREMENT")
    if not core:
        core = f"panspectra-core @ {(package_root.parents[1] / 'shared').as_uri()}"
    _sync_manifests(package_root, domain)
    setup(install_requires=[core, *requires])
