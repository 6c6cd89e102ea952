"""What one seed of ``hsi-classify train`` writes into its folder (the kit's multi-seed runner,
:func:`panspectra_core.kit.run_seeds`, gives each seed its own folder and writes
``metrics.json`` and ``config.yaml``): ``model.safetensors``, ``classification_map.png``,
``confusion_matrix.png`` and, for georeferenced input, ``classification_map.tif`` with the
input's CRS and transform."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from panspectra_core.kit import RunConfig
from panspectra_core.metrics import plot_confusion_matrix
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.eval.metrics import HEADLINE_KEYS
from panspectra_hsi.georef import write_class_map
from panspectra_hsi.pipeline.train import TrainResult, train_classifier
from panspectra_hsi.plotting import save_classification_map


def train_run(
    cfg: RunConfig,
    out: Path,
    scene: Scene,
    *,
    test_labels: np.ndarray | None = None,
    trainer_config=None,
) -> dict:
    """Train seed ``cfg.seed`` and write its model, maps and confusion matrix into ``out``.

    Returns:
        The seed's metrics (``outputs`` names the files written), for ``metrics.json``.
    """
    workdir = out / "train"  # inside the output: an interrupted run resumes from DIR/.progress
    result = train_classifier(
        scene, cfg, workdir=workdir, test_labels=test_labels, trainer_config=trainer_config
    )
    shutil.rmtree(workdir, ignore_errors=True)
    files = write_outputs(result, scene, out, test_labels)
    metrics = {**result.metrics, "scene": scene.summary()}
    if scene.provenance:  # a named dataset: which copy was read, and its sha256
        metrics["data_files"] = list(scene.provenance)
    metrics["outputs"] = {key: Path(path).name for key, path in files.items()}
    return metrics


def write_outputs(
    result: TrainResult, scene: Scene, out: Path, test_labels: np.ndarray | None = None
) -> dict[str, Path]:
    """The checkpoint and pictures of one trained seed, by kind."""
    cfg, metrics = result.cfg, result.metrics
    labels = scene.labels if test_labels is None else np.maximum(scene.labels, test_labels)
    files = {
        "map_png": save_classification_map(
            out / "classification_map.png",
            result.prediction,
            scene.class_names,
            reference=labels,
            title=f"{cfg.model} on {scene.name} (seed {cfg.seed}, OA "
            f"{metrics['overall_accuracy']:.3f})",
        ),
        "confusion_png": plot_confusion_matrix(
            metrics["confusion_matrix"],
            scene.class_names,
            out / "confusion_matrix.png",
            title=f"{cfg.model} on {scene.name}, test pixels (seed {cfg.seed})",
        ),
    }
    if scene.is_georeferenced:
        files["map_tif"] = write_class_map(
            out / "classification_map.tif",
            result.prediction,
            label_values=scene.label_values,
            class_names=scene.class_names,
            nodata=result.classifier.ignore_label,
            crs=scene.crs,
            transform=scene.transform,
            tags={"model": cfg.model},
        )
    config = {"options": cfg.recorded(), "scene": scene.name, "seed": cfg.seed}
    files["checkpoint"] = result.classifier.save(
        out / "model.safetensors",
        config=config,
        metrics=_scalar(metrics),
        protocol=metrics["protocol"],
    )
    return files


def _scalar(metrics: dict) -> dict:
    """The headline numbers and per-class accuracy (kept small for the checkpoint header)."""
    keys = (*HEADLINE_KEYS, "per_class_accuracy", "seed")
    return {k: metrics[k] for k in keys if k in metrics}
