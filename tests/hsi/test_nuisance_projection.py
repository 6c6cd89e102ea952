"""Nuisance attribute projection: the between-region drift of a class, estimated from training
regions only, is removed from every spectrum (and survives the checkpoint)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from panspectra_hsi.cli import classify_main
from panspectra_hsi.data import SpectralPreprocessor
from panspectra_hsi.data.preprocessing import nuisance_axes
from panspectra_hsi.data.protocols import training_regions


def _drifting_regions(seed=0, bands=10, per_region=40):
    """Two classes, three regions each; region ``r`` of a class is shifted by ``a_r · drift``."""
    rng = np.random.default_rng(seed)
    drift = rng.normal(size=bands)
    drift /= np.linalg.norm(drift)
    spectra, labels, regions = [], [], []
    for k in range(2):
        centre = rng.normal(scale=3.0, size=bands)
        for r, shift in enumerate((-2.0, 0.5, 2.5)):
            noise = rng.normal(scale=0.1, size=(per_region, bands))
            spectra.append(centre + shift * drift + noise)
            labels += [k] * per_region
            regions += [3 * k + r] * per_region
    return np.concatenate(spectra), np.array(labels), np.array(regions), drift


def test_nuisance_axis_recovers_the_planted_drift_and_is_projected_out():
    spectra, labels, regions, drift = _drifting_regions()
    prep = SpectralPreprocessor.fit(spectra, nuisance_dims=1, labels=labels, regions=regions)
    assert prep.nuisance.shape == (1, spectra.shape[1])
    # the axis lives in standardized units: map the drift there before comparing directions
    drift_std = drift / prep.std
    cosine = abs(prep.nuisance[0] @ drift_std) / np.linalg.norm(drift_std)
    assert cosine > 0.99
    out = prep.transform(spectra).astype(np.float64)
    np.testing.assert_allclose(out @ prep.nuisance[0], 0.0, atol=1e-4)
    # the regions of one class now have (nearly) the same mean; without the projection not
    plain = SpectralPreprocessor.fit(spectra).transform(spectra)
    for features, bound in ((out, 0.2), (plain, None)):
        spread = max(
            np.ptp([features[regions == r].mean(0) for r in range(3 * k, 3 * k + 3)], axis=0).max()
            for k in range(2)
        )
        if bound is None:
            assert spread > 1.0
        else:
            assert spread < bound


def test_nuisance_with_pca_state_round_trip_and_orthogonal_components():
    spectra, labels, regions, _ = _drifting_regions(seed=1)
    prep = SpectralPreprocessor.fit(
        spectra, pca_components=3, nuisance_dims=2, labels=labels, regions=regions
    )
    assert prep.nuisance.shape == (2, spectra.shape[1])
    np.testing.assert_allclose(prep.nuisance @ prep.nuisance.T, np.eye(2), atol=1e-10)
    # PCA is fitted on the projected spectra, so its axes carry no nuisance
    np.testing.assert_allclose(prep.components @ prep.nuisance.T, 0.0, atol=1e-8)
    state = {k: torch.from_numpy(v) for k, v in prep.state().items()}
    again = SpectralPreprocessor.from_state(state)
    np.testing.assert_array_equal(again.transform(spectra), prep.transform(spectra))
    # the guidance axis is the one of the unprojected spectra
    np.testing.assert_array_equal(prep.guide_axis, SpectralPreprocessor.fit(spectra).guide_axis)


def test_nuisance_needs_a_class_with_two_regions():
    spectra, labels, _, _ = _drifting_regions()
    with pytest.raises(ValueError, match="two separate regions"):
        nuisance_axes(spectra, labels, labels, 1)  # one region per class


def test_training_regions_are_the_connected_components_of_each_class():
    labels = np.array(
        [
            [1, 1, 0, 1],
            [0, 0, 0, 1],
            [2, 2, 0, 0],
            [2, 1, 0, 2],
        ]
    )
    mask = labels > 0
    ids = training_regions(mask, labels)
    assert ids.shape == (int(mask.sum()),)
    by_pixel = dict(zip(map(tuple, np.argwhere(mask)), ids, strict=True))
    assert by_pixel[(0, 0)] == by_pixel[(0, 1)]  # one field
    assert by_pixel[(0, 3)] == by_pixel[(1, 3)]
    assert len({by_pixel[(0, 0)], by_pixel[(0, 3)], by_pixel[(3, 1)]}) == 3  # class 1: 3 fields
    # class 2: (2,0)-(2,1)-(3,0) is one 4-connected field, (3,3) another; ids never shared
    assert by_pixel[(2, 0)] == by_pixel[(3, 0)] != by_pixel[(3, 3)]
    assert len(set(ids)) == 5


def test_cli_nuisance_dims_is_recorded_and_a_single_field_split_falls_back_with_a_warning(
    tmp_path, capsys, scene_factory
):
    cube, labels = scene_factory(height=24, width=24)
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", labels)
    base = ["train", "--cube", str(tmp_path / "cube.npy"), "--model", "svm", "--quiet"]
    argv = [*base, "--labels", str(tmp_path / "gt.npy"), "--protocol", "disjoint"]
    assert classify_main([*argv, "--nuisance-dims", "1", "--output", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["config"]["nuisance_dims"] == 1 and metrics["nuisance_axes"] == 1
    from panspectra_hsi.pipeline import PixelClassifier

    ckpt = tmp_path / "run" / "model.safetensors"
    assert PixelClassifier.load(ckpt).preprocessor.nuisance.shape == (1, cube.shape[-1])
    # a fixed training map with one pixel per class: no drift to estimate, so none is removed
    train = np.zeros_like(labels)
    for k in (1, 2, 3):
        rows, cols = np.nonzero(labels == k)
        train[rows[0], cols[0]] = k
    test = np.where(train == 0, labels, 0)
    np.save(tmp_path / "train.npy", train)
    np.save(tmp_path / "test.npy", test)
    fixed = [*base, "--train-labels", str(tmp_path / "train.npy")]
    fixed += ["--test-labels", str(tmp_path / "test.npy"), "--min-per-class", "1"]
    capsys.readouterr()
    code = classify_main([*fixed, "--nuisance-dims", "1", "--output", str(tmp_path / "one")])
    assert code == 0  # the warning is logged even with --quiet
    assert "nuisance_dims=1: nuisance projection: no class has" in capsys.readouterr().err
    metrics = json.loads((tmp_path / "one" / "metrics.json").read_text())
    assert metrics["nuisance_axes"] == 0
    assert (
        PixelClassifier.load(tmp_path / "one" / "model.safetensors").preprocessor.nuisance is None
    )
