"""CIFAR-10 at equal wall-clock budgets: every model family trained by ``vision-classify train
--max-train-minutes B`` (the budget-aware one-cycle schedule ends annealed), seeds × budgets.

Each row runs the real CLI in a fresh process and records test top-1 (official 10,000 images),
params, MACs, train images/s, epochs reached, the machine's load average during the run and
the CPU; the machine's matmul/conv GFLOP/s at the same thread count is measured first, so a
row can be judged against what the CPU could compute. Rows are merged into
``tools/bench/results/vision_cifar10.{csv,md}`` by (model, budget, seed, threads, precision).

    PANSPECTRA_DATA=../shared/data python tools/bench/bench_vision_cifar10.py \
        --models fastconv_small_32 --budgets 25 --seeds 0 --threads 2 --precision bf16-mixed
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from panspectra_core.runtime import cpu_description

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "tools" / "bench" / "results"
KEY = ("model", "budget_min", "seed", "threads", "precision")
COLUMNS = (
    *KEY,
    "top1",
    "top5",
    "ece",
    "params",
    "macs",
    "train_images_per_s",
    "epochs_run",
    "train_seconds",
    "train_cpu_seconds",
    "wall_seconds",
    "load_avg",
    "gflops_fp32",
    "gflops_bf16",
    "cpu",
    "command",
)


def machine_gflops(threads: int) -> dict[str, float]:
    """Matmul (1024², fp32 and bf16) GFLOP/s at ``threads`` threads, best of 5."""
    torch.set_num_threads(threads)
    out = {}
    for name, dtype in (("gflops_fp32", torch.float32), ("gflops_bf16", torch.bfloat16)):
        a, b = torch.randn(1024, 1024, dtype=dtype), torch.randn(1024, 1024, dtype=dtype)
        a @ b
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - start)
        out[name] = round(2 * 1024**3 / best / 1e9, 1)
    return out


def run_row(model: str, budget: float, seed: int, args: argparse.Namespace, gflops: dict) -> dict:
    out = Path(args.runs) / f"{model}_b{budget:g}_s{seed}_t{args.threads}_{args.precision}"
    command = [
        "vision-classify",
        "train",
        "--dataset",
        "cifar10",
        "--model",
        model,
        "--max-train-minutes",
        f"{budget:g}",
        "--seed",
        str(seed),
        "--threads",
        str(args.threads),
        "--precision",
        args.precision,
        "--epochs",
        str(args.epochs),
        "-q",
        "--overwrite",
        "--output",
        str(out),
        *args.extra,
    ]
    start, load0 = time.perf_counter(), os.getloadavg()[0]
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from panspectra_vision.cli import main; import sys; sys.exit(main(sys.argv[1:]))",
            *command[1:],
        ],
        check=True,
    )
    wall, load1 = time.perf_counter() - start, os.getloadavg()[0]
    m = json.loads((out / "metrics.json").read_text())
    return {
        "model": model,
        "budget_min": f"{budget:g}",
        "seed": seed,
        "threads": args.threads,
        "precision": args.precision,
        "top1": round(m["top1"], 4),
        "top5": round(m["top5"], 4),
        "ece": round(m["ece"], 4),
        "params": m["params"],
        "macs": m["macs"],
        "train_images_per_s": round(m["train_images_per_s"], 1),
        "epochs_run": m["epochs_run"],
        "train_seconds": round(m["train_seconds"]),
        "train_cpu_seconds": round(m["train_cpu_seconds"]),
        "wall_seconds": round(wall),
        "load_avg": round((load0 + load1) / 2, 1),
        **gflops,
        "cpu": cpu_description(),
        "command": " ".join([*command[:-2], "--output", "DIR"]),
    }


def _fill_cpu_seconds(row: dict, runs: Path) -> dict:
    """Rows written before ``train_cpu_seconds`` was a column: take it from the row's run."""
    if row.get("train_cpu_seconds"):
        return row
    name = "{model}_b{budget_min}_s{seed}_t{threads}_{precision}".format(**row)
    metrics = runs / name / "metrics.json"
    if metrics.is_file():
        row["train_cpu_seconds"] = round(json.loads(metrics.read_text())["train_cpu_seconds"])
    return row


def merge(rows: list[dict], path: Path, runs: Path) -> list[dict]:
    old = list(csv.DictReader(path.open())) if path.exists() else []
    old = [_fill_cpu_seconds(r, runs) for r in old]
    keys = {tuple(str(r[k]) for k in KEY) for r in rows}
    kept = [r for r in old if tuple(r[k] for k in KEY) not in keys]
    table = sorted([*kept, *rows], key=lambda r: (float(r["budget_min"]), -float(r["top1"])))
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    return table


def write_markdown(table: list[dict], path: Path) -> None:
    lines = [
        "# CIFAR-10 at equal wall-clock budgets (`tools/bench/bench_vision_cifar10.py`)",
        "",
        "Test top-1 on the official 10,000 test images after `--max-train-minutes` of training",
        "(45,000 train / 5,000 validation images). `load` is the machine's 1-minute load average",
        "during the run and `train CPU s` the CPU time the training process got: with a load",
        "above the core count (2) the run shared the CPU and got less compute than its budget",
        "suggests. GFLOP/s: 1024² matmul at the run's thread count, measured just before it.",
        "",
        "| model | budget (min) | seed | threads | precision | top-1 | top-5 | ECE | params "
        "| MMACs | train img/s | images seen | train CPU s | load | GFLOP/s fp32 / bf16 |",
        "|" + "---|" * 15,
    ]
    for r in table:
        cells = [
            r["model"], r["budget_min"], r["seed"], r["threads"], r["precision"],
            f"{float(r['top1']):.4f}", f"{float(r['top5']):.4f}", f"{float(r['ece']):.3f}",
            f"{int(r['params']):,}", f"{int(r['macs']) / 1e6:.1f}", r["train_images_per_s"],
            f"{float(r['train_images_per_s']) * float(r['train_seconds']) / 1000:.0f}k",
            r.get("train_cpu_seconds", ""), r["load_avg"],
            f"{r['gflops_fp32']} / {r['gflops_bf16']}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += [
        "",
        f"CPU: {table[0]['cpu'] if table else cpu_description()}",
        "",
        "Commands (one per row, `DIR` any new folder):",
        "",
    ]
    lines += sorted({f"    {r['command']}" for r in table})
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", required=True, help="comma-separated model names")
    parser.add_argument("--budgets", default="10,60", help="minutes, comma-separated")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--precision", default="32-true")
    parser.add_argument("--epochs", type=int, default=200, help="epoch cap (the budget decides)")
    parser.add_argument("--runs", default="runs/bench_vision", help="where the runs write")
    parser.add_argument("--name", default="vision_cifar10", help="results file stem")
    parser.add_argument("extra", nargs="*", help="more train flags after --")
    args = parser.parse_args()
    rows = []
    for budget in [float(b) for b in args.budgets.split(",")]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            for model in args.models.split(","):
                gflops = machine_gflops(args.threads)
                rows.append(run_row(model, budget, seed, args, gflops))
                table = merge(rows, RESULTS / f"{args.name}.csv", Path(args.runs))
                write_markdown(table, RESULTS / f"{args.name}.md")
                print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
