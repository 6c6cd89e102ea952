"""Named datasets (``--dataset NAME``): manifests in ``data_manifests/hsi/`` resolved by the core.

Files are found, sha256-verified, in ``$PANSPECTRA_DATA/<shared_path>``, then in the copy that
ships inside the ``tensorly`` wheel (Indian Pines only), then in the user cache, then downloaded
(see :func:`panspectra_core.datasets.resolve_file`); a present copy that fails its hash is an
error, never skipped. Class names, wavelengths and the provenance of every file read (which
copy, its sha256: ``Scene.provenance``) travel with the :class:`Scene`.

Indian Pines wavelengths: the "corrected" cube keeps 200 of AVIRIS's 220 bands — the
water-absorption bands 104–108, 150–163 and 220 (1-based) are removed. Neither the EHU ``.mat``
nor the ``.npy`` files carry band centres, so :func:`indian_pines_wavelengths` gives the
*nominal* centres of a 400–2500 nm grid of 220 equally spaced bands (≈ 9.6 nm apart) with the
same 20 bands removed; the calibrated AVIRIS centres differ by a few nm.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panspectra_hsi.data.errors import data_error
from panspectra_hsi.data.scene import Scene, encode_labels

DOMAIN = "hsi"
INDIAN_PINES_REMOVED_BANDS = (*range(104, 109), *range(150, 164), 220)  # 1-based, of 220


def indian_pines_wavelengths() -> np.ndarray:
    """Nominal centres (nm) of the 200 bands of the corrected Indian Pines cube (see module doc)."""
    all_bands = np.linspace(400.0, 2500.0, 220)
    keep = np.setdiff1d(np.arange(1, 221), INDIAN_PINES_REMOVED_BANDS) - 1
    return all_bands[keep]


def tensorly_data_dir() -> list[Path]:
    """The directory of the Indian Pines copy inside the installed tensorly wheel (if any)."""
    try:
        import tensorly
    except ImportError:
        return []
    folder = Path(tensorly.__file__).parent / "datasets" / "data"
    return [folder] if folder.is_dir() else []


def _manifest(name: str):
    from panspectra_core.datasets import load_manifest

    return load_manifest(DOMAIN, name)


def list_named_datasets() -> list[str]:
    """Names accepted by ``--dataset``."""
    from panspectra_core.datasets import list_datasets

    return list_datasets(DOMAIN)


def _fetch(name: str, filename: str, *, download: bool, provenance: list[dict]) -> Path:
    """Resolve one file of dataset ``name``; its source and sha256 are appended to
    ``provenance``."""
    from panspectra_core.datasets import resolve_file

    resolved = resolve_file(
        DOMAIN, name, filename, extra_dirs=tensorly_data_dir(), download=download
    )
    provenance.append(resolved.to_dict())
    return resolved.path


def load_indian_pines(*, download: bool = True) -> Scene:
    """Indian Pines (AVIRIS, 145 × 145 × 200, 16 classes, 10 249 labelled pixels)."""
    manifest, provenance = _manifest("indian_pines"), []
    fetch = {"download": download, "provenance": provenance}
    cube = np.load(_fetch("indian_pines", "Indian_pines_corrected.npy", **fetch))
    raw = np.load(_fetch("indian_pines", "Indian_pines_gt.npy", **fetch))
    labels, values = encode_labels(raw, 0, "Indian_pines_gt.npy")
    classes = manifest.format["classes"]
    return Scene(
        cube=cube.astype(np.float32),
        labels=labels,
        class_names=[classes[str(v)] for v in values],
        label_values=values,
        wavelengths=indian_pines_wavelengths(),
        band_names=None,
        nodata_mask=np.zeros(labels.shape, dtype=bool),
        name="indian_pines",
        source="dataset:indian_pines",
        provenance=provenance,
    )


def load_samson(*, download: bool = True) -> tuple[Scene, np.ndarray, np.ndarray, list[str]]:
    """Samson (95 × 95 × 156, 401–889 nm) with reference endmembers and abundances.

    Returns ``(scene, endmembers (156, 3), abundances (95, 95, 3), endmember_names)``. Pixel order
    follows the MATLAB column-major layout of ``V``: ``cube = V.T.reshape(95, 95, 156, order='F')``.
    """
    from scipy.io import loadmat

    manifest, provenance = _manifest("samson"), []
    fetch = {"download": download, "provenance": provenance}
    data = loadmat(_fetch("samson", "samson_1.mat", **fetch))
    ends = loadmat(_fetch("samson", "end3.mat", **fetch))
    rows, cols, bands = (int(data[k].squeeze()) for k in ("nRow", "nCol", "nBand"))
    cube = data["V"].T.reshape(rows, cols, bands, order="F").astype(np.float32)
    abundances = ends["A"].T.reshape(rows, cols, -1, order="F")
    names = list(manifest.format["endmember_names"])
    scene = Scene(
        cube=cube,
        wavelengths=np.linspace(401.0, 889.0, bands),
        nodata_mask=np.zeros((rows, cols), dtype=bool),
        name="samson",
        source="dataset:samson",
        provenance=provenance,
    )
    return scene, ends["M"], abundances, names


_LOADERS = {"indian_pines": load_indian_pines}


def load_named_scene(name: str, *, download: bool = True) -> Scene:
    """The labelled classification scene ``name`` (``--dataset``)."""
    if name == "samson":
        return load_samson(download=download)[0]
    if name not in _LOADERS:
        known = ", ".join(sorted([*_LOADERS, "samson"]))
        raise data_error(
            None,
            f"unknown dataset {name!r} (known: {known})",
            "or pass your own files with --cube/--labels",
        )
    return _LOADERS[name](download=download)
