"""Band scaler / PCA fitted on training pixels only, and on-the-fly reflect-padded patches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from panspectra_hsi.data import PatchDataset, SpectralPreprocessor, gather_patches, pad_cube
from panspectra_hsi.data.patches import pixel_coordinates


def test_scaler_statistics_come_from_training_pixels_only(synthetic_scene):
    cube, labels = synthetic_scene
    train = np.zeros(labels.shape, dtype=bool)
    train[::3, ::3] = True
    fitted = SpectralPreprocessor.fit(cube[train])
    np.testing.assert_allclose(fitted.mean, cube[train].astype(np.float64).mean(0), rtol=1e-6)
    perturbed = cube.copy()
    perturbed[~train] += 100.0  # changing non-training pixels must not change the fit
    refit = SpectralPreprocessor.fit(perturbed[train])
    np.testing.assert_array_equal(refit.mean, fitted.mean)
    np.testing.assert_array_equal(refit.std, fitted.std)
    standardized = fitted.transform(cube[train])
    np.testing.assert_allclose(standardized.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(standardized.std(0), 1.0, atol=1e-4)


def test_pca_matches_sklearn_up_to_sign_and_state_round_trips(synthetic_scene):
    cube, _ = synthetic_scene
    spectra = cube.reshape(-1, cube.shape[-1])
    prep = SpectralPreprocessor.fit(spectra, pca_components=4)
    standardized = (spectra - spectra.mean(0)) / spectra.std(0)
    reference = PCA(n_components=4, svd_solver="full").fit(standardized.astype(np.float64))
    np.testing.assert_allclose(np.abs(prep.components), np.abs(reference.components_), atol=1e-5)
    np.testing.assert_allclose(
        prep.explained_variance_ratio, reference.explained_variance_ratio_, rtol=1e-5
    )
    out = prep.transform(cube)
    assert out.shape == (*cube.shape[:2], 4) and out.dtype == np.float32
    state = {k: torch.from_numpy(v) for k, v in prep.state().items()}
    again = SpectralPreprocessor.from_state(state)
    np.testing.assert_array_equal(again.transform(cube), out)


def test_constant_band_does_not_divide_by_zero():
    spectra = np.ones((10, 3))
    spectra[:, 1] = np.arange(10)
    out = SpectralPreprocessor.fit(spectra).transform(spectra)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[:, 0], 0.0)


@pytest.mark.parametrize("patch_size", [1, 3, 7])
def test_patch_dataset_equals_numpy_reflect_padding(synthetic_scene, patch_size):
    cube, labels = synthetic_scene
    radius = patch_size // 2
    padded = pad_cube(cube, radius)
    reference = np.pad(cube, ((radius, radius), (radius, radius), (0, 0)), mode="reflect")
    pixels = np.array([[0, 0], [5, 23], [23, 23], [12, 7]])
    dataset = PatchDataset(padded, pixels, labels, patch_size)
    batch = gather_patches(padded, torch.as_tensor(pixels), patch_size)
    for i, (r, c) in enumerate(pixels):
        item = dataset[i]
        expected = reference[r : r + patch_size, c : c + patch_size].transpose(2, 0, 1)
        np.testing.assert_array_equal(item["x"].numpy(), expected)
        np.testing.assert_array_equal(batch[i].numpy(), expected)
        assert int(item["y"]) == labels[r, c] - 1  # 0-based class index
        # the centre of the patch is the pixel itself
        np.testing.assert_array_equal(item["x"][:, radius, radius].numpy(), cube[r, c])


def test_unlabelled_dataset_and_coordinates(synthetic_scene):
    cube, labels = synthetic_scene
    pixels = pixel_coordinates(labels == 2)
    assert len(pixels) == int((labels == 2).sum())
    dataset = PatchDataset(pad_cube(cube, 1), pixels, None, 3)
    assert int(dataset[0]["y"]) == -1 and len(dataset) == len(pixels)
    with pytest.raises(ValueError, match="odd"):
        PatchDataset(pad_cube(cube, 1), pixels, None, 4)
