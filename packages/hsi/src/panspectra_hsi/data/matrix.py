"""Scenes stored as a 2-D ``bands × pixels`` (or ``pixels × bands``) matrix, as many unmixing
scenes are shared (Samson, Jasper Ridge, Urban: ``V`` plus ``nRow``/``nCol``/``nBand`` and a
``maxValue`` scale in other ``.mat`` keys).

:func:`matrix_to_cube` reshapes such a matrix into an ``(H, W, B)`` cube. The pixel order is
MATLAB's column-major one by default (``order="F"``: pixel ``n`` is row ``n % H``, column
``n // H``), ``"C"`` for row-major files. :func:`declared_image_size` and
:func:`declared_max_value` read the image size and scale that such files declare.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panspectra_hsi.data.errors import data_error

ORDERS = ("F", "C")
_ROW_KEYS = ("nRow", "nrow", "nRows", "lines", "height", "H")
_COL_KEYS = ("nCol", "ncol", "nCols", "samples", "width", "W")
_BAND_KEYS = ("nBand", "nband", "nBands", "bands")
_MAX_KEYS = ("maxValue", "max_value", "maxvalue", "MaxValue")


def file_scalars(path: str | Path) -> dict[str, float]:
    """The numeric scalars (size-1 arrays) stored in a ``.mat`` or ``.npz`` file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        from panspectra_hsi.data.matfile import mat_arrays

        arrays = mat_arrays(path)
    elif suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files if archive[k].size == 1}
    else:
        return {}
    scalars = {}
    for key, value in arrays.items():
        if int(np.prod(value.shape)) == 1:
            number = np.asarray(value[()] if not isinstance(value, np.ndarray) else value)
            if number.dtype.kind in "biuf":
                scalars[key] = float(number.ravel()[0])
    return scalars


def _first(scalars: dict[str, float], keys: tuple[str, ...]) -> tuple[str, float] | None:
    return next(((k, scalars[k]) for k in keys if k in scalars), None)


def declared_image_size(path: str | Path) -> tuple[tuple[int, int], str] | None:
    """``((H, W), "nRow/nCol")`` when the file declares its image size, else None."""
    scalars = file_scalars(path)
    rows, cols = _first(scalars, _ROW_KEYS), _first(scalars, _COL_KEYS)
    if rows is None or cols is None:
        return None
    return (int(rows[1]), int(cols[1])), f"{rows[0]}/{cols[0]}"


def declared_band_count(path: str | Path) -> tuple[int, str] | None:
    """``(B, "nBand")`` when the file declares its band count, else None."""
    found = _first(file_scalars(path), _BAND_KEYS)
    return None if found is None else (int(found[1]), found[0])


def declared_max_value(path: str | Path) -> tuple[float, str] | None:
    """``(value, key)`` of a declared maximum (``maxValue``) in the file, else None."""
    found = _first(file_scalars(path), _MAX_KEYS)
    return None if found is None else (found[1], found[0])


def check_order(order: str) -> str:
    if order not in ORDERS:
        raise data_error(None, f"--order {order!r}: expected F (MATLAB column-major) or C")
    return order


def matrix_to_cube(
    matrix: np.ndarray, shape: tuple[int, int], order: str, source: str | Path
) -> np.ndarray:
    """``(B, H·W)`` or ``(H·W, B)`` matrix → ``(H, W, B)`` cube, pixels in ``order``.

    The pixel axis is the one of length ``H·W`` (bands × pixels when both are). Raises a
    one-line error naming ``source`` when no axis has ``H·W`` entries.
    """
    check_order(order)
    if len(shape) != 2 or min(shape) < 1:
        raise data_error(source, f"--shape {shape}: expected two positive integers H,W")
    height, width = (int(v) for v in shape)
    pixels = height * width
    if matrix.ndim != 2:
        raise data_error(source, f"expected a 2-D matrix, got shape {matrix.shape}")
    if matrix.shape[1] == pixels:
        by_pixel = np.asarray(matrix).T  # bands × pixels, the usual layout
    elif matrix.shape[0] == pixels:
        by_pixel = np.asarray(matrix)
    else:
        raise data_error(
            source,
            f"matrix {matrix.shape} has no axis of H*W = {height}*{width} = {pixels} pixels",
            "check --shape H,W",
        )
    return by_pixel.reshape(height, width, by_pixel.shape[1], order=order)
