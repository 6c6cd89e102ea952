"""Reference endmembers and abundances for a user's own cube (``hsi-unmix --reference FILE``),
so that any scene can be scored like Samson.

The file is a ``.mat`` or ``.npz`` holding the endmembers as a ``bands × R`` (or ``R × bands``)
matrix under ``M`` / ``endmembers`` / ``E`` and, optionally, the abundances as ``R × pixels``,
``pixels × R`` (pixels in the cube's ``--order``) or ``H × W × R`` under ``A`` /
``abundances`` — the layout of the widely shared ``end3.mat``/``end4.mat`` files.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from panspectra_hsi.data.errors import data_error
from panspectra_hsi.data.matrix import matrix_to_cube

ENDMEMBER_KEYS = ("M", "endmembers", "E", "m")
ABUNDANCE_KEYS = ("A", "abundances", "a")


def _arrays(path: Path) -> dict[str, np.ndarray]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise data_error(path, "reference file not found or not a file")
    if suffix == ".mat":
        from panspectra_hsi.data.matfile import _materialize, mat_arrays

        return {k: np.asarray(_materialize(v)) for k, v in mat_arrays(path).items()}
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as archive:
                return {k: archive[k] for k in archive.files}
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise data_error(path, f"not a readable .npz file ({exc})") from None
    raise data_error(path, f"unsupported reference file type {suffix!r}", "use .mat or .npz")


def _endmembers(path: Path, array: np.ndarray, key: str, bands: int) -> np.ndarray:
    if array.ndim != 2 or bands not in array.shape:
        raise data_error(
            path, f"{key} {array.shape}: expected a bands x R matrix with {bands} bands"
        )
    return np.asarray(array.T if array.shape[0] == bands else array, dtype=np.float64)


def _abundances(
    path: Path, array: np.ndarray, key: str, shape: tuple[int, int], count: int, order: str
) -> np.ndarray:
    height, width = shape
    if array.ndim == 3 and array.shape == (height, width, count):
        return np.asarray(array, dtype=np.float64)
    if array.ndim == 2 and sorted(array.shape) == sorted((count, height * width)):
        return matrix_to_cube(np.asarray(array, dtype=np.float64), shape, order, path)
    raise data_error(
        path,
        f"{key} {array.shape}: expected abundances R x pixels, pixels x R or H x W x R with "
        f"R={count}, H x W = {height} x {width}",
    )


def load_reference(
    path: str | Path, *, bands: int, shape: tuple[int, int], order: str = "F"
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """``(endmembers (R, B), abundances (H, W, R) or None, names)`` from ``path``.

    Raises a one-line error naming the file and the keys found when the endmembers are missing
    or their band count differs from the cube's (after ``--drop-bands``).
    """
    path = Path(path)
    arrays = _arrays(path)
    listing = ", ".join(f"{k} {v.shape}" for k, v in arrays.items()) or "none"
    key = next((k for k in ENDMEMBER_KEYS if k in arrays), None)
    if key is None:
        raise data_error(
            path, f"no endmember matrix (keys {', '.join(ENDMEMBER_KEYS)}; found: {listing})"
        )
    endmembers = _endmembers(path, arrays[key], key, bands)
    abundances = None
    a_key = next((k for k in ABUNDANCE_KEYS if k in arrays), None)
    if a_key is not None:
        abundances = _abundances(path, arrays[a_key], a_key, shape, len(endmembers), order)
    names = [f"reference_{i + 1}" for i in range(len(endmembers))]
    return endmembers, abundances, names
