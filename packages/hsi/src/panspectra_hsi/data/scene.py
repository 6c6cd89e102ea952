"""The :class:`Scene`: a cube with its labels and everything that must travel with it.

Label convention inside PanSpectra: ``0`` = unlabelled, classes are ``1..K``. A user's label
map with another ignore value (``--ignore-label 255``) or arbitrary class codes is re-encoded
on load; the original codes are kept in :attr:`Scene.label_values` so output maps use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from panspectra_hsi.data.errors import data_error
from panspectra_hsi.data.sources import CubeSource, open_cube, read_array


@dataclass
class Scene:
    """A hyperspectral scene.

    Attributes:
        cube: ``(H, W, B)`` float32 (may be a memory map).
        labels: ``(H, W)`` int64, 0 = unlabelled, 1..K = classes; None for an unlabelled scene.
        class_names: ``K`` names (class k is ``class_names[k - 1]``).
        label_values: ``K`` original label codes of classes 1..K (as in the user's file).
        wavelengths: ``(B,)`` band centres or None. band_names: ``B`` names or None.
        crs: WKT or None. transform: affine ``(a, b, c, d, e, f)`` or None.
        nodata_mask: ``(H, W)`` bool, True where the cube has no data.
        name: short name for reports. source: where the cube came from.
        provenance: for a named dataset, one ``{"file", "path", "source", "sha256"}`` per file
            read (:meth:`panspectra_core.datasets.ResolvedFile.to_dict`): which copy was used
            (``PANSPECTRA_DATA``, ``extra:<dir>`` such as the tensorly wheel, ``cache``,
            ``download``) and its digest, for ``metrics.json``.
    """

    cube: np.ndarray
    labels: np.ndarray | None = None
    class_names: list[str] = field(default_factory=list)
    label_values: list[int] = field(default_factory=list)
    wavelengths: np.ndarray | None = None
    band_names: list[str] | None = None
    crs: str | None = None
    transform: tuple[float, ...] | None = None
    nodata_mask: np.ndarray | None = None
    name: str = "scene"
    source: str = ""
    provenance: list[dict[str, str]] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(self.cube.shape)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_georeferenced(self) -> bool:
        return self.crs is not None or self.transform is not None

    def class_counts(self) -> dict[int, int]:
        """Labelled pixels per class code ``{1: n1, ..., K: nK}``."""
        counts = np.bincount(self.labels.ravel(), minlength=self.num_classes + 1)
        return {k: int(counts[k]) for k in range(1, self.num_classes + 1)}

    def with_labels(self, labels: np.ndarray) -> Scene:
        return replace(self, labels=labels)

    def summary(self) -> dict:
        """JSON-friendly description (for ``hsi-classify info``)."""
        height, width, bands = self.shape
        info = {
            "name": self.name,
            "source": self.source,
            "shape": [height, width, bands],
            "georeferenced": self.is_georeferenced,
            "nodata_pixels": int(self.nodata_mask.sum()) if self.nodata_mask is not None else 0,
        }
        if self.wavelengths is not None:
            info["wavelength_range"] = [float(self.wavelengths[0]), float(self.wavelengths[-1])]
        if self.labels is not None:
            info["classes"] = {self.class_names[k - 1]: n for k, n in self.class_counts().items()}
            info["labelled_pixels"] = int((self.labels > 0).sum())
        return info


def encode_labels(
    raw: np.ndarray, ignore_label: int, source: str | Path, label_values: list[int] | None = None
) -> tuple[np.ndarray, list[int]]:
    """Map a raw label map to 0 = unlabelled, 1..K; returns (labels int64, original codes).

    With ``label_values`` given (e.g. a test map that must use the training map's classes), codes
    not in that list are an error.
    """
    raw = np.asarray(raw)
    if raw.ndim != 2:
        raise data_error(source, f"label map must be 2-D (H, W), got shape {raw.shape}")
    if np.issubdtype(raw.dtype, np.floating):
        if not np.isfinite(raw).all() or (raw != np.round(raw)).any():
            raise data_error(source, "label map has non-integer values", "labels must be integers")
    raw = raw.astype(np.int64)
    present = sorted(int(v) for v in np.unique(raw) if v != ignore_label)
    if label_values is None:
        label_values = present
    unknown = sorted(set(present) - set(label_values))
    if unknown:
        raise data_error(source, f"label codes {unknown} not among the classes {label_values}")
    lookup = {value: code for code, value in enumerate(label_values, start=1)}
    labels = np.zeros(raw.shape, dtype=np.int64)
    for value, code in lookup.items():
        labels[raw == value] = code
    return labels, list(label_values)


def nodata_mask_of(cube: np.ndarray, nodata: float | None) -> np.ndarray:
    """``(H, W)`` True where every band is non-finite or equals the declared nodata value."""
    invalid = ~np.isfinite(cube)
    if nodata is not None and np.isfinite(nodata):
        invalid |= cube == nodata
    return invalid.all(axis=-1)


def check_cube(cube: np.ndarray, nodata_mask: np.ndarray, source: str | Path) -> None:
    """Refuse cubes that cannot be classified: all nodata, or NaN/inf inside valid pixels."""
    if nodata_mask.all():
        raise data_error(source, "every pixel is nodata", "check the nodata value / the file")
    valid = cube[~nodata_mask]
    bad_bands = np.flatnonzero(~np.isfinite(valid).all(axis=0))
    if bad_bands.size:
        shown = ",".join(str(b) for b in bad_bands[:10])
        raise data_error(
            source,
            f"{bad_bands.size} band(s) contain NaN/inf in valid pixels (0-based: {shown}"
            f"{'...' if bad_bands.size > 10 else ''})",
            f"drop them with --drop-bands {shown} or fill them",
        )


def kept_bands(drop_bands: list[int] | None, num_bands: int, source: str | Path) -> np.ndarray:
    """The 0-based band indices left after ``--drop-bands`` (all of them when None).

    Indices outside ``0..num_bands-1`` (``999``, ``-1``), repeated indices and dropping every
    band are errors naming the file and the flag, never silently ignored.
    """
    if not drop_bands:
        return np.arange(num_bands)
    drop = np.asarray(drop_bands, dtype=np.int64)
    outside = sorted({int(b) for b in drop if not 0 <= b < num_bands})
    if outside:
        raise data_error(
            source,
            f"--drop-bands {','.join(str(b) for b in outside)}: the cube has {num_bands} bands",
            f"expected 0-based band indices in 0..{num_bands - 1}",
        )
    repeated = sorted({int(b) for b in drop if (drop == b).sum() > 1})
    if repeated:
        raise data_error(source, f"--drop-bands repeats band(s) {repeated}", "list each once")
    keep = np.setdiff1d(np.arange(num_bands), drop)
    if keep.size == 0:
        raise data_error(source, f"--drop-bands drops every band of {num_bands}", "keep some")
    return keep


def scene_from_source(
    source: CubeSource,
    *,
    labels: np.ndarray | None = None,
    labels_path: str | Path | None = None,
    class_names: list[str] | None = None,
    ignore_label: int = 0,
    drop_bands: list[int] | None = None,
    name: str | None = None,
) -> Scene:
    """Build a validated :class:`Scene` from a cube source and an optional raw label map."""
    keep = kept_bands(drop_bands, source.shape[2], source.path)  # before reading a large cube
    cube = source.read_all()
    wavelengths, band_names = source.wavelengths, source.band_names
    if drop_bands:
        cube = np.ascontiguousarray(cube[:, :, keep])
        wavelengths = wavelengths[keep] if wavelengths is not None else None
        band_names = [band_names[i] for i in keep] if band_names is not None else None
    mask = nodata_mask_of(cube, source.nodata)
    check_cube(cube, mask, source.path)
    encoded, values = None, []
    if labels is not None:
        if tuple(labels.shape) != tuple(cube.shape[:2]):
            raise data_error(
                labels_path,
                f"label map shape {tuple(labels.shape)} does not match the cube's "
                f"{tuple(cube.shape[:2])} ({source.path})",
                "labels must cover the same pixel grid as the cube",
            )
        encoded, values = encode_labels(labels, ignore_label, labels_path)
        encoded[mask] = 0
        if not (encoded > 0).any():
            raise data_error(labels_path, "no labelled pixels", "check --ignore-label")
    names = list(class_names) if class_names else [f"class {v}" for v in values]
    if labels is not None and len(names) != len(values):
        raise data_error(labels_path, f"{len(names)} class names for {len(values)} classes")
    return Scene(
        cube=cube,
        labels=encoded,
        class_names=names,
        label_values=values,
        wavelengths=wavelengths,
        band_names=band_names,
        crs=source.crs,
        transform=source.transform,
        nodata_mask=mask,
        name=name or Path(source.path).stem,
        source=str(source.path),
    )


def load_scene(
    cube_path: str | Path,
    labels_path: str | Path | None = None,
    *,
    cube_key: str | None = None,
    labels_key: str | None = None,
    ignore_label: int = 0,
    class_names: list[str] | None = None,
    drop_bands: list[int] | None = None,
    shape: tuple[int, int] | None = None,
    order: str = "F",
) -> Scene:
    """Load a user's cube (ENVI/GeoTIFF/GDAL/.mat/.npy/.npz) and optional label map.

    ``shape``/``order`` reshape a 2-D ``bands × pixels`` matrix (:func:`.sources.open_cube`).
    """
    source = open_cube(cube_path, cube_key, shape=shape, order=order)
    labels = None
    if labels_path is not None:
        labels = np.asarray(read_array(labels_path, labels_key, ndim=2, what="labels"))
    return scene_from_source(
        source,
        labels=labels,
        labels_path=labels_path,
        class_names=class_names,
        ignore_label=ignore_label,
        drop_bands=drop_bands,
    )
