"""CIFAR-10 at equal training budgets: every model family trained by ``vision-classify train
--max-train-minutes B --budget-clock cpu`` (B CPU-minutes of the training process, so a row
does not depend on what else ran on the machine; the budget-aware one-cycle schedule ends
annealed), seeds × budgets.

Each row runs the real CLI in a fresh process and records test top-1 (official 10,000 images),
params, MACs, train images/s, epochs reached, the machine's load average during the run and
the CPU; the machine's matmul/conv GFLOP/s at the same thread count is measured first, so a
row can be judged against what the CPU could compute. Rows are merged into
``tools/bench/results/vision_cifar10.{csv,md}`` by (model, budget, seed, threads, precision);
the model ``vision-classify train`` uses without ``--model`` is marked. ``--models ''`` only
rewrites the Markdown table from the CSV.

    PANSPECTRA_DATA=../shared/data python tools/bench/bench_vision_cifar10.py \
        --models fastconv_small_32 --budgets 10 --seeds 0 --threads 1 --precision bf16-mixed
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from bench_vision_tables import read_csv, write_csv

from panspectra_core.runtime import cpu_description

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "tools" / "bench" / "results"
KEY = ("model", "budget_min", "budget_clock", "seed", "threads", "precision")
COLUMNS = (
    *KEY,
    "top1",
    "top5",
    "ece",
    "temperature",
    "ece_calibrated",
    "params",
    "macs",
    "train_images_per_s",
    "train_images_per_cpu_s",
    "images_seen",
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
    name = f"{model}_b{budget:g}{args.budget_clock}_s{seed}_t{args.threads}_{args.precision}"
    out = Path(args.runs) / name
    command = [
        "vision-classify",
        "train",
        "--dataset",
        "cifar10",
        "--model",
        model,
        "--max-train-minutes",
        f"{budget:g}",
        "--budget-clock",
        args.budget_clock,
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
        *args.extra,
        "--output",
        str(out),
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
        "budget_clock": args.budget_clock,
        "seed": seed,
        "threads": args.threads,
        "precision": args.precision,
        "top1": round(m["top1"], 4),
        "top5": round(m["top5"], 4),
        "ece": round(m["ece"], 4),
        # runs before temperature scaling have neither key
        "temperature": round(m["temperature"], 3) if "temperature" in m else "",
        "ece_calibrated": round(m["ece_calibrated"], 4) if "ece_calibrated" in m else "",
        "params": m["params"],
        "macs": m["macs"],
        "train_images_per_s": round(m["train_images_per_s"], 1),
        "train_images_per_cpu_s": round(m["train_images_seen"] / m["train_cpu_seconds"], 1),
        "images_seen": m["train_images_seen"],
        "epochs_run": m["epochs_run"],
        "train_seconds": round(m["train_seconds"]),
        "train_cpu_seconds": round(m["train_cpu_seconds"]),
        "wall_seconds": round(wall),
        "load_avg": round((load0 + load1) / 2, 1),
        **gflops,
        "cpu": cpu_description(),
        "command": " ".join([*command[:-2], "--output", "DIR"]),
    }


def merge(rows: list[dict], path: Path) -> list[dict]:
    """The results file with ``rows`` replacing the rows of the same key."""
    old = read_csv(path)
    keys = {tuple(str(r[k]) for k in KEY) for r in rows}
    kept = [r for r in old if tuple(r[k] for k in KEY) not in keys]
    table = sorted([*kept, *rows], key=lambda r: (float(r["budget_min"]), -float(r["top1"])))
    write_csv(path, COLUMNS, table)
    return table


def _fmt(value: str | None, spec: str) -> str:
    """A CSV number formatted with ``spec``; blank stays blank."""
    return format(float(value), spec) if value not in (None, "") else ""


#: the registry tags that name a model's token mixer, in the order they are looked for
MIXER_TAGS = ("mamba", "spectral", "attention", "conv")


def token_mixer(model: str) -> str:
    """What mixes the tokens of registered ``model``: ``conv``, ``attention``, ``spectral`` or
    ``mamba`` (from its registry tags), ``+ conv stem`` for a hybrid."""
    import panspectra_vision.models  # noqa: F401  (registers the models)
    from panspectra_core.registry import model_entry

    tags = model_entry(model).tags
    mixer = next((t for t in MIXER_TAGS if t in tags), "?")
    return f"{mixer} + conv stem" if "hybrid" in tags else mixer


def seed_summary(table: list[dict], default: Callable[[float], str]) -> list[str]:
    """Markdown rows, one per (model, budget, clock, threads, precision): the number of seeds,
    test top-1 mean ± sample std over them, and the seeds' mean training rate and epochs;
    best mean first within a budget; ``default(budget)`` names the model ``vision-classify
    train`` uses without ``--model`` under that budget."""
    import statistics

    groups: dict[tuple, list[dict]] = {}
    for r in table:
        # rows read back from the CSV hold strings, fresh rows numbers
        groups.setdefault(tuple(str(r[k]) for k in KEY if k != "seed"), []).append(r)

    def mean(rows: list[dict], key: str) -> float:
        return statistics.fmean(float(r[key]) for r in rows)

    lines = [
        "| model | token mixer | budget (min) | seeds | top-1 mean ± std | params | MMACs "
        "| train img/CPU-s | epochs |",
        "|" + "---|" * 9,
    ]
    order = sorted(groups.items(), key=lambda kv: (float(kv[0][1]), -mean(kv[1], "top1")))
    for (model, budget, *_), rows in order:
        top1 = [float(r["top1"]) for r in rows]
        spread = f" ± {statistics.stdev(top1):.4f}" if len(top1) > 1 else ""
        name = f"**{model}** (default)" if model == default(float(budget)) else model
        cells = [
            name, token_mixer(model), budget, ",".join(sorted(str(r["seed"]) for r in rows)),
            f"{statistics.fmean(top1):.4f}{spread}", f"{int(rows[0]['params']):,}",
            f"{int(rows[0]['macs']) / 1e6:.1f}", f"{mean(rows, 'train_images_per_cpu_s'):.0f}",
            f"{mean(rows, 'epochs_run'):g}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines


def write_markdown(table: list[dict], path: Path) -> None:
    from panspectra_vision.cli import default_model

    def default(budget: float) -> str:
        return default_model({"max_train_minutes": budget})

    lines = [
        "# CIFAR-10 at equal training budgets (`tools/bench/bench_vision_cifar10.py`)",
        "",
        "Per model and budget, over the seeds run (the rows below):",
        "",
        *seed_summary(table, default),
        "",
        "Test top-1 on the official 10,000 test images after `--max-train-minutes` of training",
        "(45,000 train / 5,000 validation images). With `--budget-clock cpu` the budget is the",
        "CPU time of the training process (validation included), so a row buys the same compute",
        "however busy the machine was; `train CPU s` is what the run got, `wall s` the whole",
        "command (data, training, test with TTA) and `load` the machine's 1-minute load average",
        "during it. GFLOP/s: 1024² matmul at the run's thread count, measured just before it.",
        "ECE: 15-bin expected calibration error of the test softmax; `T`: the temperature",
        "fitted on the validation logits (same TTA), `ECE T`: the test ECE of softmax(logits / T)",
        "(blank: run before the temperature was fitted).",
        "",
        "| model | budget (min) | clock | seed | threads | precision | top-1 | top-5 | ECE | T "
        "| ECE T | params | MMACs | train img/CPU-s | images seen | epochs | train CPU s | wall s "
        "| load | GFLOP/s fp32 / bf16 |",
        "|" + "---|" * 20,
    ]
    for r in table:
        is_default = r["model"] == default(float(r["budget_min"]))
        model = f"**{r['model']}** (default)" if is_default else r["model"]
        cells = [
            model, r["budget_min"], r["budget_clock"], r["seed"], r["threads"],
            r["precision"], f"{float(r['top1']):.4f}", f"{float(r['top5']):.4f}",
            f"{float(r['ece']):.3f}", _fmt(r.get("temperature"), ".2f"),
            _fmt(r.get("ece_calibrated"), ".3f"), f"{int(r['params']):,}",
            f"{int(r['macs']) / 1e6:.1f}",
            r["train_images_per_cpu_s"], f"{int(r['images_seen']) / 1000:.0f}k",
            r["epochs_run"], r["train_cpu_seconds"], r["wall_seconds"], r["load_avg"],
            f"{r['gflops_fp32']} / {r['gflops_bf16']}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += [
        "",
        "**(default)**: the model `vision-classify train` uses without `--model` under that",
        "`--max-train-minutes`.",
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
    parser.add_argument(
        "--models", required=True, help="comma-separated model names ('': rewrite the table)"
    )
    parser.add_argument("--budgets", default="10,60", help="minutes, comma-separated")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--budget-clock", default="cpu", choices=("cpu", "wall"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--precision", default="32-true")
    parser.add_argument("--epochs", type=int, default=200, help="epoch cap (the budget decides)")
    parser.add_argument("--runs", default="runs/bench_vision", help="where the runs write")
    parser.add_argument("--name", default="vision_cifar10", help="results file stem")
    parser.add_argument("extra", nargs="*", help="more train flags after --")
    args = parser.parse_args()
    rows = []
    if not args.models:
        write_markdown(read_csv(RESULTS / f"{args.name}.csv"), RESULTS / f"{args.name}.md")
        return
    for budget in [float(b) for b in args.budgets.split(",")]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            for model in args.models.split(","):
                gflops = machine_gflops(args.threads)
                rows.append(run_row(model, budget, seed, args, gflops))
                table = merge(rows, RESULTS / f"{args.name}.csv")
                write_markdown(table, RESULTS / f"{args.name}.md")
                print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
