"""Train and evaluate one classifier on one split of one scene (``hsi-classify train``).

Order of operations, each step leak-free: split (protocol) → fit the band scaler / PCA on the
training pixels only → extract patches on the fly → train (validation pixels for best weights) →
evaluate on the test pixels → classify the whole scene for the map.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from panspectra_core.errors import UserError
from panspectra_core.kit import RunConfig
from panspectra_core.runtime import seed_everything
from panspectra_hsi.components import PROTOCOLS, smoother
from panspectra_hsi.data.protocols import Split, guard_band
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.eval.metrics import classification_metrics
from panspectra_hsi.options import MIXED_ENSEMBLE
from panspectra_hsi.pipeline.classifier import PixelClassifier
from panspectra_hsi.pipeline.config import finalize
from panspectra_hsi.pipeline.fit import fit_classifier, fit_mixed
from panspectra_hsi.pipeline.mixed import MixedClassifier
from panspectra_hsi.pipeline.smoothing import edge_scale
from panspectra_hsi.pipeline.tiling import classify_window, tiles

log = logging.getLogger("panspectra.hsi")


@dataclass
class TrainResult:
    """Outcome of :func:`train_classifier`.

    Attributes:
        classifier: the trained model with its preprocessing (or a mixed ensemble of them).
        split: the pixel split used.
        metrics: test metrics + ``train_seconds`` + ``protocol`` (JSON-friendly).
        prediction: ``(H, W)`` 0-based class map of the whole scene, −1 on nodata.
        cfg: the resolved run config (with the derived guard radius).
    """

    classifier: PixelClassifier | MixedClassifier
    split: Split
    metrics: dict
    prediction: np.ndarray
    cfg: RunConfig


def make_split(
    scene: Scene, cfg: RunConfig, seed: int, test_labels: np.ndarray | None = None
) -> Split:
    """The split of ``scene.labels`` requested by ``cfg.protocol`` (a registered protocol of
    :data:`~panspectra_hsi.components.PROTOCOLS`). For ``"fixed"`` the scene's labels are the
    training map and ``test_labels`` the test map."""
    return PROTOCOLS.get(cfg.protocol, option="protocol")(scene, cfg, seed, test_labels)


def classify_scene(
    classifier: PixelClassifier | MixedClassifier,
    scene: Scene,
    tile_size: int = 256,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """``(H, W)`` 0-based class map of an in-memory scene (−1 on nodata), tile by tile;
    ``exclude`` ``(H, W)``: pixels left out of the smoothing windows (see
    :func:`~panspectra_hsi.pipeline.tiling.classify_window`)."""
    height, width, _ = scene.shape

    def read(rows: slice, cols: slice) -> np.ndarray:
        window = np.asarray(scene.cube[rows, cols], dtype=np.float32)
        if scene.nodata_mask is not None:
            window = np.where(scene.nodata_mask[rows, cols, None], np.nan, window)
        return window

    out = np.empty((height, width), dtype=np.int64)
    for r0, r1, c0, c1 in tiles(height, width, tile_size):
        out[r0:r1, c0:c1] = classify_window(
            classifier, read, (height, width), (r0, r1, c0, c1), exclude=exclude
        )
    return out


def smoothing_exclusion(
    exclude_training: bool, split: Split, classifier: PixelClassifier | MixedClassifier
) -> np.ndarray | None:
    """``(H, W)`` pixels to leave out of the smoothing when scoring ``split``'s test pixels
    (``smooth_exclude_training``): every pixel whose patch holds a training or validation
    pixel, since it predicts from it; None = nothing left out."""
    if not exclude_training:
        return None
    return guard_band(split.train | split.val, classifier.radius)


def train_classifier(
    scene: Scene,
    cfg: RunConfig,
    *,
    workdir: str | Path,
    test_labels: np.ndarray | None = None,
    trainer_config=None,
) -> TrainResult:
    """Split, preprocess, train, evaluate and map one scene with seed ``cfg.seed``.

    Args:
        scene: labelled scene (labels 0 = unlabelled, 1..K).
        cfg: the resolved run (``hsi-classify train``'s options; see
            :func:`panspectra_hsi.cli.train_config`).
        workdir: scratch directory for Lightning logs/checkpoints.
        test_labels: encoded test map for the ``"fixed"`` protocol.
        trainer_config: ``panspectra_core.training.TrainConfig`` (default: from ``cfg``).
    """
    from panspectra_core.kit import trainer_config as make_trainer_config
    from panspectra_core.runtime import resolve_device

    cfg = finalize(cfg)
    seed = cfg.seed
    seed_everything(seed)
    split = make_split(scene, cfg, seed, test_labels)
    labels = (
        scene.labels
        if test_labels is None
        else np.where(scene.labels > 0, scene.labels, test_labels)
    )
    fit_args = {
        "cube": np.asarray(scene.cube, dtype=np.float32),
        "labels": labels,
        "split": split,
        "scene": scene,
        "trainer_config": trainer_config or make_trainer_config(cfg),
        "device": resolve_device(cfg.device),
        "workdir": Path(workdir),
        "seed": seed,
    }
    fit = fit_mixed if cfg.model == MIXED_ENSEMBLE else fit_classifier
    classifier, info = fit(cfg, **fit_args)
    if smoother(classifier.smooth_method).graph and classifier.smooth_radius > 0:
        classifier.smooth_edge_scale = _training_edge_scale(classifier, scene, split.train)
    exclude = smoothing_exclusion(cfg.smooth_exclude_training, split, classifier)
    prediction = classify_scene(classifier, scene, exclude=exclude)
    metrics = {
        **_score(prediction, labels, split, scene.class_names),
        **info,
        "seed": seed,
        "model": cfg.model,
        "protocol": split.describe(labels, scene.num_classes),
    }
    log.info(
        "seed %d: OA %.4f AA %.4f kappa %.4f (%.1f s training)",
        seed,
        metrics["overall_accuracy"],
        metrics["average_accuracy"],
        metrics["kappa"],
        metrics["train_seconds"],
    )
    return TrainResult(classifier, split, metrics, prediction, cfg)


def _score(prediction: np.ndarray, labels: np.ndarray, split: Split, class_names) -> dict:
    """Test metrics of a scene's class map, and the accuracy on the validation pixels (null
    without validation pixels, not the accuracy on the training pixels)."""
    metrics = classification_metrics(labels[split.test] - 1, prediction[split.test], class_names)
    val = split.val
    metrics["val_overall_accuracy"] = (
        float(np.mean(prediction[val] == labels[val] - 1)) if val.any() else None
    )
    return metrics


def _training_edge_scale(
    classifier: PixelClassifier | MixedClassifier, scene: Scene, train: np.ndarray
) -> float:
    """The random walker's edge scale from the training pixels' 8-neighbour edges of the
    scene (:func:`~panspectra_hsi.pipeline.smoothing.edge_scale`), on the classifier's
    features — computed on the training pixels' bounding box grown by one pixel, which holds
    every such edge, not on the whole scene."""
    rows, cols = np.nonzero(train)
    height, width = train.shape
    box = (
        slice(max(rows.min() - 1, 0), min(rows.max() + 2, height)),
        slice(max(cols.min() - 1, 0), min(cols.max() + 2, width)),
    )
    cube = np.nan_to_num(np.asarray(scene.cube[box], dtype=np.float32))
    features = classifier.edge_preprocessor.transform(cube)
    valid = None if scene.nodata_mask is None else ~scene.nodata_mask[box]
    try:
        return edge_scale(features, train[box], valid)
    except ValueError as error:
        raise UserError(f"smooth_method='random_walker': {error}") from None
