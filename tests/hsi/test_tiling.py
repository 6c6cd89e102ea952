"""Tiled whole-scene prediction equals in-memory prediction; nodata handling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hsi_test_helpers import tiny_classifier

from panspectra_hsi.data import open_cube
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.pipeline import classify_scene, predict_to_file


@pytest.mark.parametrize("tile_size", [3, 7, 100])
def test_tiled_prediction_equals_whole_scene_prediction(tmp_path, tile_size, scene_factory):
    cube, _ = scene_factory(height=19, width=23)
    classifier = tiny_classifier(cube)
    whole = classify_scene(classifier, Scene(cube=cube), tile_size=1000)
    # reference: reflect-pad the whole preprocessed scene and classify every pixel at once
    features = classifier.preprocessor.transform(cube)
    padded = np.pad(features, ((2, 2), (2, 2), (0, 0)), mode="reflect").transpose(2, 0, 1)
    pixels = torch.from_numpy(np.argwhere(np.ones(cube.shape[:2], dtype=bool)))
    reference = classifier.classify_padded(torch.from_numpy(padded.copy()), pixels)
    np.testing.assert_array_equal(whole.ravel(), reference)
    np.save(tmp_path / "cube.npy", cube)
    summary = predict_to_file(
        classifier, open_cube(tmp_path / "cube.npy"), tmp_path / "map.npy", tile_size=tile_size
    )
    np.testing.assert_array_equal(np.load(tmp_path / "map.npy"), whole + 1)  # label codes 1..3
    assert summary["pixels"] == 19 * 23


def test_nodata_pixels_get_the_nodata_code(tmp_path, scene_factory):
    cube, _ = scene_factory(height=12, width=12)
    cube[0, :5] = np.nan
    np.save(tmp_path / "cube.npy", cube)
    classifier = tiny_classifier(np.nan_to_num(cube))
    classifier.ignore_label = 0
    predict_to_file(classifier, open_cube(tmp_path / "cube.npy"), tmp_path / "m.npy", tile_size=5)
    out = np.load(tmp_path / "m.npy")
    assert (out[0, :5] == 0).all() and (out[1:] > 0).all()


@pytest.mark.parametrize(("tile_size", "method"), [(3, "box"), (8, "box"), (5, "guided")])
def test_tiled_smoothed_tta_map_equals_whole_scene_map(tmp_path, tile_size, method, scene_factory):
    cube, _ = scene_factory(height=19, width=23, noise=0.6)
    classifier = tiny_classifier(cube, tta=4, smooth_radius=2, smooth_method=method)
    whole = classify_scene(classifier, Scene(cube=cube), tile_size=1000)
    classifier.smooth_radius = 0
    assert (classify_scene(classifier, Scene(cube=cube)) != whole).any()  # smoothing acts
    classifier.smooth_radius = 2
    np.save(tmp_path / "cube.npy", cube)
    predict_to_file(
        classifier, open_cube(tmp_path / "cube.npy"), tmp_path / "map.npy", tile_size=tile_size
    )
    np.testing.assert_array_equal(np.load(tmp_path / "map.npy"), whole + 1)
