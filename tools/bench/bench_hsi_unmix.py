"""Benchmark linear unmixing on Samson (95 x 95 x 156, 3 endmembers: rock, tree, water).

For each method (VCA + FCLS, N-FINDR + FCLS, VCA-initialised autoencoder) and seed: SAD per
reference endmember (radians, after Hungarian matching), abundance RMSE, compute seconds.

    python tools/bench/bench_hsi_unmix.py --seeds 0-4
    python tools/bench/bench_hsi_unmix.py --methods vca,nfindr --seeds 0,1 --ae-epochs 30

Writes tools/bench/results/hsi_unmix.md (``--raw FILE.json``: every seed's figures too). Needs
the Samson files (see
data_manifests/hsi/samson.toml; set PANSPECTRA_DATA to the shared data folder).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from panspectra_core.reporting import parse_seed_list as parse_seeds
from panspectra_core.reporting import summarize_seeds
from panspectra_core.runtime import cpu_description
from panspectra_hsi.data import load_samson
from panspectra_hsi.unmixing import METHODS, score_unmixing, unmix

RESULTS = Path(__file__).resolve().parent / "results"


def bench_method(
    pixels, reference, reference_abundances, names, method, seeds, ae_epochs, restarts=1
):
    runs = []
    for seed in seeds:
        torch.manual_seed(seed)
        result = unmix(
            pixels, len(reference), method, seed=seed, ae_epochs=ae_epochs, restarts=restarts
        )
        scores = score_unmixing(
            result.endmembers, reference, result.abundances, reference_abundances
        )
        run = {"seed": seed, "seconds": result.seconds, "mean_sad": scores.mean_sad}
        run["mean_rmse"] = scores.total_rmse
        run |= {f"sad_{n}": float(v) for n, v in zip(names, scores.sad)}
        run |= {f"rmse_{n}": float(v) for n, v in zip(names, scores.rmse)}
        runs.append(run)
        print(
            f"{method} seed={seed} sad={scores.mean_sad:.4f} rmse={scores.total_rmse:.4f} "
            f"({result.seconds:.1f}s)",
            flush=True,
        )
    keys = ["mean_sad", "mean_rmse", *(f"sad_{n}" for n in names), "seconds"]
    keys += [f"rmse_{n}" for n in names]
    return {"method": method, "runs": runs, "summary": summarize_seeds(runs, keys)}


def _cell(summary: dict, key: str) -> str:
    return f"{summary[key]['mean']:.4f} ± {summary[key]['std']:.4f}"


def markdown(report: dict, names: list[str]) -> str:
    head = "| method | mean SAD (rad) | abundance RMSE | " + " | ".join(f"SAD {n}" for n in names)
    lines = [
        "# Samson unmixing (3 endmembers)",
        "",
        f"Seeds {report['seeds']}; mean ± std over seeds. {report['machine']}. "
        f"Autoencoder: {report['ae_epochs']} epochs, SAD loss, VCA init.",
        f"Command: `{report['command']}`",
        "",
        head + " | seconds |",
        "|" + "---|" * (4 + len(names)),
    ]
    for row in report["results"]:
        s = row["summary"]
        cells = [
            _cell(s, "mean_sad"),
            _cell(s, "mean_rmse"),
            *(_cell(s, f"sad_{n}") for n in names),
        ]
        lines.append(
            f"| {row['method']} | " + " | ".join(cells) + f" | {s['seconds']['mean']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--ae-epochs", type=int, default=30)
    parser.add_argument(
        "--restarts", type=int, default=1, help="VCA / N-FINDR restarts (best reconstruction)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "hsi_unmix")
    parser.add_argument("--raw", type=Path, help="also write every seed's figures to this JSON")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    seeds = parse_seeds(args.seeds)
    scene, reference, abundances, names = load_samson()
    pixels = np.asarray(scene.cube, dtype=np.float64).reshape(-1, scene.shape[2])
    reference_abundances = abundances.reshape(-1, abundances.shape[-1])
    start = time.time()
    results = [
        bench_method(
            pixels,
            reference.T,
            reference_abundances,
            names,
            m,
            seeds,
            args.ae_epochs,
            args.restarts,
        )
        for m in args.methods.split(",")
    ]
    report = {
        "dataset": "samson",
        "seeds": seeds,
        "ae_epochs": args.ae_epochs,
        "machine": f"{cpu_description()}, {os.cpu_count()} cpus, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads",
        "command": "python tools/bench/bench_hsi_unmix.py "
        f"--methods {args.methods} --seeds {args.seeds} --ae-epochs {args.ae_epochs} "
        f"--restarts {args.restarts} --output {args.output}",
        "total_seconds": time.time() - start,
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.raw:
        args.raw.write_text(json.dumps(report, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(markdown(report, names))
    print(markdown(report, names))


if __name__ == "__main__":
    main()
