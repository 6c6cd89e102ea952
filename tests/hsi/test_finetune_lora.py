"""LoRA fine-tuning via the CLI: only adapters (+ head) train; it saves as the base model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from panspectra_hsi.cli import classify_main
from panspectra_hsi.data.preprocessing import SpectralPreprocessor


def _train(tmp_path, scene_factory, out_name, extra):
    cube, labels = scene_factory(height=16, width=16)
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", labels)
    argv = [
        "train", "--cube", str(tmp_path / "cube.npy"), "--labels", str(tmp_path / "gt.npy"),
        "--train-fraction", "0.3", "--pca", "8", "--epochs", "1", "--batch-size", "32",
        "--accelerator", "cpu", "--quiet", "--output", str(tmp_path / out_name), *extra,
    ]  # fmt: skip
    assert classify_main(argv) == 0
    return json.loads((tmp_path / out_name / "metrics.json").read_text())


@pytest.mark.slow
def test_lora_finetune_trains_adapters_only_and_saves_base_architecture(tmp_path, scene_factory):
    base = _train(tmp_path, scene_factory, "base", ["--model", "lola_specvit", "--patch-size", "5"])
    assert base["trainable_parameters"] == base["total_parameters"]
    tuned = _train(
        tmp_path, scene_factory, "tuned",
        ["--finetune", str(tmp_path / "base" / "model.safetensors"), "--lora-rank", "2"],
    )  # fmt: skip
    assert tuned["model"] == "lola_specvit"
    assert 0 < tuned["trainable_parameters"] < base["total_parameters"] / 2
    # the merged fine-tuned model reloads from its registry name and classifies a scene
    predicted = tmp_path / "map.npy"
    argv = ["predict", "--checkpoint", str(tmp_path / "tuned" / "model.safetensors"),
            "--cube", str(tmp_path / "cube.npy"), "--output", str(predicted)]  # fmt: skip
    assert classify_main(argv) == 0
    assert np.load(predicted).shape == (16, 16)


def test_global_scale_keeps_band_ratios_for_pca():
    rng = np.random.default_rng(0)
    spectra = rng.normal(size=(500, 6)) * np.array([10.0, 1.0, 1.0, 1.0, 1.0, 0.01])
    per_band = SpectralPreprocessor.fit(spectra, None, standardize_bands=True)
    global_ = SpectralPreprocessor.fit(spectra, None, standardize_bands=False)
    assert np.allclose(per_band.transform(spectra).std(axis=0), 1.0, atol=1e-3)
    scaled = global_.transform(spectra)
    assert np.allclose(scaled.std(), 1.0, atol=1e-3)  # one global scale ...
    assert scaled.std(axis=0)[0] > 100 * scaled.std(axis=0)[5]  # ... band ratios kept
    pca = SpectralPreprocessor.fit(spectra, 1, standardize_bands=False)
    assert abs(pca.components[0, 0]) > 0.99  # the high-variance band dominates the first axis
