"""Deep ensembles: probability averaging, separate training of the members, checkpoints."""

from __future__ import annotations

import numpy as np
import torch
from hsi_test_helpers import TINY, TinyPatchNet

from panspectra_core.training import TrainConfig
from panspectra_hsi.cli import train_config
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.models.ensemble import ProbabilityEnsemble
from panspectra_hsi.pipeline import PixelClassifier, classify_scene, train_classifier


def test_output_is_the_log_of_the_mean_member_probability():
    torch.manual_seed(0)
    members = [TinyPatchNet(4, 3, 5).eval() for _ in range(3)]
    x = torch.randn(6, 4, 5, 5)
    with torch.no_grad():
        expected = torch.stack([m(x).softmax(-1) for m in members]).mean(0)
        out = ProbabilityEnsemble(members)(x)
        single = ProbabilityEnsemble(members[:1])(x)
    assert out.shape == (6, 3)
    torch.testing.assert_close(out.softmax(-1), expected)
    torch.testing.assert_close(single.softmax(-1), members[0](x).softmax(-1))


def test_members_are_trained_separately_and_the_checkpoint_round_trips(tmp_path, scene_factory):
    cube, labels = scene_factory(height=16, width=16)
    scene = Scene(cube=cube, labels=labels, class_names=["a", "b", "c"], label_values=[1, 2, 3])
    options = train_config(
        model=TINY, patch_size=3, pca_components=4, epochs=2, lr=0.05, batch_size=32, ensemble=2
    )
    config = TrainConfig(progress_bar=False, accelerator="cpu")
    result = train_classifier(scene, options, trainer_config=config, workdir=tmp_path)
    classifier = result.classifier
    assert classifier.model_name == "ensemble" and len(classifier.model.members) == 2
    first, second = (m.conv.weight for m in classifier.model.members)
    assert not torch.equal(first, second)
    assert (tmp_path / "member0").is_dir() and (tmp_path / "member1").is_dir()
    path = classifier.save(tmp_path / "m.safetensors", config={}, metrics={}, protocol={})
    restored = PixelClassifier.load(path)
    np.testing.assert_array_equal(
        classify_scene(restored, Scene(cube=cube)), classify_scene(classifier, Scene(cube=cube))
    )
