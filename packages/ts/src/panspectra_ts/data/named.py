"""Named benchmark datasets (ETTh1, ETTh2, ETTm1, ...) described by ``data_manifests/ts/*.toml``.

Files are found (sha256-verified) by :func:`panspectra_core.datasets.resolve_file`: the shared
data directory, the user cache, then a download where the manifest pins a URL *and* a hash; the
copy used and its sha256 are in ``SeriesTable.provenance``.
"""

from __future__ import annotations

from typing import Any

from panspectra_core.errors import UserError
from panspectra_ts.data.table import SeriesTable, load_table

DOMAIN = "ts"


def available_datasets() -> list[str]:
    """Names of the datasets with a manifest."""
    from panspectra_core.datasets import list_datasets

    return list(list_datasets(DOMAIN))


def resolve_dataset_name(name: str) -> str:
    """Canonical manifest name for ``name`` (case-insensitive: ``etth1`` → ``ETTh1``)."""
    names = available_datasets()
    by_lower = {n.lower(): n for n in names}
    if name.lower() not in by_lower:
        raise UserError(f"--dataset {name!r}: unknown dataset (known: {', '.join(sorted(names))})")
    return by_lower[name.lower()]


def load_named_table(
    name: str,
    *,
    targets: list[str] | None = None,
    covariates: list[str] = (),
    download: bool = True,
) -> tuple[SeriesTable, Any]:
    """Fetch dataset ``name`` and read it.

    Returns:
        (table, manifest). ``targets`` default to the manifest's ``[format] targets`` (every
        series for the multivariate benchmark setting), else all numeric columns.
    """
    from panspectra_core.datasets import load_manifest, resolve_file

    manifest = load_manifest(DOMAIN, resolve_dataset_name(name))
    data_file = manifest.files[0]
    resolved = resolve_file(DOMAIN, manifest.name, data_file.name, download=download)
    path = resolved.path
    fmt = manifest.format or {}
    table = load_table(
        path,
        date_column=fmt.get("date_column"),
        targets=targets or fmt.get("targets") or None,
        covariates=covariates,
    )
    table.provenance = [resolved.to_dict()]
    return table, manifest
