"""Cube sources: one windowed-read interface over ENVI, GDAL rasters, .mat and .npy/.npz files.

A :class:`CubeSource` exposes the cube's shape ``(H, W, B)`` and ``read(rows, cols)`` returning a
float32 ``(h, w, B)`` window, so whole-scene prediction can walk a scene larger than memory tile
by tile. ENVI and ``.npy`` cubes are memory-mapped; GeoTIFF/GDAL rasters are read with rasterio
windows; ``.mat``/``.npz`` arrays are loaded in memory (those formats cannot be windowed).
Georeference (CRS as WKT, affine transform as 6 GDAL-order numbers ``(a, b, c, d, e, f)`` of
``rasterio.Affine``) and the nodata value travel with the source.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panspectra_hsi.data.errors import HSIDataError, data_error
from panspectra_hsi.data.matfile import read_mat_array
from panspectra_hsi.data.matrix import declared_band_count, declared_image_size, matrix_to_cube

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".jp2", ".nc")


@dataclass
class CubeSource:
    """A hyperspectral cube that can be read window by window.

    Attributes:
        path: the file the cube comes from.
        shape: ``(H, W, B)``.
        wavelengths: ``(B,)`` band centres (units as in the file, usually nm) or None.
        band_names: ``B`` names or None.
        crs: CRS as WKT, or None when the file is not georeferenced.
        transform: affine transform ``(a, b, c, d, e, f)`` (rasterio order) or None.
        nodata: the nodata value declared by the file, or None.
        notes: what was inferred while opening (e.g. the image size of a 2-D matrix taken
            from the file's ``nRow``/``nCol``), for reports.
    """

    path: Path
    shape: tuple[int, int, int]
    wavelengths: np.ndarray | None = None
    band_names: list[str] | None = None
    crs: str | None = None
    transform: tuple[float, ...] | None = None
    nodata: float | None = None
    notes: list[str] = field(default_factory=list)
    _array: object = field(default=None, repr=False)

    def read(self, rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
        """The window ``cube[rows, cols, :]`` as a float32 ``(h, w, B)`` array."""
        return np.asarray(self._array[rows, cols, :], dtype=np.float32)

    def read_all(self) -> np.ndarray:
        """The whole cube as float32 ``(H, W, B)`` (memory-mapped sources stay lazy until here)."""
        return self.read()

    @property
    def is_georeferenced(self) -> bool:
        return self.crs is not None or self.transform is not None


#: GDAL block cache (MiB) while reading raster windows
GDAL_CACHE_MB = 64


@dataclass
class RasterioCubeSource(CubeSource):
    """A GDAL raster read with rasterio windows; raster bands are the spectral axis."""

    def read(self, rows: slice = slice(None), cols: slice = slice(None)) -> np.ndarray:
        import rasterio
        from rasterio.windows import Window

        height, width, _ = self.shape
        r0, r1, _ = rows.indices(height)
        c0, c1, _ = cols.indices(width)
        # GDAL's block cache defaults to 5 % of RAM and would grow with the scene; tiles are
        # read once each, so a small cache costs nothing and keeps memory flat.
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB), rasterio.open(self.path) as dataset:
            window = Window(c0, r0, c1 - c0, r1 - r0)
            try:
                data = dataset.read(window=window, out_dtype=np.float32)
            except rasterio.errors.RasterioError as exc:
                gdal_says = exc.__cause__ or exc  # rasterio keeps GDAL's own message here
                raise data_error(
                    self.path,
                    f"cannot read rows {r0}-{r1 - 1}, columns {c0}-{c1 - 1} ({gdal_says})",
                    "the file is truncated or corrupt; expected a complete raster",
                ) from None
        return np.ascontiguousarray(np.moveaxis(data, 0, -1))


def _open_raster(path: Path) -> CubeSource:
    import rasterio

    try:
        dataset = rasterio.open(path)
    except Exception as exc:
        raise data_error(path, f"cannot open as a raster ({exc})") from None
    with dataset:
        names = [d for d in dataset.descriptions]
        wavelengths = []
        for band in range(1, dataset.count + 1):
            tags = dataset.tags(band)
            value = tags.get("wavelength") or tags.get("WAVELENGTH")
            wavelengths.append(float(value) if value is not None else np.nan)
        wl = np.asarray(wavelengths, dtype=np.float64)
        return RasterioCubeSource(
            path=path,
            shape=(dataset.height, dataset.width, dataset.count),
            wavelengths=None if np.isnan(wl).any() else wl,
            band_names=names if all(names) else None,
            crs=dataset.crs.to_wkt() if dataset.crs else None,
            transform=None if dataset.transform.is_identity else tuple(dataset.transform)[:6],
            nodata=dataset.nodata,
        )


def _open_envi(path: Path) -> CubeSource:
    import spectral

    header = path if path.suffix.lower() == ".hdr" else path.with_suffix(".hdr")
    if not header.exists():
        raise data_error(path, "ENVI header (.hdr) not found", "pass the .hdr file as --cube")
    try:
        image = spectral.envi.open(str(header))
    except Exception as exc:
        raise data_error(header, f"cannot open ENVI image ({exc})") from None
    memmap = image.open_memmap(interleave="bip")  # (rows, cols, bands) view of the file
    meta = image.metadata
    wavelengths = meta.get("wavelength")
    nodata = meta.get("data ignore value")
    return CubeSource(
        path=header,
        shape=tuple(memmap.shape),
        wavelengths=np.asarray(wavelengths, dtype=np.float64) if wavelengths else None,
        band_names=list(meta["band names"]) if meta.get("band names") else None,
        nodata=float(nodata) if nodata is not None else None,
        _array=memmap,
    )


_SHAPE_FIX = "pass --shape H,W (and --order F|C; default F, MATLAB's column-major)"


def _array_source(
    path: Path, array: np.ndarray, shape: tuple[int, int] | None = None, order: str = "F"
) -> CubeSource:
    notes = []
    if array.ndim == 2:
        if shape is None and (declared := declared_image_size(path)) is not None:
            shape, keys = declared
            notes.append(f"image size {shape[0]}x{shape[1]} from the file's {keys}")
        if shape is None:
            raise data_error(path, f"the cube is a 2-D matrix {array.shape}", _SHAPE_FIX)
        array = matrix_to_cube(array, shape, order, path)
        notes.append(f"2-D matrix reshaped to {array.shape} in {order} order")
        if (bands := declared_band_count(path)) is not None and bands[0] != array.shape[2]:
            notes.append(
                f"the file's {bands[1]}={bands[0]} disagrees with the matrix's "
                f"{array.shape[2]} bands; the matrix is used"
            )
    elif shape is not None:
        raise data_error(path, f"--shape is for 2-D matrices; the cube is {array.shape}")
    if array.ndim != 3:
        raise data_error(path, f"cube must be 3-D (H, W, B), got shape {array.shape}")
    if 0 in array.shape:
        raise data_error(path, f"the cube is empty: shape {array.shape}", "check the file")
    return CubeSource(path, tuple(int(n) for n in array.shape), notes=notes, _array=array)


def _cube_array(path: Path, key: str | None, shape: tuple[int, int] | None) -> np.ndarray:
    """The cube's array of a .mat/.npz file: 3-D, or the 2-D matrix when there is no 3-D one
    and ``--shape`` is given or the file declares its image size."""
    reader = _npz_array if path.suffix.lower() == ".npz" else _mat_array
    if shape is not None:
        return reader(path, key, 2, "cube")
    try:
        return reader(path, key, 3, "cube")
    except HSIDataError as no_cube:
        try:  # a 2-D matrix: _array_source uses the declared size or asks for --shape
            return reader(path, key, 2, "cube")
        except HSIDataError:
            raise no_cube from None


def _mat_array(path: Path, key: str | None, ndim: int, what: str) -> np.ndarray:
    return read_mat_array(path, key, ndim=ndim, what=what)


def _check_dtype(path: Path, dtype: np.dtype, what: str, key: str | None = None) -> None:
    """A cube or label map must hold numbers (bool, integers or floats)."""
    if dtype.kind not in "biuf":
        where = f"array {key!r} has" if key else "holds"
        raise data_error(
            path,
            f"{where} dtype {dtype} (kind {dtype.kind!r}); the {what} must be a numeric array",
            "save it as a float or integer array",
        )


def _load_npy(path: Path, what: str) -> np.ndarray:
    """Memory-map a ``.npy`` file after checking its header: numeric dtype, and as many bytes
    as the header declares (a truncated or empty file is an error, not a numpy traceback)."""
    try:
        with open(path, "rb") as handle:
            fmt = np.lib.format
            version = fmt.read_magic(handle)
            header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = header(handle)
            offset = handle.tell()
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise data_error(path, f"not a readable .npy file ({exc})", "re-save the array") from None
    _check_dtype(path, dtype, what)
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    size = path.stat().st_size
    if size < expected:
        raise data_error(
            path,
            f"truncated: the header declares {shape} {dtype} ({expected} bytes) but the file "
            f"has {size}",
            "copy or save the file again",
        )
    return np.load(path, mmap_mode="r")


def _check_path(path: Path) -> None:
    if not path.exists():
        raise data_error(path, "file not found")
    if path.is_dir():
        raise data_error(path, "is a directory", "pass the cube or label file itself")


def _npz_array(path: Path, key: str | None, ndim: int, what: str) -> np.ndarray:
    try:
        return _npz_pick(path, key, ndim, what)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:  # object, zip, truncated
        raise data_error(path, f"not a readable .npz file ({exc})", "re-save the arrays") from None


def _npz_pick(path: Path, key: str | None, ndim: int, what: str) -> np.ndarray:
    flag = "--cube-key" if what == "cube" else "--labels-key"
    with np.load(path, allow_pickle=False) as archive:
        listing = ", ".join(f"{k} {archive[k].shape}" for k in archive.files)
        if key is None:
            keys = [k for k in archive.files if archive[k].ndim == ndim]
            if len(keys) != 1:
                raise data_error(
                    path, f"cannot pick the {ndim}-D {what} (found: {listing})", f"pass {flag} KEY"
                )
            key = keys[0]
        if key not in archive.files:
            raise data_error(path, f"no array {key!r} (found: {listing})", f"pass {flag} KEY")
        array = archive[key]
        _check_dtype(path, array.dtype, what, key)
        return array


def read_array(path: str | Path, key: str | None, *, ndim: int, what: str) -> np.ndarray:
    """A plain array (labels) from .npy/.npz/.mat/raster/ENVI; rasters give their first band."""
    path = Path(path)
    _check_path(path)
    suffix = path.suffix.lower()
    if suffix in (".npy", ".npz"):
        array = _load_npy(path, what) if suffix == ".npy" else _npz_array(path, key, ndim, what)
        if array.ndim != ndim:
            raise data_error(path, f"{what} must be {ndim}-D, got shape {array.shape}")
        return array
    if suffix == ".mat":
        return read_mat_array(path, key, ndim=ndim, what=what)
    source = open_cube(path)
    if ndim == 2:
        if source.shape[2] != 1:
            raise data_error(path, f"label raster must have 1 band, has {source.shape[2]}")
        return source.read()[:, :, 0]
    return source.read_all()


def open_cube(
    path: str | Path,
    key: str | None = None,
    *,
    shape: tuple[int, int] | None = None,
    order: str = "F",
) -> CubeSource:
    """Open a hyperspectral cube file by its suffix.

    ``.hdr`` (or a binary with a sibling ``.hdr``) → ENVI via ``spectral``; ``.npy`` →
    memory-mapped; ``.npz``/``.mat`` → the 3-D array ``key`` (auto-picked when unique);
    anything else → rasterio (GeoTIFF and every GDAL format, bands = spectral axis).

    A 2-D ``bands × pixels`` (or ``pixels × bands``) matrix in a .npy/.npz/.mat file is
    reshaped to ``shape = (H, W)`` with pixels in ``order`` (``"F"``: MATLAB's column-major,
    the default; ``"C"``: row-major); without ``shape`` the file's ``nRow``/``nCol`` are used
    when present (:mod:`.matrix`), else it is an error asking for ``--shape``.
    """
    path = Path(path)
    _check_path(path)
    suffix = path.suffix.lower()
    if suffix == ".hdr" or (suffix not in RASTER_SUFFIXES and path.with_suffix(".hdr").exists()):
        return _open_envi(path)
    if suffix == ".npy":
        return _array_source(path, _load_npy(path, "cube"), shape, order)
    if suffix in (".npz", ".mat"):
        return _array_source(path, _cube_array(path, key, shape), shape, order)
    if shape is not None:
        raise data_error(path, "--shape is for 2-D matrices in .npy/.npz/.mat files")
    return _open_raster(path)
