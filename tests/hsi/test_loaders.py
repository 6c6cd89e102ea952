"""Cube / label loaders for every supported format, and one-line errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hsi_test_helpers import write_geotiff

from panspectra_hsi.data import HSIDataError, load_scene, open_cube, read_array


@pytest.fixture
def cube_and_labels(synthetic_scene):
    cube, labels = synthetic_scene
    return cube, labels.astype(np.uint8)


def test_npy_and_npz(tmp_path, cube_and_labels):
    cube, labels = cube_and_labels
    np.save(tmp_path / "cube.npy", cube)
    np.savez(tmp_path / "both.npz", data=cube, gt=labels)
    scene = load_scene(tmp_path / "cube.npy", tmp_path / "both.npz")
    np.testing.assert_array_equal(scene.cube, cube)
    np.testing.assert_array_equal(scene.labels, labels)
    assert scene.num_classes == 3 and scene.label_values == [1, 2, 3]
    assert open_cube(tmp_path / "both.npz").shape == cube.shape
    with pytest.raises(HSIDataError, match=r"no array 'x' \(found: data .*gt"):
        open_cube(tmp_path / "both.npz", key="x")


def test_mat_v5_auto_key_and_unknown_key_lists_keys(tmp_path, cube_and_labels):
    from scipy.io import savemat

    cube, labels = cube_and_labels
    savemat(tmp_path / "scene.mat", {"indian_pines_corrected": cube, "wl": np.arange(12.0)})
    savemat(tmp_path / "gt.mat", {"indian_pines_gt": labels})
    scene = load_scene(tmp_path / "scene.mat", tmp_path / "gt.mat")
    np.testing.assert_array_equal(scene.cube, cube)
    with pytest.raises(
        HSIDataError,
        match=r"scene.mat: no variable 'nope' \(found: "
        r"indian_pines_corrected \(24, 24, 12\).*--cube-key",
    ):
        open_cube(tmp_path / "scene.mat", key="nope")
    savemat(tmp_path / "two.mat", {"a": cube, "b": cube})
    with pytest.raises(HSIDataError, match=r"several 3-D array.*pass --cube-key"):
        open_cube(tmp_path / "two.mat")
    assert open_cube(tmp_path / "two.mat", key="b").shape == cube.shape


def test_mat_v73_hdf5(tmp_path, cube_and_labels):
    h5py = pytest.importorskip("h5py")
    cube, _ = cube_and_labels
    with h5py.File(tmp_path / "v73.mat", "w") as handle:  # MATLAB writes column-major
        handle.create_dataset("cube", data=cube.transpose())
    np.testing.assert_array_equal(open_cube(tmp_path / "v73.mat").read_all(), cube)


def test_geotiff_keeps_crs_transform_and_windowed_read(tmp_path, cube_and_labels):
    cube, labels = cube_and_labels
    transform = write_geotiff(tmp_path / "cube.tif", cube)
    write_geotiff(tmp_path / "gt.tif", labels[:, :, None])
    source = open_cube(tmp_path / "cube.tif")
    assert source.shape == cube.shape
    assert "32616" in source.crs or "UTM zone 16N" in source.crs
    assert source.transform == tuple(transform)[:6]
    np.testing.assert_array_equal(source.read(slice(3, 9), slice(10, 20)), cube[3:9, 10:20])
    scene = load_scene(tmp_path / "cube.tif", tmp_path / "gt.tif")
    assert scene.is_georeferenced
    np.testing.assert_array_equal(scene.labels, labels)


def test_envi_wavelengths_and_band_names(tmp_path, cube_and_labels):
    spectral = pytest.importorskip("spectral")
    cube, _ = cube_and_labels
    wavelengths = np.linspace(400, 1000, 12)
    metadata = {
        "wavelength": [str(w) for w in wavelengths],
        "band names": [f"b{i}" for i in range(12)],
    }
    spectral.envi.save_image(str(tmp_path / "cube.hdr"), cube, metadata=metadata, interleave="bil")
    source = open_cube(tmp_path / "cube.hdr")
    np.testing.assert_allclose(source.wavelengths, wavelengths)
    assert source.band_names[3] == "b3"
    np.testing.assert_array_equal(source.read_all(), cube)


def test_ignore_label_remaps_codes(tmp_path, cube_and_labels):
    cube, labels = cube_and_labels
    raw = np.where(labels == 0, 255, labels * 10).astype(np.uint8)  # codes 10,20,30; 255 = none
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", raw)
    scene = load_scene(tmp_path / "cube.npy", tmp_path / "gt.npy", ignore_label=255)
    assert scene.label_values == [10, 20, 30]
    np.testing.assert_array_equal(scene.labels, labels)


def test_bad_inputs_are_one_line_user_errors(tmp_path, cube_and_labels):
    cube, labels = cube_and_labels
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "small_gt.npy", labels[:20])
    with pytest.raises(
        HSIDataError,
        match=r"small_gt.npy: label map shape \(20, 24\) does not "
        r"match the cube's \(24, 24\)",
    ):
        load_scene(tmp_path / "cube.npy", tmp_path / "small_gt.npy")
    bad = cube.copy()
    bad[4, 4, 7] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(HSIDataError, match=r"nan.npy: 1 band\(s\) contain NaN/inf.*--drop-bands 7"):
        load_scene(tmp_path / "nan.npy")
    scene = load_scene(tmp_path / "nan.npy", drop_bands=[7])
    assert scene.cube.shape[2] == 11
    np.save(tmp_path / "empty.npy", np.full((5, 5, 3), np.nan, dtype=np.float32))
    with pytest.raises(HSIDataError, match="every pixel is nodata"):
        load_scene(tmp_path / "empty.npy")
    with pytest.raises(HSIDataError, match=r"missing\.tif: file not found"):
        open_cube(tmp_path / "missing.tif")
    with pytest.raises(
        HSIDataError, match=r"cube_as_gt.npy: labels must be 2-D, got shape \(24, 24, 12\)"
    ):
        np.save(tmp_path / "cube_as_gt.npy", cube)
        load_scene(tmp_path / "cube.npy", tmp_path / "cube_as_gt.npy")


def test_geotiff_nodata_pixels_are_masked_and_unlabelled(tmp_path, cube_and_labels):
    cube, labels = cube_and_labels
    with_nodata = cube.copy()
    with_nodata[0:2, :, :] = -9999.0
    write_geotiff(tmp_path / "cube.tif", with_nodata, nodata=-9999.0)
    np.save(tmp_path / "gt.npy", np.ones_like(labels))
    scene = load_scene(tmp_path / "cube.tif", tmp_path / "gt.npy")
    assert scene.nodata_mask[0:2].all() and not scene.nodata_mask[2:].any()
    assert (scene.labels[0:2] == 0).all()
    assert read_array(tmp_path / "gt.npy", None, ndim=2, what="labels").shape == labels.shape
