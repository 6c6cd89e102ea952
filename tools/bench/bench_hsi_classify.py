"""Benchmark hsi classification on Indian Pines: OA / AA / kappa (mean ± std over seeds) and CPU
training time per seed, for each model, under one protocol.

    python tools/bench/bench_hsi_classify.py --protocol random --models ssftt,svm --seeds 0,1,2,3,4
    python tools/bench/bench_hsi_classify.py --protocol disjoint --models ssftt --seeds 0-4
    python tools/bench/bench_hsi_classify.py --protocol disjoint --models svm --set smooth_radius=6
    python tools/bench/bench_hsi_classify.py --protocol disjoint --models mixed_ensemble \
        --set members=svm,spectral_mlp --set smooth_exclude_training=true

``--set KEY=VALUE`` overrides recipe fields (TrainOptions names; the row is named after them and
its command carries the matching flags). ``--ablate`` also scores, per seed, the same trained
model without test-time augmentation, with and without the probability-map smoothing.

Writes tools/bench/results/hsi_<protocol>.json and .md (one row per model, kept across runs of
other models and rewritten after each model, with the
``hsi-classify`` command that reproduces it). ``--epochs`` overrides the recipes (for a reduced,
quick run; the row says so). Targets: random 10 % → best OA ≥ 0.990 with ≤ 5 CPU-min training per
seed; disjoint → best OA ≥ 0.85.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from panspectra_core.cli import cpu_description, parse_seeds, summarize_seeds
from panspectra_core.training import TrainConfig
from panspectra_core.training.config import PRECISIONS
from panspectra_hsi.data import load_named_scene
from panspectra_hsi.pipeline import TrainOptions, run_training

RESULTS = Path(__file__).resolve().parent / "results"
KEYS = (
    "overall_accuracy",
    "average_accuracy",
    "kappa",
    "train_seconds",
    "train_cpu_seconds",
    "val_overall_accuracy",
)
#: TrainOptions field -> hsi-classify flag, for the command column
FLAGS = {
    "patch_size": "--patch-size",
    "pca_components": "--pca",
    "lr": "--lr",
    "smooth_radius": "--smooth-radius",
    "smooth_method": "--smooth-method",
    "tta": "--tta",
    "guard_radius": "--guard-radius",
    "monitor": "--monitor",
    "ensemble": "--ensemble",
    "label_smoothing": "--label-smoothing",
    "val_fraction": "--val-fraction",
    "weight_decay": "--weight-decay",
    "members": "--members",
    "balanced_loss": "--balanced-loss",
    "smooth_exclude_training": "--smooth-exclude-training",
    "nuisance_dims": "--nuisance-dims",
}
#: the precision a row is trained with unless ``--precision`` says otherwise (not named in rows)
DEFAULT_PRECISION = TrainConfig.precision
#: options that are on/off switches of hsi-classify (``--set balanced_loss=true``)
SWITCHES = ("balanced_loss", "smooth_exclude_training")


def machine_description(threads: int) -> str:
    """Where a row's CPU-seconds were measured: CPU model, bf16 units, torch threads."""
    return f"{cpu_description()}, {threads} threads"


def parse_overrides(items: list[str]) -> dict:
    """``["patch_size=7", "augment=false"]`` → ``{"patch_size": 7, "augment": False}``."""
    out = {}
    for item in items:
        key, _, text = item.partition("=")
        if key not in FLAGS and key != "augment":
            raise SystemExit(f"--set {item}: supported keys are {sorted(FLAGS)} and augment")
        lowered = text.lower()
        if key == "members":
            out[key] = text.split(",")
            continue
        if lowered in ("true", "false"):
            out[key] = lowered == "true"
            continue
        for kind in (int, float, str):
            try:
                out[key] = kind(text)
                break
            except ValueError:
                continue
    return out


def _text(value) -> str:
    """An override value as written on the command line (lists comma-separated)."""
    return ",".join(value) if isinstance(value, list) else str(value)


def flags(overrides: dict) -> str:
    parts = []
    for key, value in overrides.items():
        if key == "augment":
            parts.append("--augment" if value else "--no-augment")
        elif key in SWITCHES:
            parts.extend([FLAGS[key]] if value else [])
        else:
            parts.append(f"{FLAGS[key]} {_text(value)}")
    return "".join(" " + p for p in parts)


def ablation(result, scene) -> dict:
    """OA of one trained model without TTA, with and without its smoothing radius."""
    import numpy as np

    from panspectra_hsi.pipeline.smoothing import smooth_probabilities
    from panspectra_hsi.pipeline.tiling import window_probabilities

    classifier, split = result.classifier, result.split
    height, width = scene.labels.shape
    tta, radius = classifier.tta, classifier.smooth_radius
    classifier.tta = 1
    proba, valid, guide = window_probabilities(
        classifier,
        lambda r, c: np.asarray(scene.cube[r, c]),
        (height, width),
        (0, height, 0, width),
    )
    classifier.tta = tta
    guide = guide if classifier.smooth_method == "guided" else None
    test, labels = split.test, scene.labels - 1
    out = {}
    for r in sorted({0, radius}):
        pred = smooth_probabilities(proba, valid, r, guide).argmax(-1)
        out[f"tta1_smooth{r}"] = float(np.mean(pred[test] == labels[test]))
    return out


