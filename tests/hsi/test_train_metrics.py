"""What a training run reports about its validation pixels."""

from __future__ import annotations

import pytest

from panspectra_core.training import TrainConfig
from panspectra_hsi.cli import train_config
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.pipeline import train_classifier


@pytest.mark.parametrize("val_fraction", [0.0, 0.2])
def test_val_accuracy_is_null_without_validation_pixels(tmp_path, scene_factory, val_fraction):
    cube, labels = scene_factory(height=16, width=16)
    scene = Scene(cube=cube, labels=labels, class_names=["a", "b", "c"], label_values=[1, 2, 3])
    options = train_config(model="svm", val_fraction=val_fraction)
    config = TrainConfig(progress_bar=False, accelerator="cpu")
    result = train_classifier(scene, options, trainer_config=config, workdir=tmp_path)
    accuracy = result.metrics["val_overall_accuracy"]
    if val_fraction == 0:
        # no validation pixels: reporting the training pixels' accuracy here would read as 100 %
        assert not result.split.val.any() and accuracy is None
    else:
        assert result.split.val.any() and 0.0 <= accuracy <= 1.0
