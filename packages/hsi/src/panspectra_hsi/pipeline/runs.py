"""Multi-seed training runs and their outputs directory (what ``hsi-classify train`` writes).

Outputs (into a staging dir that the core's ``OutputDir`` moves into place on success):
``metrics.json`` (first-seed figures at the top level when one seed; mean over seeds otherwise,
plus ``seeds_summary`` mean ± std and every per-seed run), ``model.safetensors`` (first seed,
torch models), ``classification_map.png`` and, for georeferenced input,
``classification_map.tif`` with the input's CRS and transform.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from panspectra_hsi.data.scene import Scene
from panspectra_hsi.eval.metrics import HEADLINE_KEYS
from panspectra_hsi.georef import write_class_map
from panspectra_hsi.pipeline.options import TrainOptions
from panspectra_hsi.pipeline.train import TrainResult, train_classifier
from panspectra_hsi.plotting import save_classification_map


@dataclass
class RunSummary:
    """All seeds of one ``train`` invocation."""

    results: list[TrainResult]
    metrics: dict
    files: dict[str, str] = field(default_factory=dict)


def aggregate_seeds(runs: list[dict]) -> dict:
    """One metrics dict for several seeds: means at the top level, spread in ``seeds_summary``."""
    from panspectra_core.cli import summarize_seeds

    first = runs[0]
    if len(runs) == 1:
        return dict(first)
    summary = summarize_seeds(runs, HEADLINE_KEYS)
    names = first["class_names"]
    per_class = {}
    for name in names:
        values = [r["per_class_accuracy"][name] for r in runs]
        per_class[name] = None if None in values else float(np.mean(values))
    return {
        **{key: summary[key]["mean"] for key in summary},
        "seeds_summary": summary,
        "per_class_accuracy": per_class,
        "confusion_matrix": np.sum([r["confusion_matrix"] for r in runs], axis=0).tolist(),
        "class_names": names,
        "protocol": {**first["protocol"], "seeds": [r["seed"] for r in runs]},
        "model": first["model"],
        "options": first["options"],
        "runs": runs,
    }


def run_training(
    scene: Scene,
    options: TrainOptions,
    seeds: list[int],
    out_dir: str | Path,
    *,
    trainer_config=None,
    test_labels: np.ndarray | None = None,
    device=None,
    command: list[str] | None = None,
) -> RunSummary:
    """Train once per seed and write the outputs of the first seed's model into ``out_dir``."""
    from panspectra_core.cli import write_metrics

    out_dir = Path(out_dir)
    results = []
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="hsi-train-") as workdir:
            results.append(
                train_classifier(
                    scene,
                    options,
                    trainer_config=trainer_config,
                    workdir=workdir,
                    seed=seed,
                    test_labels=test_labels,
                    device=device,
                )
            )
    metrics = aggregate_seeds([r.metrics for r in results])
    metrics["scene"] = scene.summary()
    best = results[0]
    files = {}
    labels = scene.labels if test_labels is None else np.maximum(scene.labels, test_labels)
    files["map_png"] = str(
        save_classification_map(
            out_dir / "classification_map.png",
            best.prediction,
            scene.class_names,
            reference=labels,
            title=f"{options.model} on {scene.name} (seed {seeds[0]}, OA "
            f"{best.metrics['overall_accuracy']:.3f})",
        )
    )
    if scene.is_georeferenced:
        files["map_tif"] = str(
            write_class_map(
                out_dir / "classification_map.tif",
                best.prediction,
                label_values=scene.label_values,
                class_names=scene.class_names,
                nodata=best.classifier.ignore_label,
                crs=scene.crs,
                transform=scene.transform,
                tags={"model": options.model},
            )
        )
    config = {"options": best.options.to_dict(), "scene": scene.name, "seed": seeds[0]}
    files["checkpoint"] = str(
        best.classifier.save(
            out_dir / "model.safetensors",
            config=config,
            metrics=_scalar(best.metrics),
            protocol=best.metrics["protocol"],
        )
    )
    metrics["outputs"] = {k: Path(v).name for k, v in files.items()}
    write_metrics(out_dir, metrics, command=command, seed=seeds[0])
    return RunSummary(results, metrics, files)


def _scalar(metrics: dict) -> dict:
    """The headline numbers and per-class accuracy (kept small for the checkpoint header)."""
    keys = (*HEADLINE_KEYS, "per_class_accuracy", "seed")
    return {k: metrics[k] for k in keys if k in metrics}