def bench_model(
    scene,
    model: str,
    protocol: str,
    seeds: list[int],
    epochs: int | None,
    overrides: dict,
    ablate: bool = False,
    precision: str = "32-true",
) -> dict:
    options = TrainOptions(model=model, protocol=protocol, epochs=epochs, **overrides)
    runs, ablations = [], []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as out:
            config = TrainConfig(
                progress_bar=False, accelerator="cpu", seed=seed, precision=precision
            )
            summary = run_training(scene, options, [seed], out, trainer_config=config)
            runs.append(summary.metrics)
            if ablate:
                ablations.append(ablation(summary.results[0], scene))
    command = (
        f"hsi-classify train --dataset indian_pines --model {model} --protocol {protocol} "
        f"--train-fraction 0.1 --seeds {','.join(map(str, seeds))} --accelerator cpu"
        + (f" --epochs {epochs}" if epochs else "")
        + flags(overrides)
        + ("" if precision == DEFAULT_PRECISION else f" --precision {precision}")
        + " --output runs/"
        + model
    )
    name = model + "".join(f" {k}={_text(v)}" for k, v in overrides.items())
    if precision != DEFAULT_PRECISION:
        name += f" precision={precision}"
    row = {
        "model": model,
        "name": name,
        "summary": summarize_seeds(runs, KEYS),
        "per_seed": [
            {k: r.get(k) for k in (*KEYS, "seed", "epochs", "per_class_accuracy", "members")}
            for r in runs
        ],
        "protocol": runs[0]["protocol"],
        "options": runs[0]["options"],
        "reduced": epochs is not None,
        "command": command,
        "machine": machine_description(torch.get_num_threads()),
    }
    if ablations:
        row["ablation"] = {key: summarize_seeds(ablations, [key])[key] for key in ablations[0]}
    return row


def markdown(rows: list[dict], protocol: str, machine: str) -> str:
    lines = [
        f"# Indian Pines, protocol `{protocol}` (last run: {machine})",
        "",
        "| model | OA | AA | kappa | val OA | train s / seed (wall) | train CPU-s / seed | seeds "
        "| test px | command |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        s = row["summary"]

        def cell(key, scale=100.0, digits=2, s=s):
            return f"{s[key]['mean'] * scale:.{digits}f} ± {s[key]['std'] * scale:.{digits}f}"

        name = row.get("name", row["model"]) + (" (reduced epochs)" if row["reduced"] else "")
        val = cell("val_overall_accuracy") if "val_overall_accuracy" in s else "–"
        cpu = cell("train_cpu_seconds", 1.0, 1) if "train_cpu_seconds" in s else "–"
        lines.append(
            f"| {name} | {cell('overall_accuracy')} | {cell('average_accuracy')} | "
            f"{cell('kappa')} | {val} | {cell('train_seconds', 1.0, 1)} | {cpu} | "
            f"{len(s['overall_accuracy']['values'])} | {row['protocol']['test_pixels']} | "
            f"`{row['command']}` |"
        )
    p = rows[0]["protocol"] if rows else {}
    lines += [
        "",
        f"OA/AA/kappa/val OA in % (mean ± sample std over seeds); val OA = accuracy on the "
        f"validation pixels (carved from the training pixels). Test px = test pixels of the "
        f"first seed (the disjoint guard band follows each row's patch radius + smoothing "
        f"radius). Train/val pixels (seed {p.get('seed')}): "
        f"{p.get('train_pixels')}/{p.get('val_pixels')}.",
    ]
    for row in rows:
        where = row.get("machine", "an earlier machine of this project (not recorded)")
        lines.append(f"- `{row.get('name', row['model'])}` measured on {where}")
    for row in rows:
        for key, value in row.get("ablation", {}).items():
            lines.append(
                f"- ablation of `{row.get('name', row['model'])}`, same trained models, "
                f"{key.replace('tta1_smooth', 'no TTA, smoothing radius ')}: OA "
                f"{value['mean'] * 100:.2f} ± {value['std'] * 100:.2f}"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("random", "disjoint"), default="random")
    parser.add_argument("--models", default="ssftt,svm", help="comma-separated registry names")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--epochs", type=int, help="override the recipes (reduced run)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="recipe override"
    )
    parser.add_argument("--ablate", action="store_true", help="score no-TTA/no-smoothing too")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--precision",
        default=DEFAULT_PRECISION,
        choices=PRECISIONS,
        help="Lightning precision (bf16-mixed: CPUs with bf16 units, GPUs)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    scene = load_named_scene("indian_pines")
    seeds = parse_seeds(args.seeds)
    machine = f"{machine_description(args.threads)}, torch {torch.__version__}"
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"hsi_{args.protocol}"
    # Rows of models not re-run now are kept, so the table can be built up model by model.
    rows = (
        json.loads(stem.with_suffix(".json").read_text())["rows"]
        if stem.with_suffix(".json").exists()
        else []
    )
    for model in args.models.split(","):
        overrides = parse_overrides(args.set)
        row = bench_model(
            scene, model, args.protocol, seeds, args.epochs, overrides, args.ablate, args.precision
        )
        rows = [r for r in rows if r.get("name", r["model"]) != row["name"]] + [row]
        payload = {"protocol": args.protocol, "machine": machine, "rows": rows}
        stem.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n")
        stem.with_suffix(".md").write_text(markdown(rows, args.protocol, machine))
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
