"""``hsi-classify``: train | evaluate | predict | list-models | info, declared on the core's
:class:`~panspectra_core.kit.DomainCLI` (options: :mod:`panspectra_hsi.options`).

Examples::

    hsi-classify train --dataset indian_pines --protocol disjoint --seeds 0,1,2 -o runs/ip
    hsi-classify train --cube scene.tif --labels gt.tif --ignore-label 0 -o runs/mine
    hsi-classify predict --checkpoint runs/mine/model.safetensors --cube big_scene.tif -o map.tif
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError
from panspectra_core.kit import DomainCLI, RunConfig
from panspectra_hsi.components import HSI_SCHEDULERS, MONITORS, PROTOCOLS, SMOOTHERS, smoother
from panspectra_hsi.options import (
    EVALUATE_OPTIONS,
    INFO_OPTIONS,
    PREDICT_OPTIONS,
    TRAIN_OPTIONS,
    default_model,
)

log = logging.getLogger("panspectra.hsi")

app = DomainCLI(
    "hsi-classify",
    "Hyperspectral pixel classification with leak-free protocols.",
    domain="hsi",
    default_model=default_model,
    components={
        "split protocols": PROTOCOLS,
        "probability smoothers": SMOOTHERS,
        "schedulers": HSI_SCHEDULERS,
        "monitors": MONITORS,
    },
)


def train_config(**values: Any) -> RunConfig:
    """The resolved ``train`` options for ``values`` (option names, as flags would give them),
    with the default model and the model's recipe, as ``hsi-classify train`` resolves them:
    for library use and benchmarks (``output`` is not needed there)."""
    verb = app.verbs["train"]
    values.setdefault("output", Path("."))
    explicit = {key: verb.options[key].convert(value) for key, value in values.items()}
    return app.resolve(verb, explicit)


@app.verb(
    "train",
    options=TRAIN_OPTIONS,
    output="dir",
    help="train + evaluate; writes metrics, checkpoint and maps",
)
def train(cfg: RunConfig, out: Path) -> dict:
    """One seed (the kit runs the seeds and writes metrics.json / config.yaml)."""
    from panspectra_hsi.eval import format_headline
    from panspectra_hsi.pipeline import train_run

    scene, test_labels = _training_scene(cfg)
    if test_labels is not None:
        cfg = cfg.replace(protocol="fixed")
    elif cfg.protocol == "fixed":
        raise UserError("protocol='fixed' needs --train-labels and --test-labels")
    if cfg.sources.get("model") == "recipe":
        log.info("no --model: %s, the default of the %s protocol (docs/hsi.md)", cfg.model,
                 cfg.protocol)  # fmt: skip
    metrics = train_run(cfg, out, scene, test_labels=test_labels)
    print(f"{cfg.model} on {scene.name} ({cfg.protocol}, seed {cfg.seed}): "
          f"{format_headline(metrics)}; {', '.join(metrics['outputs'].values())}")  # fmt: skip
    return metrics


_scenes: dict[tuple, Any] = {}


def _training_scene(cfg: RunConfig):
    """``(scene, test label map or None)`` of the scene options (loaded once per process)."""
    from panspectra_hsi.cli_inputs import fixed_maps, load_input_scene

    key = tuple(str(cfg[k]) for k in TRAIN_SCENE_KEYS)
    if key not in _scenes:
        fixed = cfg.train_labels is not None or cfg.test_labels is not None
        if fixed and (cfg.train_labels is None or cfg.test_labels is None):
            raise UserError("--train-labels and --test-labels go together")
        if fixed and not cfg.cube:
            raise UserError("--train-labels/--test-labels need --cube")
        scene = load_input_scene(cfg)
        _scenes.clear()
        _scenes[key] = fixed_maps(cfg, scene) if fixed else (scene, None)
    return _scenes[key]


TRAIN_SCENE_KEYS = (
    "dataset", "cube", "cube_key", "labels", "labels_key", "ignore_label", "class_names",
    "drop_bands", "train_labels", "test_labels",
)  # fmt: skip


def _load_classifier(cfg: RunConfig):
    from panspectra_core.runtime import resolve_device
    from panspectra_hsi.pipeline import load_classifier

    if not cfg.checkpoint.is_file():
        raise UserError(f"--checkpoint {cfg.checkpoint}: file not found")
    return load_classifier(cfg.checkpoint, device=str(resolve_device(cfg.device)))


@app.verb("evaluate", options=EVALUATE_OPTIONS, help="metrics of a checkpoint on a labelled scene")
def evaluate(cfg: RunConfig, _: None) -> int:
    from panspectra_core.checkpoint import read_checkpoint_meta
    from panspectra_core.io import OutputDir
    from panspectra_core.reporting import write_metrics
    from panspectra_hsi.cli_inputs import load_input_scene
    from panspectra_hsi.eval import format_headline
    from panspectra_hsi.pipeline import evaluate_classifier

    out = OutputDir(cfg.output, overwrite=cfg.overwrite) if cfg.output else None
    classifier = _load_classifier(cfg)
    scene = load_input_scene(cfg)
    config = read_checkpoint_meta(cfg.checkpoint).config
    metrics = evaluate_classifier(classifier, scene, checkpoint_config=config)
    metrics["checkpoint"] = str(cfg.checkpoint)
    print(
        f"{classifier.model_name} on {scene.name} ({metrics['evaluated_on']}): "
        f"{format_headline(metrics)}"
    )
    if out is not None:
        with out as staging:
            write_metrics(staging, {**metrics, "config": cfg.recorded()}, seed=cfg.seed)
        print(f"metrics: {Path(cfg.output) / 'metrics.json'}")
    return 0


@app.verb(
    "predict",
    options=PREDICT_OPTIONS,
    output="file",
    help="classify a whole scene tile by tile into MAP.tif",
)
def predict(cfg: RunConfig, output: Path) -> int:
    from panspectra_hsi.data import open_cube
    from panspectra_hsi.pipeline import predict_to_file

    if output.suffix.lower() not in (".tif", ".tiff", ".npy"):
        raise UserError(f"--output {output}: expected a .tif/.tiff (GeoTIFF) or .npy path")
    if not cfg.cube:
        raise UserError("predict needs --cube PATH")
    classifier = _load_classifier(cfg)
    for name in ("tta", "smooth_radius", "smooth_method"):
        if cfg[name] is not None:
            setattr(classifier, name, cfg[name])
    if smoother(classifier.smooth_method).graph and not classifier.smooth_edge_scale > 0:
        raise UserError(
            f"smooth_method={classifier.smooth_method!r}: {cfg.checkpoint} holds no edge scale "
            "(trained with another smoothing); train with --smooth-method random_walker"
        )
    source = open_cube(cfg.cube, cfg.cube_key)
    bands = source.shape[2] - len(cfg.drop_bands or [])
    if bands != classifier.num_bands:
        raise UserError(
            f"{cfg.cube}: {bands} bands, the checkpoint expects "
            f"{classifier.num_bands}; pass --drop-bands as for training"
        )

    def progress(done: int, total: int) -> None:
        if not cfg.quiet and (done == total or done % 10 == 0):
            print(f"\r{done}/{total} tiles", end="\n" if done == total else "", file=sys.stderr)

    summary = predict_to_file(
        classifier,
        source,
        output,
        tile_size=cfg.tile_size,
        batch_size=cfg.batch_size,
        drop_bands=cfg.drop_bands,
        progress=progress,
    )
    print(
        f"map: {output} ({summary['shape'][0]}x{summary['shape'][1]} pixels, "
        f"{summary['tiles']} tiles{', georeferenced' if source.is_georeferenced else ''})"
    )
    return 0


@app.verb(
    "info",
    options=INFO_OPTIONS,
    help="a checkpoint, a dataset or a cube; without one: datasets, choices, versions, CPU",
)
def info(cfg: RunConfig, _: None) -> int:
    if cfg.checkpoint:
        from dataclasses import asdict

        from panspectra_core.checkpoint import read_checkpoint_meta

        print(json.dumps(asdict(read_checkpoint_meta(cfg.checkpoint)), indent=2, default=str))
    elif cfg.dataset or cfg.cube:
        from panspectra_hsi.cli_inputs import load_input_scene

        summary = load_input_scene(cfg, labels_required=False).summary()
        print(json.dumps(summary, indent=2, default=str))
    else:
        return app.describe()
    return 0


def classify_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``hsi-classify`` (returns the exit status; 2 on user errors)."""
    return app.main(argv)


if __name__ == "__main__":
    sys.exit(classify_main())
