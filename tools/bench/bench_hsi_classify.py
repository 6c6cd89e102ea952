"""Benchmark hsi classification on Indian Pines: OA / AA / kappa (mean ± std over seeds) and CPU
training time per seed, for each model, under one protocol.

    python tools/bench/bench_hsi_classify.py --protocol random --models ssftt,svm --seeds 0,1,2,3,4
    python tools/bench/bench_hsi_classify.py --protocol disjoint --models ssftt --seeds 0-4

Writes tools/bench/results/hsi_<protocol>.json and .md (one row per model, kept across runs of
other models and rewritten after each model, with the
``hsi-classify`` command that reproduces it). ``--epochs`` overrides the recipes (for a reduced,
quick run; the row says so). Targets: random 10 % → best OA ≥ 0.990 with ≤ 5 CPU-min training per
seed; disjoint → best OA ≥ 0.85.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

import torch

from panspectra_core.cli import parse_seeds, summarize_seeds
from panspectra_core.training import TrainConfig
from panspectra_hsi.data import load_named_scene
from panspectra_hsi.pipeline import TrainOptions, run_training

RESULTS = Path(__file__).resolve().parent / "results"
KEYS = ("overall_accuracy", "average_accuracy", "kappa", "train_seconds")


def bench_model(scene, model: str, protocol: str, seeds: list[int], epochs: int | None) -> dict:
    options = TrainOptions(model=model, protocol=protocol, epochs=epochs)
    runs = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as out:
            config = TrainConfig(progress_bar=False, accelerator="cpu", seed=seed)
            summary = run_training(scene, options, [seed], out, trainer_config=config)
            runs.append(summary.metrics)
    command = (
        f"hsi-classify train --dataset indian_pines --model {model} --protocol {protocol} "
        f"--train-fraction 0.1 --seeds {','.join(map(str, seeds))} --accelerator cpu"
        + (f" --epochs {epochs}" if epochs else "")
        + " --output runs/"
        + model
    )
    return {
        "model": model,
        "summary": summarize_seeds(runs, KEYS),
        "per_seed": [{k: r[k] for k in (*KEYS, "seed", "epochs")} for r in runs],
        "protocol": runs[0]["protocol"],
        "options": runs[0]["options"],
        "reduced": epochs is not None,
        "command": command,
    }


def markdown(rows: list[dict], protocol: str, machine: str) -> str:
    lines = [
        f"# Indian Pines, protocol `{protocol}` ({machine})",
        "",
        "| model | OA | AA | kappa | train s / seed (CPU) | seeds | command |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        s = row["summary"]

        def cell(key, scale=100.0, digits=2, s=s):
            return f"{s[key]['mean'] * scale:.{digits}f} ± {s[key]['std'] * scale:.{digits}f}"

        name = row["model"] + (" (reduced epochs)" if row["reduced"] else "")
        lines.append(
            f"| {name} | {cell('overall_accuracy')} | {cell('average_accuracy')} | "
            f"{cell('kappa')} | {cell('train_seconds', 1.0, 1)} | "
            f"{len(s['overall_accuracy']['values'])} | `{row['command']}` |"
        )
    p = rows[0]["protocol"] if rows else {}
    lines += [
        "",
        f"OA/AA/kappa in % (mean ± sample std over seeds). Train/val/test pixels (seed "
        f"{p.get('seed')}): {p.get('train_pixels')}/{p.get('val_pixels')}/{p.get('test_pixels')}"
        f"; guard band removed {p.get('guard_removed_pixels')} labelled pixels.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=("random", "disjoint"), default="random")
    parser.add_argument("--models", default="ssftt,svm", help="comma-separated registry names")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--epochs", type=int, help="override the recipes (reduced run)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    scene = load_named_scene("indian_pines")
    seeds = parse_seeds(args.seeds)
    cpu = platform.processor() or platform.machine()
    machine = f"{cpu}, {args.threads} threads, torch {torch.__version__}"
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"hsi_{args.protocol}"
    # Rows of models not re-run now are kept, so the table can be built up model by model.
    rows = (
        json.loads(stem.with_suffix(".json").read_text())["rows"]
        if stem.with_suffix(".json").exists()
        else []
    )
    for model in args.models.split(","):
        row = bench_model(scene, model, args.protocol, seeds, args.epochs)
        rows = [r for r in rows if r["model"] != model] + [row]
        payload = {"protocol": args.protocol, "machine": machine, "rows": rows}
        stem.with_suffix(".json").write_text(json.dumps(payload, indent=2) + "\n")
        stem.with_suffix(".md").write_text(markdown(rows, args.protocol, machine))
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
