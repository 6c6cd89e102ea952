"""Mixed ensembles: members with their own preprocessing and patch size, probabilities averaged,
trained on one split, tiled like a single model, and saved in one checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hsi_test_helpers import TINY, TinyPatchNet

from panspectra_core.errors import UserError
from panspectra_core.training import TrainConfig
from panspectra_hsi.cli import classify_main, train_config
from panspectra_hsi.data.preprocessing import SpectralPreprocessor
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.pipeline import (
    MixedClassifier,
    PixelClassifier,
    classify_scene,
    finalize,
    load_classifier,
    member_config,
    train_classifier,
)
from panspectra_hsi.pipeline.tiling import window_probabilities

CLASSES = ["a", "b", "c"]


def _member(cube, patch_size, components, seed, tta=1):
    torch.manual_seed(seed)
    preprocessor = SpectralPreprocessor.fit(cube.reshape(-1, cube.shape[-1]), components)
    return PixelClassifier(
        model=TinyPatchNet(preprocessor.num_features, 3, patch_size).eval(),
        preprocessor=preprocessor,
        patch_size=patch_size,
        class_names=CLASSES,
        label_values=[1, 2, 3],
        model_name=TINY,
        model_kwargs={"num_bands": preprocessor.num_features, "num_classes": 3},
        tta=tta,
    )


def _read(cube):
    return lambda rows, cols: cube[rows, cols]


def test_window_probabilities_are_the_weighted_mean_of_the_members(scene_factory):
    cube, _ = scene_factory(height=14, width=15)
    members = [_member(cube, 5, 4, seed=0, tta=2), _member(cube, 3, None, seed=1)]
    mixed = MixedClassifier(members, weights=[3.0, 1.0])
    assert mixed.weights == [0.75, 0.25] and mixed.radius == 2
    shape = cube.shape[:2]
    for window in [(0, 14, 0, 15), (0, 6, 9, 15), (5, 11, 4, 9)]:  # corner, border, interior
        proba, valid, _ = window_probabilities(mixed, _read(cube), shape, window)
        alone = [window_probabilities(m, _read(cube), shape, window)[0] for m in members]
        np.testing.assert_allclose(proba, 0.75 * alone[0] + 0.25 * alone[1], atol=1e-6)
        assert valid.all() and np.allclose(proba.sum(-1), 1.0, atol=1e-5)
    # tiles of the scene give the same map as the whole scene at once
    whole = classify_scene(mixed, Scene(cube=cube), tile_size=64)
    np.testing.assert_array_equal(classify_scene(mixed, Scene(cube=cube), tile_size=4), whole)


def test_members_must_agree_on_classes_and_bands(scene_factory):
    cube, _ = scene_factory(height=8, width=8)
    other = _member(cube, 3, None, seed=0)
    other.label_values = [1, 2, 4]
    with pytest.raises(ValueError, match="share classes"):
        MixedClassifier([_member(cube, 3, None, seed=0), other])
    with pytest.raises(ValueError, match="weight"):
        MixedClassifier([_member(cube, 3, None, seed=0)], weights=[-1.0])


def _train(tmp_path, scene, **overrides):
    overrides = {"members": [TINY, "spectral_mlp"], **overrides}
    options = train_config(
        model="mixed_ensemble",
        seed=3,
        pca_components=4,
        epochs=2,
        lr=0.05,
        batch_size=32,
        **overrides,
    )
    config = TrainConfig(progress_bar=False, accelerator="cpu")
    return train_classifier(scene, options, trainer_config=config, workdir=tmp_path)


def test_members_keep_their_recipes_and_seeds_and_the_checkpoint_round_trips(
    tmp_path, scene_factory
):
    cube, labels = scene_factory(height=16, width=16)
    scene = Scene(cube=cube, labels=labels, class_names=CLASSES, label_values=[1, 2, 3])
    result = _train(tmp_path, scene)
    mixed, metrics = result.classifier, result.metrics
    assert isinstance(mixed, MixedClassifier)
    # TINY has no recipe (generic patch 11), spectral_mlp's recipe uses single pixels
    assert [m.patch_size for m in mixed.members] == [11, 1]
    assert mixed.smooth_radius == 1  # the mixed_ensemble recipe's filter
    assert all(m.smooth_radius == 0 for m in mixed.members)
    assert [r["seed"] for r in metrics["members"]] == [3, 1003]
    assert [r["model"] for r in metrics["members"]] == [TINY, "spectral_mlp"]
    assert metrics["train_seconds"] == pytest.approx(
        sum(r["train_seconds"] for r in metrics["members"])
    )
    assert metrics["epochs"] == [2, 2]
    path = mixed.save(tmp_path / "mixed.safetensors", config={}, metrics={}, protocol={})
    restored = load_classifier(path)
    assert isinstance(restored, MixedClassifier)
    assert [m.model_name for m in restored.members] == [TINY, "spectral_mlp"]
    np.testing.assert_array_equal(classify_scene(restored, scene), result.prediction)
    # the Predictor API: raw patches of the widest member's size, each member crops its own
    restored.smooth_radius = 0
    r = restored.radius
    padded = np.pad(cube, ((r, r), (r, r), (0, 0)), mode="reflect")
    patches = [padded[i : i + 2 * r + 1, j : j + 2 * r + 1] for i in range(16) for j in range(16)]
    classes = np.array(list(restored.predict(patches, batch_size=37))).reshape(16, 16)
    np.testing.assert_array_equal(classes, classify_scene(restored, Scene(cube=cube)))
    restored.tta = 4
    assert restored.tta == [4, 4]


def test_an_sklearn_member_trains_and_round_trips_through_the_checkpoint(tmp_path, scene_factory):
    cube, labels = scene_factory(height=16, width=16)
    scene = Scene(cube=cube, labels=labels, class_names=CLASSES, label_values=[1, 2, 3])
    result = _train(tmp_path, scene, members=["svm", "spectral_mlp"])
    mixed = result.classifier
    assert [m.is_sklearn for m in mixed.members] == [True, False]
    assert result.metrics["members"][0]["epochs"] == 0
    path = mixed.save(tmp_path / "mixed.safetensors", config={}, metrics={}, protocol={})
    restored = load_classifier(path)
    assert restored.members[0].is_sklearn
    window = (0, 16, 0, 16)
    np.testing.assert_allclose(
        window_probabilities(restored, _read(cube), (16, 16), window)[0],
        window_probabilities(mixed, _read(cube), (16, 16), window)[0],
        atol=1e-6,
    )
    np.testing.assert_array_equal(classify_scene(restored, scene), result.prediction)
    restored.tta = 4
    assert restored.tta == [1, 4]  # a single spectrum has no dihedral views


def test_guard_band_follows_the_widest_member(tmp_path, scene_factory):
    options = finalize(
        train_config(model="mixed_ensemble", members=f"{TINY},spectral_mlp", protocol="disjoint")
    )
    assert options.guard_radius == 11 // 2 + 1
    assert options.members == [TINY, "spectral_mlp"]
    # members take their own recipes, under the values the user set for the ensemble
    assert member_config(options, "spectral_mlp").patch_size == 1
    assert member_config(options, "spectral_mlp").pca_components is None
    tuned = train_config(model="mixed_ensemble", members="ssftt,lola_specvit", lr=0.01)
    assert [member_config(tuned, m).lr for m in ("ssftt", "lola_specvit")] == [0.01, 0.01]
    assert member_config(tuned, "lola_specvit").scheduler == "cyclic"
    assert member_config(tuned, "ssftt").smooth_radius == 0  # the ensemble smooths the mean
    default = finalize(train_config(model="mixed_ensemble"))
    assert default.members == ["ssftt", "ssftt", "lola_specvit"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"members": ["nope"]}, "not an hsi model"),
        ({"members": ["mixed_ensemble"]}, "not an hsi model"),
        ({"ensemble": 2}, "ensemble=2 cannot be combined"),
        ({"lora_rank": 2}, "lora_rank=2 cannot be combined"),
    ],
)
def test_bad_member_lists_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        finalize(train_config(model="mixed_ensemble", **overrides))


@pytest.mark.slow
def test_cli_trains_predicts_and_evaluates_a_mixed_ensemble(tmp_path, capsys, scene_factory):
    cube, labels = scene_factory(height=16, width=16)
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", labels)
    common = ["--cube", str(tmp_path / "cube.npy"), "--quiet"]
    train = ["train", "--labels", str(tmp_path / "gt.npy"), "--model", "mixed_ensemble"]
    train += ["--members", f"{TINY},spectral_mlp", "--pca", "4", "--epochs", "2"]
    train += ["--accelerator", "cpu"]
    assert classify_main([*train, *common, "--output", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["model"] == "mixed_ensemble" and len(metrics["members"]) == 2
    checkpoint = str(tmp_path / "run" / "model.safetensors")
    predict = ["predict", "--checkpoint", checkpoint, "--output", str(tmp_path / "map.npy")]
    assert classify_main([*predict, *common]) == 0
    codes = np.load(tmp_path / "map.npy")
    assert codes.shape == (16, 16) and set(np.unique(codes)) <= {1, 2, 3}
    evaluate = ["evaluate", "--checkpoint", checkpoint, "--labels", str(tmp_path / "gt.npy")]
    assert classify_main([*evaluate, *common]) == 0
    assert "mixed_ensemble" in capsys.readouterr().out
    # --members without the mixed model is a one-line error, exit 2
    wrong = ["train", "--labels", str(tmp_path / "gt.npy"), "--model", TINY, "--members", "svm"]
    assert classify_main([*wrong, *common, "--output", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists()
