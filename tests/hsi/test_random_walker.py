"""The random-walker probability smoothing: against its dense reference, its invariants, its
leak-freedom (non-source pixels cannot reach the output), tiling, options and checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
from hsi_test_helpers import tiny_classifier

from panspectra_core.errors import UserError
from panspectra_hsi.data import open_cube
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.pipeline import (
    PixelClassifier,
    classify_scene,
    finalize,
    predict_to_file,
)
from panspectra_hsi.pipeline.smoothing import (
    edge_scale,
    neighbour_edges,
    random_walker_probabilities,
    random_walker_reference,
)


def _random_maps(height=6, width=7, classes=3, bands=4, seed=0):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(classes), size=(height, width)).astype(np.float32)
    features = rng.normal(size=(height, width, bands)).astype(np.float32)
    return proba, features


def test_neighbour_edges_are_the_8_neighbourhood_once_each():
    i, j = neighbour_edges(np.ones((3, 4), dtype=bool))
    # horizontal 3*3, vertical 2*4, two diagonals 2*3 each
    assert len(i) == 9 + 8 + 6 + 6
    pairs = {tuple(sorted(p)) for p in zip(i.tolist(), j.tolist())}
    assert len(pairs) == len(i)
    rows, cols = np.divmod(i, 4), np.divmod(j, 4)
    assert np.all(np.maximum(abs(rows[0] - cols[0]), abs(rows[1] - cols[1])) == 1)
    valid = np.ones((3, 4), dtype=bool)
    valid[1, 1] = False
    i, j = neighbour_edges(valid)
    assert 5 not in set(i.tolist()) | set(j.tolist())


@pytest.mark.parametrize("with_sources", [False, True])
def test_sparse_solver_matches_the_dense_reference(with_sources):
    proba, features = _random_maps()
    valid = np.ones(proba.shape[:2], dtype=bool)
    valid[0, 0] = False  # a nodata pixel
    sources = None
    if with_sources:
        sources = np.ones_like(valid)
        sources[2:4, 2:5] = False
    fast = random_walker_probabilities(proba, valid, features, 2.0, 3.0, sources=sources)
    slow = random_walker_reference(proba, valid, features, 2.0, 3.0, sources=sources)
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-6)
    assert np.all(fast[0, 0] == 0)


def test_rows_stay_probabilities_and_a_constant_map_is_unchanged():
    proba, features = _random_maps(height=9, width=8)
    valid = np.ones(proba.shape[:2], dtype=bool)
    out = random_walker_probabilities(proba, valid, features, 3.0, 2.0)
    np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)
    assert out.min() >= -1e-6 and out.max() <= 1 + 1e-6
    constant = np.broadcast_to(np.float32([0.2, 0.3, 0.5]), proba.shape).copy()
    np.testing.assert_allclose(
        random_walker_probabilities(constant, valid, features, 3.0, 2.0), constant, atol=1e-6
    )


def test_the_walk_spreads_within_a_field_more_than_across_a_spectral_edge():
    """Two fields (left/right, very different spectra); one confident pixel of class 1 in the
    left field, the rest undecided: its vote reaches its own field, hardly the other."""
    proba = np.full((8, 8, 2), 0.5, dtype=np.float32)
    proba[4, 1] = (0.0, 1.0)
    features = np.zeros((8, 8, 1), dtype=np.float32)
    features[:, 4:] = 10.0
    out = random_walker_probabilities(proba, np.ones((8, 8), bool), features, 4.0, 1.0)
    assert out[4, 3, 1] > 0.5 and abs(out[4, 4, 1] - 0.5) < 1e-6


def test_pixels_outside_the_sources_cannot_reach_the_output():
    """The leak-freedom the disjoint default rests on: whatever the model predicts on the
    non-source (training) pixels, every output is the same."""
    proba, features = _random_maps(height=10, width=10)
    valid = np.ones((10, 10), dtype=bool)
    sources = np.ones_like(valid)
    sources[3:6, 4:8] = False
    altered = proba.copy()
    altered[~sources] = np.float32([1.0, 0.0, 0.0])
    args = (valid, features, 3.0, 2.0)
    np.testing.assert_allclose(
        random_walker_probabilities(proba, *args, sources=sources),
        random_walker_probabilities(altered, *args, sources=sources),
        atol=1e-6,
    )
    plain = [random_walker_probabilities(p, *args) for p in (proba, altered)]
    assert np.abs(plain[0] - plain[1])[sources].max() > 1e-3  # without sources it leaks out


def test_a_part_of_the_graph_without_sources_keeps_its_own_probabilities():
    proba, features = _random_maps(height=5, width=6)
    valid = np.ones((5, 6), dtype=bool)
    valid[:, 2] = False  # cuts the grid into columns 0-1 and 3-5
    sources = valid.copy()
    sources[:, :2] = False
    out = random_walker_probabilities(proba, valid, features, 2.0, 1.0, sources=sources)
    np.testing.assert_allclose(out[:, :2], proba[:, :2], atol=1e-7)
    assert np.abs(out[:, 3:] - proba[:, 3:]).max() > 1e-3


def test_edge_scale_is_the_median_of_the_edges_at_the_mask():
    # feature = column index: squared distance 1 across columns, 0 along them
    features = np.broadcast_to(np.arange(4, dtype=np.float32)[None, :, None], (4, 4, 1))
    first_column = np.zeros((4, 4), dtype=bool)
    first_column[:, 0] = True  # its edges: 3 vertical (0), 4 horizontal + 6 diagonal (1)
    assert edge_scale(features, first_column) == 1.0
    assert edge_scale(3 * features, first_column) == 9.0
    valid = np.ones((4, 4), dtype=bool)
    valid[:, 1] = False  # column 0's only remaining edges are vertical
    with pytest.raises(ValueError, match="length 0"):
        edge_scale(features, first_column, valid)
    with pytest.raises(ValueError, match="no pixel edge"):
        edge_scale(features, np.zeros((4, 4), dtype=bool))


def _walker_classifier(cube, **fields) -> PixelClassifier:
    classifier = tiny_classifier(
        cube,
        patch_size=3,
        smooth_method="random_walker",
        model_kwargs={"num_bands": 4, "num_classes": 3, "patch_size": 3},
        **fields,
    )
    features = classifier.preprocessor.transform(cube)
    train = np.zeros(cube.shape[:2], dtype=bool)
    train[2:6, 2:6] = True
    classifier.smooth_edge_scale = edge_scale(features, train)
    return classifier


def test_tiled_walker_map_matches_the_whole_scene_map(tmp_path, scene_factory):
    cube, _ = scene_factory(height=40, width=44, noise=0.6)
    classifier = _walker_classifier(cube, smooth_radius=2)
    whole = classify_scene(classifier, Scene(cube=cube), tile_size=1000)
    classifier.smooth_radius = 0
    assert (classify_scene(classifier, Scene(cube=cube)) != whole).any()  # smoothing acts
    classifier.smooth_radius = 2
    np.save(tmp_path / "cube.npy", cube)
    predict_to_file(classifier, open_cube(tmp_path / "cube.npy"), tmp_path / "m.npy", tile_size=9)
    tiled = np.load(tmp_path / "m.npy") - 1
    # tiles are solved with a halo of 6 diffusion lengths: equal up to exp(-6)-small pulls
    assert np.mean(tiled == whole) >= 0.999  # (a halo of 2 lengths: 0.998)


def test_walker_needs_an_edge_scale_and_keeps_it_in_the_checkpoint(tmp_path, scene_factory):
    cube, _ = scene_factory(height=12, width=12)
    classifier = tiny_classifier(cube, smooth_radius=2, smooth_method="random_walker")
    with pytest.raises(ValueError, match="edge scale"):
        classify_scene(classifier, Scene(cube=cube))
    classifier = _walker_classifier(cube, smooth_radius=2)
    path = classifier.save(tmp_path / "c.safetensors", config={}, metrics={}, protocol={})
    loaded = PixelClassifier.load(path)
    assert loaded.smooth_method == "random_walker"
    assert loaded.smooth_edge_scale == pytest.approx(classifier.smooth_edge_scale)
    np.testing.assert_array_equal(
        classify_scene(loaded, Scene(cube=cube)), classify_scene(classifier, Scene(cube=cube))
    )


def test_disjoint_walker_must_leave_the_training_pixels_out():
    from panspectra_hsi.cli import train_config

    walker = {"model": "svm", "smooth_radius": 10, "smooth_method": "random_walker"}
    options = train_config(protocol="disjoint", **walker)
    message = "smooth_method='random_walker' with protocol='disjoint' needs smooth_exclude_training"
    with pytest.raises(UserError, match=message):
        finalize(options)
    options = options.replace(guard_radius=6)  # a guard band does not bound the walk either
    with pytest.raises(UserError, match="needs smooth_exclude_training"):
        finalize(options)
    assert finalize(options.replace(smooth_exclude_training=True)).guard_radius == 6
    finalize(train_config(protocol="random", **walker))  # random sampling: nothing to protect


def test_the_cli_offers_every_smoothing_method(capsys):
    from panspectra_hsi.cli import classify_main
    from panspectra_hsi.components import SMOOTHERS

    assert SMOOTHERS.names() == ["box", "guided", "random_walker"]
    with pytest.raises(SystemExit):
        classify_main(["train", "--help"])
    assert "[box, guided, random_walker]" in capsys.readouterr().out


def test_edge_distances_in_chunks_equal_all_at_once(monkeypatch):
    import panspectra_hsi.pipeline.smoothing as smoothing

    proba, features = _random_maps(height=9, width=11)
    valid = np.ones(proba.shape[:2], dtype=bool)
    whole = random_walker_probabilities(proba, valid, features, 2.0, 3.0)
    monkeypatch.setattr(smoothing, "EDGE_CHUNK", 7)  # 320 edges in 46 chunks, the last short
    np.testing.assert_array_equal(
        random_walker_probabilities(proba, valid, features, 2.0, 3.0), whole
    )


def test_evaluate_on_the_training_scene_reproduces_the_disjoint_run(tmp_path, scene_factory):
    """``evaluate`` re-draws the split and, like training, keeps the training pixels'
    predictions out of the walker: the same score, not one lifted by fitted labels."""
    import json

    from panspectra_hsi.cli import classify_main

    cube, labels = scene_factory(height=40, width=40, noise=0.9)
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", labels)
    scene = ["--cube", str(tmp_path / "cube.npy"), "--labels", str(tmp_path / "gt.npy")]
    run = tmp_path / "run"
    assert (
        classify_main(["train", *scene, "--protocol", "disjoint", "--quiet", "--output", str(run)])
        == 0
    )
    trained = json.loads((run / "metrics.json").read_text())
    assert trained["config"]["smooth_method"] == "random_walker"
    out = tmp_path / "eval"
    evaluate = ["evaluate", "--checkpoint", str(run / "model.safetensors"), *scene]
    assert classify_main([*evaluate, "--quiet", "--output", str(out)]) == 0
    evaluated = json.loads((out / "metrics.json").read_text())
    assert evaluated["evaluated_on"].startswith("test split")
    assert evaluated["overall_accuracy"] == pytest.approx(trained["overall_accuracy"])


def test_training_edge_scale_from_the_bounding_box_equals_the_whole_scene(scene_factory):
    from panspectra_hsi.pipeline.train import _training_edge_scale

    cube, _ = scene_factory(height=30, width=30, noise=0.6)
    classifier = tiny_classifier(cube, patch_size=3)
    train = np.zeros((30, 30), dtype=bool)
    train[0:4, 10:14] = True  # touches the border: the box is clipped there
    train[20:23, 25:30] = True
    whole = edge_scale(classifier.preprocessor.transform(cube), train)
    assert _training_edge_scale(classifier, Scene(cube=cube), train) == pytest.approx(whole)
