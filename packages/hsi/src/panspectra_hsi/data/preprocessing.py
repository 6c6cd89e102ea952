"""Band standardization, optional nuisance projection and PCA, fitted on TRAINING pixels only.

Fitting any of them on all pixels (a frequent shortcut) leaks test-set statistics into the
model. :class:`SpectralPreprocessor` is fitted on the training spectra ``(n, B)`` and then
applied to any cube or tile ``(..., B) → (..., C)`` with ``C = B`` or the number of PCA
components. Its state is a few arrays, stored in the checkpoint so ``predict`` applies exactly
the same transform.

The nuisance projection (:func:`nuisance_axes`) is nuisance attribute projection (Solomonoff,
Campbell & Boardman 2005, "Advances in channel compensation for SVM speaker recognition",
ICASSP, I-629–632) with the training *regions* as sessions: when a class is trained from several
separate regions (the fields of a spatially disjoint split), the directions along which the
region means of one class differ — illumination, soil, moisture: the scene's drift — are
estimated from the training pixels and projected out of every spectrum, so that a classifier
cannot tell one field of a class from another and has to rely on what the fields share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EPS = 1e-8


def _largest_loading_positive(axes: np.ndarray) -> np.ndarray:
    """``(D, B)`` axes with each row's sign flipped so that its largest-magnitude entry is
    positive (SVD signs are arbitrary; this makes fitted states deterministic)."""
    return axes * np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])[:, None]


@dataclass
class SpectralPreprocessor:
    """``x ↦ ((x − mean) / std) @ components.T`` (PCA part optional).

    Attributes:
        mean, std: ``(B,)`` band statistics of the training pixels (float64).
        components: ``(C, B)`` principal axes of the standardized training pixels, or None.
        explained_variance_ratio: ``(C,)`` or None.
        nuisance: ``(D, B)`` orthonormal nuisance axes (:func:`nuisance_axes`) projected out of
            the standardized spectra before PCA, or None.
        guide_axis: ``(B,)`` first principal axis of the standardized training pixels, scaled
            so that its projection has unit variance on them — the guidance image of the guided
            probability filter (:meth:`guide`); None for checkpoints written before it existed.
    """

    mean: np.ndarray
    std: np.ndarray
    components: np.ndarray | None = None
    explained_variance_ratio: np.ndarray | None = None
    guide_axis: np.ndarray | None = None
    nuisance: np.ndarray | None = None

    @classmethod
    def fit(
        cls,
        spectra: np.ndarray,
        pca_components: int | None = None,
        standardize_bands: bool = True,
        *,
        nuisance_dims: int = 0,
        labels: np.ndarray | None = None,
        regions: np.ndarray | None = None,
    ) -> SpectralPreprocessor:
        """Fit on training spectra ``(n, B)``; ``pca_components`` None or 0 disables PCA.

        With ``standardize_bands=False`` every band is divided by one global scale (the std
        of all centred training values) instead of its own std, so PCA works on the raw
        covariance: noisy low-variance bands do not get the weight of informative ones.

        ``nuisance_dims > 0`` projects the first ``nuisance_dims`` axes of
        :func:`nuisance_axes` (from the class ``labels`` ``(n,)`` and training ``regions``
        ``(n,)`` of the spectra) out of the standardized spectra; PCA is then fitted on the
        projected spectra. The guidance axis is always that of the unprojected spectra.
        """
        spectra = np.asarray(spectra, dtype=np.float64)
        mean = spectra.mean(axis=0)
        if standardize_bands:
            std = spectra.std(axis=0)
            std = np.where(std < _EPS, 1.0, std)  # constant bands pass through centred
        else:
            scale = float(np.sqrt(((spectra - mean) ** 2).mean()))
            std = np.full_like(mean, scale if scale > _EPS else 1.0)
        standardized = (spectra - mean) / std
        nuisance = None
        if nuisance_dims:
            if labels is None or regions is None:
                raise ValueError("nuisance_dims needs the labels and regions of the spectra")
            nuisance = nuisance_axes(standardized, labels, regions, nuisance_dims)
        # SVD of the (already centred) standardized pixels: rows of vt are the principal axes.
        _, singular, vt = np.linalg.svd(standardized, full_matrices=False)
        vt = _largest_loading_positive(vt)
        first_std = singular[0] / np.sqrt(len(spectra)) if len(singular) else 0.0
        guide_axis = vt[0] / (first_std if first_std > _EPS else 1.0) if len(vt) else None
        if not pca_components:
            return cls(mean, std, guide_axis=guide_axis, nuisance=nuisance)
        if nuisance is not None:  # PCA of what the model will see
            projected = standardized - (standardized @ nuisance.T) @ nuisance
            _, singular, vt = np.linalg.svd(projected, full_matrices=False)
            vt = _largest_loading_positive(vt)
        n_components = min(pca_components, *standardized.shape)
        variance = singular**2
        return cls(
            mean,
            std,
            vt[:n_components],
            variance[:n_components] / variance.sum(),
            guide_axis,
            nuisance,
        )

    @property
    def num_bands_in(self) -> int:
        return int(self.mean.shape[0])

    @property
    def num_nuisance_axes(self) -> int:
        """Number of nuisance axes projected out (0 = none)."""
        return 0 if self.nuisance is None else len(self.nuisance)

    @property
    def num_features(self) -> int:
        return self.num_bands_in if self.components is None else int(self.components.shape[0])

    def transform(self, cube: np.ndarray) -> np.ndarray:
        """Apply to ``(..., B)`` → float32 ``(..., C)``."""
        x = (np.asarray(cube, dtype=np.float32) - self.mean.astype(np.float32)) / self.std.astype(
            np.float32
        )
        if self.nuisance is not None:
            axes = self.nuisance.astype(np.float32)
            x = x - (x @ axes.T) @ axes
        if self.components is not None:
            x = x @ self.components.T.astype(np.float32)
        return np.ascontiguousarray(x, dtype=np.float32)

    def guide(self, cube: np.ndarray) -> np.ndarray:
        """``(..., B)`` → float32 ``(...)``: projection on the first principal axis (unit
        variance on the training pixels), the guidance image of the guided probability filter."""
        if self.guide_axis is None:
            raise ValueError("this preprocessor has no guide axis (re-train to get one)")
        x = (np.asarray(cube, dtype=np.float32) - self.mean.astype(np.float32)) / self.std.astype(
            np.float32
        )
        return np.ascontiguousarray(x @ self.guide_axis.astype(np.float32), dtype=np.float32)

    def state(self) -> dict[str, np.ndarray]:
        """Arrays to store in a checkpoint (``extra_tensors``)."""
        state = {"band_mean": self.mean, "band_std": self.std}
        if self.components is not None:
            state["pca_components"] = self.components
            state["pca_explained_variance_ratio"] = self.explained_variance_ratio
        if self.guide_axis is not None:
            state["guide_axis"] = self.guide_axis
        if self.nuisance is not None:
            state["nuisance_axes"] = self.nuisance
        return state

    @classmethod
    def from_state(cls, state: dict) -> SpectralPreprocessor:
        """Inverse of :meth:`state` (accepts numpy arrays or torch tensors)."""

        def arr(key):
            value = state.get(key)
            if value is None:
                return None
            return value.double().cpu().numpy() if hasattr(value, "cpu") else np.asarray(value)

        return cls(
            arr("band_mean"),
            arr("band_std"),
            arr("pca_components"),
            arr("pca_explained_variance_ratio"),
            arr("guide_axis"),
            arr("nuisance_axes"),
        )


def nuisance_axes(
    standardized: np.ndarray, labels: np.ndarray, regions: np.ndarray, dims: int
) -> np.ndarray:
    """Directions along which the training regions of one class differ from each other.

    For every class with training pixels in two or more regions, each region ``r`` contributes
    ``sqrt(n_r) · (mean_r − mean_class)``; the leading right singular vectors of these rows
    (the between-region, within-class scatter) are the nuisance axes (nuisance attribute
    projection, Solomonoff et al. 2005). Nothing but training pixels, their labels and their
    region membership enters.

    Args:
        standardized: ``(n, B)`` standardized training spectra.
        labels: ``(n,)`` class of every spectrum.
        regions: ``(n,)`` region of every spectrum (e.g. :func:`training_regions`); a region
            belongs to one class.
        dims: number of axes wanted (at most the number of regions minus classes).

    Returns:
        ``(D, B)`` float64, orthonormal rows, ``D = min(dims, rank)``; the sign of each row is
        fixed so that its largest-magnitude entry is positive (deterministic).

    Raises:
        ValueError: no class has training pixels in two separate regions (every class trained
            from one field), so no nuisance can be estimated.
    """
    standardized = np.asarray(standardized, dtype=np.float64)
    _, region_of = np.unique(np.asarray(regions), return_inverse=True)
    _, class_of = np.unique(np.asarray(labels), return_inverse=True)
    # per region: its class, size and mean; per class: its size and mean (one pass each)
    region_class = np.zeros(region_of.max() + 1, dtype=np.int64)
    region_class[region_of] = class_of
    region_size = np.bincount(region_of).astype(np.float64)
    region_mean = np.zeros((len(region_size), standardized.shape[1]))
    np.add.at(region_mean, region_of, standardized)
    region_mean /= region_size[:, None]
    class_size = np.bincount(class_of).astype(np.float64)
    class_mean = np.zeros((len(class_size), standardized.shape[1]))
    np.add.at(class_mean, class_of, standardized)
    class_mean /= class_size[:, None]
    regions_per_class = np.bincount(region_class, minlength=len(class_size))
    drifting = regions_per_class[region_class] >= 2  # regions of a class with two or more
    rows = np.sqrt(region_size[drifting])[:, None] * (
        region_mean[drifting] - class_mean[region_class[drifting]]
    )
    if not len(rows):
        raise ValueError(
            "nuisance projection: no class has training pixels in two separate regions, so "
            "there is no between-region variation to remove (it needs several training fields "
            "per class, as in --protocol disjoint)"
        )
    _, singular, vt = np.linalg.svd(rows, full_matrices=False)
    rank = int((singular > _EPS * max(singular[0], 1.0)).sum())
    vt = vt[: min(dims, rank)]
    return _largest_loading_positive(vt)
