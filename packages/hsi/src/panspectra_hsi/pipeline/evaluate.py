"""Evaluate a saved classifier on a labelled scene (``hsi-classify evaluate``)."""

from __future__ import annotations

import numpy as np

from panspectra_core.kit import RunConfig
from panspectra_hsi.data.errors import data_error
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.eval.metrics import classification_metrics
from panspectra_hsi.pipeline.classifier import PixelClassifier
from panspectra_hsi.pipeline.train import classify_scene, make_split, smoothing_exclusion


def align_scene_classes(scene: Scene, classifier: PixelClassifier) -> np.ndarray:
    """Re-express the scene's labels in the classifier's class indices (1..K, 0 = unlabelled)."""
    lookup = {value: code for code, value in enumerate(classifier.label_values, start=1)}
    unknown = sorted(set(scene.label_values) - set(lookup))
    if unknown:
        raise data_error(
            scene.source,
            f"label codes {unknown} are not classes of the checkpoint ({classifier.label_values})",
            "evaluate with labels of the same class table",
        )
    labels = np.zeros_like(scene.labels)
    for code, value in enumerate(scene.label_values, start=1):
        labels[scene.labels == code] = lookup[value]
    return labels


def evaluate_classifier(
    classifier: PixelClassifier, scene: Scene, *, checkpoint_config: dict | None = None
) -> dict:
    """Metrics of ``classifier`` on ``scene``.

    When the checkpoint was trained on this very scene (same name) with a known protocol and
    seed, the split is re-drawn and only its test pixels are scored (``"evaluated_on": "test
    split"``), with the training pixels left out of the smoothing when the run left them out
    (``smooth_exclude_training``), so the score is the training run's; otherwise every
    labelled pixel is scored (``"all labelled pixels"``).
    """
    if scene.cube.shape[2] != classifier.num_bands:
        raise data_error(
            scene.source,
            f"{scene.cube.shape[2]} bands, the checkpoint expects {classifier.num_bands}",
            "use the same sensor/band subset as for training",
        )
    labels = align_scene_classes(scene, classifier)
    aligned = Scene(
        **{
            **scene.__dict__,
            "labels": labels,
            "class_names": classifier.class_names,
            "label_values": classifier.label_values,
        }
    )
    mask, evaluated_on, exclude = labels > 0, "all labelled pixels", None
    config = checkpoint_config or {}
    if config.get("scene") == scene.name and config.get("options", {}).get("protocol") in (
        "random",
        "disjoint",
    ):
        options = RunConfig(dict(config["options"]))  # the run's resolved options
        split = make_split(aligned, options, int(config.get("seed", 0)))
        mask = split.test
        # as in training: the training pixels' predictions stay out of the smoothing
        exclude = smoothing_exclusion(
            bool(options.get("smooth_exclude_training")), split, classifier
        )
        evaluated_on = f"test split of the training protocol ({options.protocol})"
    prediction = classify_scene(classifier, aligned, exclude=exclude)
    metrics = classification_metrics(labels[mask] - 1, prediction[mask], classifier.class_names)
    metrics["evaluated_on"] = evaluated_on
    metrics["model"] = classifier.model_name
    return metrics
