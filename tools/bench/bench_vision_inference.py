"""Inference images/s of every vision model family at batch 1 and batch 256, on 1 thread and
on 2 threads (32×32 RGB, float32, eval mode, no TTA), with params and MACs.

Writes ``tools/bench/results/vision_inference.{csv,md}`` (rows merged by model and threads) with
the machine's load average during each measurement and the CPU.

    python tools/bench/bench_vision_inference.py --threads 1,2
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch
from bench_vision_tables import read_csv, write_csv

import panspectra_vision.models  # noqa: F401 (registration)
from panspectra_core.registry import create_model, list_models
from panspectra_core.runtime import cpu_description
from panspectra_vision.evaluation import count_macs, count_params, images_per_second

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = (
    "model",
    "threads",
    "params",
    "macs",
    "batch1_images_per_s",
    "batch256_images_per_s",
    "load_avg",
    "cpu",
)


def measure(name: str, threads: int, seconds: float) -> dict:
    torch.set_num_threads(threads)
    model = create_model(name, num_classes=10).eval()
    load0 = os.getloadavg()[0]
    one = images_per_second(model, 3, 32, 1, min_seconds=seconds)
    big = images_per_second(model, 3, 32, 256, min_seconds=seconds)
    return {
        "model": name, "threads": threads, "params": count_params(model),
        "macs": count_macs(model, 3, 32), "batch1_images_per_s": round(one, 1),
        "batch256_images_per_s": round(big, 1),
        "load_avg": round((load0 + os.getloadavg()[0]) / 2, 1), "cpu": cpu_description(),
    }  # fmt: skip


def write(rows: list[dict]) -> None:
    path = RESULTS / "vision_inference.csv"
    old = read_csv(path)
    done = {(r["model"], str(r["threads"])) for r in rows}
    table = [r for r in old if (r["model"], r["threads"]) not in done] + rows
    table.sort(key=lambda r: (int(r["threads"]), r["model"]))
    write_csv(path, COLUMNS, table)
    lines = [
        "# Inference images/s (`tools/bench/bench_vision_inference.py`)",
        "",
        "32×32 RGB, float32, eval mode, no TTA. `load`: the machine's 1-minute load average",
        "during the measurement (above 2, other processes shared the two cores).",
        "",
        "| model | threads | params | MMACs | img/s batch 1 | img/s batch 256 | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(
            f"| {r['model']} | {r['threads']} | {int(r['params']):,} | {int(r['macs']) / 1e6:.1f} "
            f"| {r['batch1_images_per_s']} | {r['batch256_images_per_s']} | {r['load_avg']} |"
        )
    lines += [
        "",
        f"CPU: {table[0]['cpu']}",
        "",
        "Command:",
        "",
        "    python tools/bench/bench_vision_inference.py --threads 1,2",
    ]
    (RESULTS / "vision_inference.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--models", default="*", help="glob over the vision models")
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum timing per cell")
    args = parser.parse_args()
    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        for name in list_models(args.models, domain="vision"):
            rows.append(measure(name, threads, args.seconds))
            write(rows)
            print(rows[-1], flush=True)


if __name__ == "__main__":
    main()
