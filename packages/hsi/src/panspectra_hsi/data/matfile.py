"""Read arrays from MATLAB ``.mat`` files: v4/v5 via scipy, v7.3 (HDF5) via h5py.

MATLAB stores arrays column-major; h5py exposes v7.3 datasets with their axes reversed, so
they are transposed back to MATLAB's (rows, cols, bands) order here. scipy already returns
MATLAB order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panspectra_hsi.data.errors import data_error


def mat_arrays(path: str | Path) -> dict[str, np.ndarray | object]:
    """All numeric arrays of a ``.mat`` file as ``{key: array}`` (MATLAB axis order).

    v7.3 files are opened lazily: values are h5py datasets until :func:`read_mat_array` reads them.
    """
    path = Path(path)
    try:
        import h5py

        if h5py.is_hdf5(path):
            handle = h5py.File(path, "r")
            return {
                key: handle[key]
                for key in handle
                if isinstance(handle[key], h5py.Dataset) and not key.startswith("#")
            }
    except ImportError:  # pragma: no cover - h5py is a declared dependency
        pass
    from scipy.io import loadmat

    try:
        contents = loadmat(path)
    except Exception as exc:  # scipy raises many types for corrupt files
        raise data_error(path, f"cannot read as a .mat file ({exc})") from None
    return {
        key: value
        for key, value in contents.items()
        if not key.startswith("__") and isinstance(value, np.ndarray) and value.dtype != object
    }


def _materialize(value) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    return np.asarray(value[()]).transpose()  # h5py dataset: reverse to MATLAB order


def read_mat_array(path: str | Path, key: str | None, *, ndim: int, what: str) -> np.ndarray:
    """The ``ndim``-dimensional array ``key`` of a ``.mat`` file.

    With ``key=None`` the unique array with ``ndim`` dimensions is chosen (for labels, 2-D arrays
    with more than one row and column). An unknown or ambiguous key is an error listing the keys.

    Args:
        path: the ``.mat`` file.
        key: variable name, or None to auto-pick.
        ndim: 3 for a cube (H, W, B), 2 for a label map (H, W).
        what: "cube" or "labels" (for messages and the CLI flag name).
    """
    arrays = mat_arrays(path)
    listing = ", ".join(f"{k} {tuple(v.shape)}" for k, v in arrays.items()) or "none"
    flag = "--cube-key" if what == "cube" else "--labels-key"
    if key is not None:
        if key not in arrays:
            raise data_error(path, f"no variable {key!r} (found: {listing})", f"pass {flag} KEY")
        array = _materialize(arrays[key])
        if array.ndim != ndim:
            raise data_error(
                path, f"variable {key!r} has shape {array.shape}, expected {ndim}-D {what}"
            )
        return array
    candidates = [k for k, v in arrays.items() if len(v.shape) == ndim and min(v.shape) > 1]
    if len(candidates) != 1:
        problem = "no" if not candidates else "several"
        raise data_error(
            path, f"{problem} {ndim}-D array for the {what} (found: {listing})", f"pass {flag} KEY"
        )
    return _materialize(arrays[candidates[0]])
