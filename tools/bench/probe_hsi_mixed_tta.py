"""Exploration probe (not a benchmark row): does 8-view test-time augmentation of the SSFTT
members lift the random-protocol mixed ensemble, trained with ``--precision bf16-mixed``?

The mixed ensemble (two SSFTTs, one LoLA-SpecViT, the default ``hsi-classify train --protocol
random``) is trained once per seed with bf16 mixed precision, then scored twice on that seed's
test pixels with the same trained members: ``recipe`` (SSFTT 4 dihedral views, LoLA-SpecViT 1,
as trained) and ``ssftt_tta8`` (the SSFTTs averaged over all 8 dihedral views; they are trained
with random flips and rotations, so every view is one they saw; LoLA-SpecViT is trained without
them and keeps 1 view). TTA costs prediction time only, not training time.

The rule was fixed before the run: ``ssftt_tta8`` becomes the recipe only if its mean OA on the
*tuning* seeds 100–104 is higher; the benchmark seeds 0–4 are then reported for whichever wins.
Prints one JSON line per seed and writes ``tools/bench/results/hsi_mixed_tta_probe_<seeds>.json``.

    python tools/bench/probe_hsi_mixed_tta.py --seeds 100,101,102,103,104
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from hsi_probe_seeds import run_probe_seeds

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = {"recipe": None, "ssftt_tta8": 8}


def probe_seed(scene, seed: int, precision: str, epochs: int | None = None) -> dict:
    from panspectra_core.training import TrainConfig
    from panspectra_hsi.pipeline.options import TrainOptions
    from panspectra_hsi.pipeline.smoothing import smooth_probabilities
    from panspectra_hsi.pipeline.tiling import window_probabilities
    from panspectra_hsi.pipeline.train import train_classifier

    height, width, _ = scene.shape

    def read(rows: slice, cols: slice) -> np.ndarray:
        return np.asarray(scene.cube[rows, cols], dtype=np.float32)

    with tempfile.TemporaryDirectory() as workdir:
        result = train_classifier(
            scene,
            TrainOptions(model="mixed_ensemble", protocol="random", epochs=epochs),
            trainer_config=TrainConfig(progress_bar=False, accelerator="cpu", precision=precision),
            workdir=workdir,
            seed=seed,
        )
    mixed, split = result.classifier, result.split
    truth = scene.labels[split.test] - 1
    row = {
        "seed": seed,
        "overall_accuracy_run": result.metrics["overall_accuracy"],
        "train_cpu_seconds": result.metrics["train_cpu_seconds"],
    }
    recipe_views = [member.tta for member in mixed.members]
    for name, views in VARIANTS.items():
        for member, trained_views in zip(mixed.members, recipe_views):
            member.tta = views if views and member.model_name == "ssftt" else trained_views
        proba, valid, guide = window_probabilities(
            mixed, read, (height, width), (0, height, 0, width)
        )
        guide = guide if mixed.smooth_method == "guided" else None
        smoothed = smooth_probabilities(proba, valid, mixed.smooth_radius, guide)
        row[name] = float((smoothed[split.test].argmax(-1) == truth).mean())
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100,101,102,103,104")
    parser.add_argument("--precision", default="bf16-mixed")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--epochs", type=int, help="every member's epochs (smoke runs only)")
    args = parser.parse_args(argv)
    rows = run_probe_seeds(probe_seed, args.seeds, precision=args.precision, epochs=args.epochs)
    summary = {
        name: {
            "oa_mean": float(np.mean([r[name] for r in rows])),
            "oa_std": float(np.std([r[name] for r in rows], ddof=1)) if len(rows) > 1 else 0.0,
        }
        for name in VARIANTS
    }
    print(json.dumps(summary))
    command = f"python tools/bench/probe_hsi_mixed_tta.py --seeds {args.seeds}"
    payload = {"command": command + f" --precision {args.precision}", "summary": summary}
    target = args.results / f"hsi_mixed_tta_probe_{args.seeds.replace(',', '_')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({**payload, "rows": rows}, indent=2) + "\n")
    tmp.replace(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
