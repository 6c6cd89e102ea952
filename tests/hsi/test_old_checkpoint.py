"""A checkpoint written by the hsi code before it moved onto the core kit still loads,
predicts the same map and evaluates (fixtures/spectral_mlp_v0.*: a 3-epoch spectral MLP,
hidden 8, PCA 4, 3×3 box smoothing, on a 12×12×6 synthetic scene)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from panspectra_hsi.cli import classify_main
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.pipeline import PixelClassifier, classify_scene, load_classifier

FIXTURES = Path(__file__).parent / "fixtures"
CHECKPOINT = FIXTURES / "spectral_mlp_v0.safetensors"


def test_pre_kit_checkpoint_predicts_the_map_it_predicted_then(tmp_path):
    cube = np.load(FIXTURES / "spectral_mlp_v0_cube.npy")
    expected = np.load(FIXTURES / "spectral_mlp_v0_map.npy").astype(np.int64)
    classifier = load_classifier(CHECKPOINT)
    assert isinstance(classifier, PixelClassifier)
    assert (classifier.model_name, classifier.smooth_radius, classifier.patch_size) == (
        "spectral_mlp",
        1,
        1,
    )
    codes = np.asarray(classifier.label_values)[classify_scene(classifier, Scene(cube=cube))]
    np.testing.assert_array_equal(codes, expected)
    # through the CLI, as then
    np.save(tmp_path / "cube.npy", cube)
    out = tmp_path / "map.npy"
    argv = ["predict", "--checkpoint", str(CHECKPOINT), "--cube", str(tmp_path / "cube.npy")]
    assert classify_main([*argv, "--quiet", "--output", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), expected)


def test_pre_kit_checkpoint_predicts_patches_through_the_predictor_api():
    cube = np.load(FIXTURES / "spectral_mlp_v0_cube.npy")
    classifier = PixelClassifier.load(CHECKPOINT)
    classifier.smooth_radius = 0
    pixels = [cube[r : r + 1, c : c + 1] for r in range(12) for c in range(12)]
    predicted = np.array(list(classifier.predict(pixels, batch_size=50))).reshape(12, 12)
    np.testing.assert_array_equal(predicted, classify_scene(classifier, Scene(cube=cube)))


def test_pre_kit_checkpoint_evaluates(tmp_path, capsys):
    np.save(tmp_path / "cube.npy", np.load(FIXTURES / "spectral_mlp_v0_cube.npy"))
    np.save(tmp_path / "gt.npy", np.load(FIXTURES / "spectral_mlp_v0_labels.npy").astype(np.int64))
    argv = ["evaluate", "--checkpoint", str(CHECKPOINT), "--cube", str(tmp_path / "cube.npy")]
    assert classify_main([*argv, "--labels", str(tmp_path / "gt.npy"), "--quiet"]) == 0
    assert "spectral_mlp" in capsys.readouterr().out
