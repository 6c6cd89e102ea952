"""hsi checkpoints: the domain validator and the classifier refuse what they cannot use."""

from __future__ import annotations

import numpy as np
import pytest

import panspectra_hsi.models  # noqa: F401 (registers the models and the validator)
from panspectra_core.checkpoint import CheckpointMeta, save_checkpoint
from panspectra_core.registry import create_model
from panspectra_hsi.cli import app
from panspectra_hsi.models.checkpoint_rules import validate_hsi_checkpoint


def _meta(**prep) -> CheckpointMeta:
    return CheckpointMeta("ssftt", {"num_classes": 2}, "hsi", preprocessing=prep)


def test_validator_checks_label_codes_patch_and_class_count():
    good = {"class_names": ["a", "b"], "label_values": [1, 2], "patch_size": 13}
    validate_hsi_checkpoint(_meta(**good), None)
    with pytest.raises(ValueError, match="1 codes for 2 class_names"):
        validate_hsi_checkpoint(_meta(**{**good, "label_values": [1]}), None)
    with pytest.raises(ValueError, match="distinct integers"):
        validate_hsi_checkpoint(_meta(**{**good, "label_values": [1, 1]}), None)
    with pytest.raises(ValueError, match="patch_size=12"):
        validate_hsi_checkpoint(_meta(**{**good, "patch_size": 12}), None)
    with pytest.raises(ValueError, match="num_classes=2 for 3 classes"):
        three = {**good, "class_names": ["a", "b", "c"], "label_values": [1, 2, 3]}
        validate_hsi_checkpoint(_meta(**three), None)


def test_a_bare_model_checkpoint_is_refused_by_predict_in_one_line(tmp_path, capsys):
    model = create_model("spectral_mlp", num_bands=5, num_classes=3)
    path = tmp_path / "bare.safetensors"
    save_checkpoint(
        path,
        model,
        model_name="spectral_mlp",
        model_kwargs={"num_bands": 5, "num_classes": 3},
        domain="hsi",
    )
    cube = tmp_path / "cube.npy"
    np.save(cube, np.random.default_rng(0).random((6, 6, 5), dtype=np.float32))
    out = tmp_path / "map.tif"
    argv = ["predict", "--checkpoint", str(path), "--cube", str(cube), "--output", str(out)]
    assert app.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no classifier preprocessing" in err[0]
    assert not out.exists()
