"""CIFAR-10 on a CUDA GPU: the same ``vision-classify train`` as the CPU table, on the device.

Each row is one real CLI run on the official split (45,000 train / 5,000 validation / 10,000
test) with ``--device cuda``, a fixed epoch count and a wall-clock cap; it records test top-1,
ECE, epochs reached, training seconds and train images/s, the GPU's name and the host CPU.
It answers what a recipe reaches when compute is not the limit (e.g. whether ``fastconv_32``
matches airbench94's accuracy at 10 epochs), which the CPU budget table cannot show. Rows
merge into ``RESULTS/gpu_cifar10.{csv,md}`` by (model, epochs, cap, seed, precision).

    PANSPECTRA_DATA=../shared/data python tools/bench/bench_gpu_cifar10.py \
        --models fastconv_32 --epochs 10 --max-minutes 3 --seeds 0
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
from bench_vision_tables import read_csv, write_csv

from panspectra_core.runtime import cpu_description

REPO = Path(__file__).resolve().parents[2]
KEY = ("model", "epochs", "max_minutes", "seed", "precision")
COLUMNS = (
    *KEY,
    "top1",
    "top5",
    "ece",
    "params",
    "epochs_run",
    "train_seconds",
    "train_images_per_s",
    "wall_seconds",
    "gpu",
    "cpu",
    "command",
)


def run_row(model: str, seed: int, args: argparse.Namespace) -> dict:
    out = Path(args.runs) / f"{model}_e{args.epochs}_s{seed}"
    command = [
        "vision-classify", "train", "--dataset", "cifar10", "--model", model,
        "--device", "cuda", "--epochs", str(args.epochs),
        "--max-train-minutes", f"{args.max_minutes:g}", "--budget-clock", "wall",
        "--seed", str(seed), "--threads", str(args.threads), "--precision", args.precision,
        "-q", "--overwrite", *args.extra, "--output", str(out),
    ]  # fmt: skip
    start = time.perf_counter()
    entry = "from panspectra_vision.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", entry, *command[1:]], check=True)
    m = json.loads((out / "metrics.json").read_text())
    return {
        "model": model,
        "epochs": args.epochs,
        "max_minutes": f"{args.max_minutes:g}",
        "seed": seed,
        "precision": args.precision,
        "top1": round(m["top1"], 4),
        "top5": round(m["top5"], 4),
        "ece": round(m["ece"], 4),
        "params": m["params"],
        "epochs_run": m["epochs_run"],
        "train_seconds": round(m["train_seconds"], 1),
        "train_images_per_s": round(m["train_images_per_s"]),
        "wall_seconds": round(time.perf_counter() - start),
        "gpu": torch.cuda.get_device_name(),
        "cpu": cpu_description(),
        "command": " ".join([*command[:-2], "--output", "DIR"]),
    }


def write_markdown(table: list[dict], path: Path) -> None:
    lines = [
        "# CIFAR-10 on a GPU (`tools/bench/bench_gpu_cifar10.py`)",
        "",
        "Test top-1 on the official 10,000 test images; the recipe's training at a fixed",
        "epoch count, capped by wall-clock minutes (`epochs run` shows whether the cap cut it).",
        "",
        "| model | epochs | cap (min) | seed | precision | top-1 | top-5 | ECE | params "
        "| epochs run | train s | train img/s | wall s | GPU |",
        "|" + "---|" * 14,
    ]
    for r in table:
        cells = [
            r["model"], r["epochs"], r["max_minutes"], r["seed"], r["precision"],
            f"{float(r['top1']):.4f}", f"{float(r['top5']):.4f}", f"{float(r['ece']):.3f}",
            f"{int(r['params']):,}", r["epochs_run"], r["train_seconds"],
            r["train_images_per_s"], r["wall_seconds"], r["gpu"],
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += ["", f"Host CPU: {table[0]['cpu']}" if table else "", "", "Commands:", ""]
    lines += sorted({f"    {r['command']}" for r in table})
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", required=True, help="comma-separated model names")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--max-minutes", type=float, default=3.0, help="wall-clock cap per run")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--precision", default="bf16-mixed")
    parser.add_argument("--runs", default="runs/bench_gpu")
    parser.add_argument("--results", type=Path, default=REPO / "tools" / "bench" / "results")
    parser.add_argument("extra", nargs="*", help="more train flags after --")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("bench_gpu_cifar10: no CUDA device")
    csv_path = args.results / "gpu_cifar10.csv"
    for seed in [int(s) for s in args.seeds.split(",")]:
        for model in args.models.split(","):
            row = run_row(model, seed, args)
            old = [r for r in read_csv(csv_path) if tuple(r[k] for k in KEY) != tuple(
                str(row[k]) for k in KEY)]  # fmt: skip
            table = sorted([*old, row], key=lambda r: -float(r["top1"]))
            args.results.mkdir(parents=True, exist_ok=True)
            write_csv(csv_path, COLUMNS, table)
            write_markdown(table, args.results / "gpu_cifar10.md")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
