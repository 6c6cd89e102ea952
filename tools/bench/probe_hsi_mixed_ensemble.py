"""Exploration probe (not a benchmark row): does a *mixed* ensemble — the SSFTT 2-member
ensemble (TTA 2) plus one LoLA-SpecViT, each with its own recipe and preprocessing — beat the
SSFTT ensemble alone on 10 % stratified random Indian Pines?

Both are trained with ``train_classifier`` on the same split of each seed; their unsmoothed
probability maps are averaged (LoLA weight 1/2, and 1/3 = one vote per trained network) and
scored on that seed's test pixels. ``hsi-classify`` has no mixed ensembles yet; this measures
whether building one is worth it. Prints one line per model and combination and writes
``tools/bench/results/hsi_mixed_ensemble_probe.json``.

    python tools/bench/probe_hsi_mixed_ensemble.py --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from hsi_probe_seeds import run_probe_seeds

RESULTS = Path(__file__).resolve().parent / "results" / "hsi_mixed_ensemble_probe.json"
MEMBERS = (("ssftt", {"ensemble": 2, "tta": 2}), ("lola_specvit", {}))


def probe_seed(scene, seed: int) -> dict:
    from panspectra_core.training import TrainConfig
    from panspectra_hsi.pipeline.options import TrainOptions
    from panspectra_hsi.pipeline.tiling import window_probabilities
    from panspectra_hsi.pipeline.train import train_classifier

    height, width, _ = scene.shape

    def read(rows: slice, cols: slice) -> np.ndarray:
        return np.asarray(scene.cube[rows, cols], dtype=np.float32)

    probabilities, row = {}, {"seed": seed}
    for name, overrides in MEMBERS:
        with tempfile.TemporaryDirectory() as workdir:
            result = train_classifier(
                scene,
                TrainOptions(model=name, protocol="random", **overrides),
                trainer_config=TrainConfig(progress_bar=False, accelerator="cpu"),
                workdir=workdir,
                seed=seed,
            )
        proba, _, _ = window_probabilities(
            result.classifier, read, (height, width), (0, height, 0, width)
        )
        test, truth = result.split.test, scene.labels[result.split.test] - 1
        probabilities[name] = proba
        row[name] = {
            "overall_accuracy_unsmoothed": float((proba[test].argmax(-1) == truth).mean()),
            "overall_accuracy_recipe": result.metrics["overall_accuracy"],
            "train_cpu_seconds": result.metrics["train_cpu_seconds"],
        }
    for weight in (1 / 2, 1 / 3):
        mixed = (1 - weight) * probabilities["ssftt"] + weight * probabilities["lola_specvit"]
        row[f"mixed_lola_weight_{weight:.2f}"] = float((mixed[test].argmax(-1) == truth).mean())
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = run_probe_seeds(probe_seed, args.seeds)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    payload = {"command": "python tools/bench/probe_hsi_mixed_ensemble.py --seeds " + args.seeds}
    args.results.write_text(json.dumps({**payload, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
