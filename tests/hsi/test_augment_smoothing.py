"""Dihedral augmentation, test-time augmentation and probability-map smoothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hsi_test_helpers import tiny_classifier

from panspectra_hsi.data import PatchDataset, pad_cube
from panspectra_hsi.data.patches import dihedral
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.pipeline import classify_scene
from panspectra_hsi.pipeline.smoothing import smooth_probabilities
from panspectra_hsi.pipeline.tiling import window_probabilities


def test_dihedral_views_are_the_eight_distinct_symmetries():
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    views = [dihedral(x, k) for k in range(8)]
    assert torch.equal(views[0], x)
    assert len({tuple(v.flatten().tolist()) for v in views}) == 8
    assert torch.equal(views[4], x.flip(-1)) and torch.equal(views[2], x.flip(-1).flip(-2))
    with pytest.raises(ValueError):
        dihedral(x, 8)


def test_augmented_dataset_returns_a_dihedral_view_of_the_plain_patch(synthetic_scene):
    cube, labels = synthetic_scene
    padded, pixels = pad_cube(cube, 2), np.argwhere(labels > 0)[:20]
    plain = PatchDataset(padded, pixels, labels, 5)
    augmented = PatchDataset(padded, pixels, labels, 5, augment=True)
    torch.manual_seed(0)
    changed = 0
    for i in range(len(plain)):
        a, p = augmented[i], plain[i]
        assert int(a["y"]) == int(p["y"])
        assert any(torch.equal(a["x"], dihedral(p["x"], k)) for k in range(8))
        changed += not torch.equal(a["x"], p["x"])
    assert changed > 0


def _symmetric_patches(n=6, bands=4, p=5):
    """Patches invariant under every flip and rotation: a function of the distance to centre."""
    r = torch.arange(p) - p // 2
    ring = torch.maximum(r[:, None].abs(), r[None, :].abs()).float()  # (p, p), D4-invariant
    return torch.randn(n, bands, 1, 1) * ring + torch.randn(n, bands, 1, 1)


def test_tta_equals_no_tta_on_symmetric_patches_and_differs_otherwise(scene_factory):
    cube, _ = scene_factory()
    plain, tta = tiny_classifier(cube), tiny_classifier(cube, tta=8)
    symmetric = _symmetric_patches()
    out = tta.probabilities(symmetric)
    assert out.shape == (6, 3)
    torch.testing.assert_close(out.sum(dim=1), torch.ones(6))
    torch.testing.assert_close(out, plain.probabilities(symmetric))
    generic = torch.randn(6, 4, 5, 5)
    assert not torch.allclose(tta.probabilities(generic), plain.probabilities(generic))
    with pytest.raises(ValueError):
        tiny_classifier(cube, tta=3)


def test_smoothing_radius_zero_is_identity_and_flips_an_isolated_pixel():
    proba = np.zeros((7, 7, 2), dtype=np.float32)
    proba[..., 0] = 1.0
    proba[3, 3] = (0.2, 0.8)  # a lone class-1 decision in a class-0 field
    valid = np.ones((7, 7), dtype=bool)
    assert smooth_probabilities(proba, valid, 0) is proba
    smoothed = smooth_probabilities(proba, valid, 1)
    assert smoothed.argmax(-1).max() == 0
    np.testing.assert_allclose(smoothed.sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(smoothed[0, 0], (1.0, 0.0))  # truncated window at the corner


def test_smoothing_ignores_nodata_pixels():
    proba = np.zeros((5, 5, 2), dtype=np.float32)
    proba[..., 0] = 1.0
    proba[:, :2] = (0.0, 1.0)  # nodata columns carry garbage that must not be averaged in
    valid = np.ones((5, 5), dtype=bool)
    valid[:, :2] = False
    smoothed = smooth_probabilities(proba, valid, 2)
    np.testing.assert_allclose(smoothed[:, 2:, 0], 1.0)
    assert (smoothed[:, :2] == 0).all()


def test_smoothed_map_does_not_depend_on_any_labels(scene_factory):
    cube, labels = scene_factory(noise=0.6)
    classifier = tiny_classifier(cube, smooth_radius=2)
    with_labels = classify_scene(classifier, Scene(cube=cube, labels=labels))
    shuffled = np.random.default_rng(0).permutation(labels.ravel()).reshape(labels.shape)
    np.testing.assert_array_equal(
        classify_scene(classifier, Scene(cube=cube, labels=shuffled)), with_labels
    )
    np.testing.assert_array_equal(classify_scene(classifier, Scene(cube=cube)), with_labels)


def test_disjoint_guard_band_grows_with_the_smoothing_radius():
    from panspectra_hsi.cli import train_config as TrainOptions
    from panspectra_hsi.pipeline import finalize as resolve_options

    base = resolve_options(
        TrainOptions(model="ssftt", protocol="disjoint", patch_size=7, smooth_radius=0)
    )
    smoothed = resolve_options(
        TrainOptions(model="ssftt", protocol="disjoint", patch_size=7, smooth_radius=2)
    )
    assert (base.guard_radius, smoothed.guard_radius) == (3, 5)


@pytest.mark.parametrize("method", ["box", "guided"])
def test_excluded_pixels_cannot_reach_the_rest_of_the_filtered_map(scene_factory, method):
    """``exclude`` (the training pixels' patch footprint) is what makes the filter leak-free
    without a guard band: whatever the model predicts on or next to the training pixels, the
    filtered map everywhere else stays the same."""
    from panspectra_hsi.data.protocols import guard_band

    cube, _ = scene_factory(height=20, width=20, noise=0.3)
    classifier = tiny_classifier(cube, patch_size=3, smooth_radius=3, smooth_method=method)
    train = np.zeros((20, 20), dtype=bool)
    train[4:8, 5:9] = True
    exclude = guard_band(train, classifier.radius)
    altered = cube.copy()
    altered[train] = np.random.default_rng(1).normal(0, 50, altered[train].shape)
    kept = ~exclude
    masked = [classify_scene(classifier, Scene(cube=c), exclude=exclude) for c in (cube, altered)]
    np.testing.assert_array_equal(masked[0][kept], masked[1][kept])
    # the excluded pixels themselves are decided by the filter of their neighbours' votes
    proba, valid, guide = window_probabilities(
        classifier, lambda r, c: cube[r, c], (20, 20), (0, 20, 0, 20)
    )
    guide = guide if method == "guided" else None
    expected = smooth_probabilities(proba, valid, 3, guide, sources=kept).argmax(-1)
    np.testing.assert_array_equal(masked[0][exclude], expected[exclude])
    plain = [classify_scene(classifier, Scene(cube=c)) for c in (cube, altered)]
    assert (plain[0][kept] != plain[1][kept]).any()  # without the mask the change leaks out
    # a pixel whose window holds only excluded pixels keeps its unfiltered decision
    everything = np.ones((20, 20), dtype=bool)
    unfiltered = classify_scene(tiny_classifier(cube, patch_size=3), Scene(cube=cube))
    np.testing.assert_array_equal(
        classify_scene(classifier, Scene(cube=cube), exclude=everything), unfiltered
    )


def test_a_pixel_outside_the_sources_is_filtered_from_its_neighbours_only():
    proba = np.zeros((5, 5, 2), dtype=np.float32)
    proba[..., 0] = 1.0
    proba[2, 2] = (0.0, 1.0)  # a confident class-1 pixel, e.g. a training pixel
    valid, sources = np.ones((5, 5), dtype=bool), np.ones((5, 5), dtype=bool)
    sources[2, 2] = False
    for guide in (None, np.random.default_rng(0).normal(size=(5, 5))):
        out = smooth_probabilities(proba, valid, 1, guide=guide, sources=sources)
        np.testing.assert_allclose(out[..., 0], 1.0, atol=1e-6)  # nobody sees the class-1 vote
    plain = smooth_probabilities(proba, valid, 1)
    assert plain[2, 2, 1] == pytest.approx(1 / 9)


def test_guard_band_is_the_patch_radius_when_training_pixels_are_kept_out_of_the_filter():
    from panspectra_hsi.cli import train_config as TrainOptions
    from panspectra_hsi.pipeline import finalize as resolve_options

    options = TrainOptions(
        model="ssftt",
        protocol="disjoint",
        patch_size=7,
        smooth_radius=2,
        smooth_exclude_training=True,
    )
    assert resolve_options(options).guard_radius == 3


def test_guided_filter_keeps_an_edge_that_the_box_mean_blurs():
    proba = np.zeros((10, 10, 2), dtype=np.float32)
    proba[:, :5] = (0.55, 0.45)  # weakly class 0 on the left
    proba[:, 5:] = (0.1, 0.9)  # strongly class 1 on the right
    guide = np.where(np.arange(10) < 5, 0.0, 10.0)[None, :].repeat(10, axis=0)  # same edge
    valid = np.ones((10, 10), dtype=bool)
    truth = np.where(np.arange(10) < 5, 0, 1)[None, :].repeat(10, axis=0)
    assert (smooth_probabilities(proba, valid, 2).argmax(-1) != truth).any()  # box blurs it
    guided = smooth_probabilities(proba, valid, 2, guide=guide)
    np.testing.assert_array_equal(guided.argmax(-1), truth)
    np.testing.assert_allclose(guided.sum(-1), 1.0, rtol=1e-5)


def test_preprocessor_guide_has_unit_variance_on_training_pixels(synthetic_scene):
    from panspectra_hsi.data import SpectralPreprocessor

    cube, labels = synthetic_scene
    train = cube[labels > 0]
    for pca in (None, 4):
        prep = SpectralPreprocessor.fit(train, pca, standardize_bands=pca is None)
        assert prep.guide(train).std() == pytest.approx(1.0, rel=1e-3)
        restored = SpectralPreprocessor.from_state(prep.state())
        np.testing.assert_allclose(restored.guide(cube), prep.guide(cube), rtol=1e-5)
