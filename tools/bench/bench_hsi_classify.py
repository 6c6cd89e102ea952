"""Benchmark hsi classification on Indian Pines: OA / AA / kappa (mean ± std over seeds) and CPU
training time per seed, for each model, under one protocol.

    python tools/bench/bench_hsi_classify.py --protocol random --models ssftt,svm --seeds 0-4
    python tools/bench/bench_hsi_classify.py --protocol disjoint --models svm --set smooth_radius=6
    python tools/bench/bench_hsi_classify.py --protocol disjoint --models mixed_ensemble \
        --set members=svm,spectral_mlp --set smooth_exclude_training=true

``--set NAME=VALUE`` sets any ``hsi-classify train`` option (the option names of
:mod:`panspectra_hsi.options`, converted and checked by them); a row is named after its
settings and its command carries the matching flags. ``--ablate`` also scores, per seed, the
same trained model without test-time augmentation, with and without its probability smoothing.

Writes tools/bench/results/hsi_<protocol>.csv and .md: one row per setting (rows of other
settings are kept), each with the ``hsi-classify`` command that reproduces it and the machine
it was measured on. ``--raw DIR`` also writes every seed's metrics there as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
from pathlib import Path

import torch

from panspectra_core.kit import PRECISIONS, assignments
from panspectra_core.reporting import parse_seed_list, summarize_seeds
from panspectra_core.runtime import cpu_description
from panspectra_core.training import TrainConfig
from panspectra_hsi.cli import train_config
from panspectra_hsi.components import smoother
from panspectra_hsi.data import load_named_scene
from panspectra_hsi.options import TRAIN_BY_NAME
from panspectra_hsi.pipeline import train_classifier

RESULTS = Path(__file__).resolve().parent / "results"
KEYS = (
    "overall_accuracy",
    "average_accuracy",
    "kappa",
    "val_overall_accuracy",
    "train_seconds",
    "train_cpu_seconds",
)
COLUMNS = ("name", *(f"{k}_{s}" for k in KEYS for s in ("mean", "std")))
COLUMNS += ("seeds", "test_pixels", "machine", "command")


def flags(settings: dict) -> str:
    """The ``hsi-classify train`` flags of option ``settings`` (from the option declarations)."""
    parts = []
    for key, value in settings.items():
        option = TRAIN_BY_NAME[key]
        if option.is_switch:
            parts.extend([option.flag] if value else list(option.off_flags[:1]))
        else:
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(f"{option.flag} {text}")
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
    guide = guide if smoother(classifier.smooth_method).guided else None
    test, labels = split.test, scene.labels - 1
    out = {}
    for r in sorted({0, radius}):
        pred = smooth_probabilities(proba, valid, r, guide).argmax(-1)
        out[f"tta1_smooth{r}"] = float(np.mean(pred[test] == labels[test]))
    return out


def bench_setting(scene, settings: dict, seeds: list[int], args) -> tuple[dict, list[dict]]:
    """One table row (mean ± std over ``seeds``) and every seed's metrics."""
    runs, ablations = [], []
    for seed in seeds:
        cfg = train_config(**settings, seed=seed)
        trainer = TrainConfig(
            progress_bar=False, accelerator="cpu", seed=seed, precision=args.precision
        )
        with tempfile.TemporaryDirectory() as workdir:
            result = train_classifier(scene, cfg, workdir=workdir, trainer_config=trainer)
        runs.append({**result.metrics, "config": result.cfg.recorded()})
        if args.ablate:
            ablations.append(ablation(result, scene))
    shown = {k: v for k, v in settings.items() if k not in ("dataset", "model", "protocol")}
    if args.precision != "32-true":
        shown["precision"] = args.precision
    summary = summarize_seeds(runs, KEYS)
    row = {
        "name": " ".join([settings["model"], *(f"{k}={v}" for k, v in shown.items())]),
        "seeds": ",".join(map(str, seeds)),
        "test_pixels": runs[0]["protocol"]["test_pixels"],
        "machine": f"{cpu_description()}, {torch.get_num_threads()} threads",
        "command": f"hsi-classify train --dataset indian_pines --model {settings['model']}"
        f" --protocol {settings['protocol']} --seeds {','.join(map(str, seeds))}"
        f" --accelerator cpu{flags(shown)}"
        f" --output runs/{settings['model']}",
    }
    for key in KEYS:
        stats = summary.get(key)
        row[f"{key}_mean"] = "" if stats is None else f"{stats['mean']:.6g}"
        row[f"{key}_std"] = "" if stats is None else f"{stats['std']:.6g}"
    for key in ablations[0] if ablations else ():
        stats = summarize_seeds(ablations, [key])[key]
        row["name"] += f" [ablation {key}: {100 * stats['mean']:.2f} ± {100 * stats['std']:.2f}]"
    return row, runs


def markdown(rows: list[dict], protocol: str) -> str:
    """The results table: percentages, mean ± sample std over the seeds."""

    def cell(row, key, scale=100.0, digits=2):
        if not row.get(f"{key}_mean"):
            return "–"
        mean, std = float(row[f"{key}_mean"]) * scale, float(row[f"{key}_std"]) * scale
        return f"{mean:.{digits}f} ± {std:.{digits}f}"

    lines = [
        f"# Indian Pines, protocol `{protocol}` (bench_hsi_classify.py)",
        "",
        "| setting | OA % | AA % | kappa % | val OA % | train s / seed | train CPU-s / seed "
        "| seeds | test px | machine | command |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {cell(r, 'overall_accuracy')} | {cell(r, 'average_accuracy')} | "
            f"{cell(r, 'kappa')} | {cell(r, 'val_overall_accuracy')} | "
            f"{cell(r, 'train_seconds', 1.0, 1)} | {cell(r, 'train_cpu_seconds', 1.0, 1)} | "
            f"{r['seeds']} | {r['test_pixels']} | {r['machine']} | `{r['command']}` |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("random", "disjoint"), default="random")
    parser.add_argument("--models", default="ssftt,svm", help="comma-separated registry names")
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--ablate", action="store_true", help="score no-TTA/no-smoothing too")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--precision", default="32-true", choices=PRECISIONS.names())
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--raw", type=Path, help="folder for every seed's metrics (JSON)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    scene = load_named_scene("indian_pines")
    seeds = parse_seed_list(args.seeds)
    overrides = assignments(args.set, TRAIN_BY_NAME)
    stem = args.results / f"hsi_{args.protocol}"
    table = stem.with_suffix(".csv")
    rows = list(csv.DictReader(table.open())) if table.exists() else []
    for model in args.models.split(","):
        settings = {"dataset": "indian_pines", "model": model, "protocol": args.protocol}
        row, runs = bench_setting(scene, {**settings, **overrides}, seeds, args)
        rows = [r for r in rows if r["name"] != row["name"]] + [row]
        args.results.mkdir(parents=True, exist_ok=True)
        with table.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        stem.with_suffix(".md").write_text(markdown(rows, args.protocol))
        if args.raw:
            args.raw.mkdir(parents=True, exist_ok=True)
            path = args.raw / f"{row['name'].replace(' ', '_')}.json"
            path.write_text(json.dumps(runs, indent=1, default=str) + "\n")
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
