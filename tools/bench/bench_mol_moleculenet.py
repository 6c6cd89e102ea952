"""MoleculeNet property benchmark: ESOL, Lipophilicity (RMSE) and BBBP (ROC-AUC) × random /
scaffold split × model × seed, with CPU minutes per run (featurization + training; the row's
``run_cpu_minutes`` is the whole CLI call: reading, featurization, training, scoring, saving).

Each row is one seed of one configuration, run through the real CLI in-process
(``mol-predict train ...``); the row keeps that command so any number can be reproduced
alone. Resumable: rows already in the JSON are skipped. The Markdown table aggregates seeds
(mean ± std) and names the CPU.

    python tools/bench/bench_mol_moleculenet.py --datasets esol --models dmpnn --seeds 0-4
    python tools/bench/bench_mol_moleculenet.py --splits scaffold --models random_forest

Writes ``tools/bench/results/mol_moleculenet.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

from panspectra_core.io import atomic_write, write_json
from panspectra_core.reporting import parse_seed_list, summarize_seeds
from panspectra_core.runtime import cpu_description

RESULTS = Path(__file__).resolve().parent / "results"
METRIC = {"esol": "rmse", "lipophilicity": "rmse", "bbbp": "roc_auc"}
TARGET = {"esol": 0.55, "lipophilicity": 0.53, "bbbp": 0.93}  # random split, default model


def run_row(
    dataset: str, split: str, model: str, seed: int, extra: list[str], keep: Path | None = None
) -> dict:
    """Train one seed through the CLI and return its results row; with ``keep``, the run's
    outputs (predictions per test molecule, checkpoint) stay in a folder under it named by
    the row."""
    from panspectra_mol.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        if keep is not None:
            flags = hashlib.blake2b(" ".join(extra).encode(), digest_size=4).hexdigest()
            out = keep / f"{dataset}-{split}-{model}-{flags}-seed{seed}"
        argv = ["train", "--dataset", dataset, "--split", split, "--model", model,
                "--seed", str(seed), "--threads", "1", "--quiet", *extra]  # fmt: skip
        started = time.process_time()
        code = main([*argv, "--output", str(out)])
        run_cpu = (time.process_time() - started) / 60
        if code != 0:
            raise SystemExit(f"mol-predict {' '.join(argv)} failed with exit code {code}")
        metrics = json.loads((out / "metrics.json").read_text())
    cpu = (metrics["cpu_seconds"] + metrics.get("featurize_cpu_seconds", 0.0)) / 60
    return {
        "dataset": dataset, "split": split, "model": model, "seed": seed,
        "metric": METRIC[dataset], "value": metrics[METRIC[dataset]],
        "rmse": metrics.get("rmse"), "mae": metrics.get("mae"), "r2": metrics.get("r2"),
        "roc_auc": metrics.get("roc_auc"), "pr_auc": metrics.get("pr_auc"),
        "cpu_minutes": cpu, "train_seconds": metrics["train_seconds"],
        "n_train": metrics["n_train"], "n_test": metrics["n_test"],
        "ensemble": metrics.get("ensemble", 1), "epochs": metrics.get("epochs"),
        "budget": metrics.get("budget"), "run_cpu_minutes": run_cpu,
        "command": "mol-predict " + " ".join(argv) + " --output DIR",
    }  # fmt: skip


def key(row: dict) -> str:
    extra = row["command"].split("--quiet", 1)[1].replace("--output DIR", "").strip()
    return f"{row['dataset']}|{row['split']}|{row['model']}|{row['seed']}|{extra}"


def default_flags(dataset: str) -> tuple[str, str]:
    """``(model, extra flags)`` that ``mol-predict train --dataset D`` uses without
    ``--model``, in the order :func:`key` records them."""
    from panspectra_mol.cli import default_model

    choice = default_model({"dataset": dataset})
    name, values = choice if isinstance(choice, tuple) else (choice, {})
    return name, " ".join(f"--{k.replace('_', '-')} {v}" for k, v in values.items())


def member_epochs(group: list[dict]) -> str:
    """Epochs a member trained, averaged over the members and seeds of ``group`` ("-" for rows
    that did not record them)."""
    runs = [r["epochs"] for r in group if r.get("epochs") is not None]
    epochs = [e for run in runs for e in (run if isinstance(run, list) else [run])]
    return f"{sum(epochs) / len(epochs):.1f}" if epochs else "-"


def markdown(rows: list[dict]) -> str:
    """One line per (dataset, split, model, extra flags): mean ± std over its seeds."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        extra = key(row).split("|", 4)[4]
        groups.setdefault((row["dataset"], row["split"], row["model"], extra), []).append(row)
    lines = [
        f"CPU: {cpu_description()} (1 torch thread per run; machine shared with other jobs)",
        "",
        "| dataset | split | model | flags | metric | mean ± std | seeds | CPU min/run | "
        "epochs/member | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (dataset, split, model, extra), group in sorted(groups.items()):
        stats = summarize_seeds(group, ["value", "cpu_minutes"])
        value, cpu = stats["value"], stats["cpu_minutes"]
        target = f"{'≤' if METRIC[dataset] == 'rmse' else '≥'} {TARGET[dataset]}"
        target = target if split == "random" else ""
        if (model, extra) == default_flags(dataset):
            model = f"**{model}** (default)"
        seeds = ",".join(str(r["seed"]) for r in sorted(group, key=lambda r: r["seed"]))
        lines.append(
            f"| {dataset} | {split} | {model} | {extra or '-'} | {METRIC[dataset]} | "
            f"{value['mean']:.3f} ± {value['std']:.3f} | {seeds} | {cpu['mean']:.1f} | "
            f"{member_epochs(group)} | {target} |"
        )
    lines += ["", "**(default)**: the configuration `mol-predict train` uses without `--model`. "
              "*epochs/member*: epochs each network trained (early stopping or the budget may "
              "end it before the recipe's), averaged over members and seeds; - where not "
              "recorded.",
              "", "Each row's command: `python tools/bench/bench_mol_moleculenet.py --datasets D "
              "--splits S --models M --seeds LIST [--extra 'FLAGS']`; one seed alone: the "
              "`command` field of the JSON row."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="esol,lipophilicity,bbbp")
    parser.add_argument("--splits", default="random,scaffold")
    parser.add_argument("--models", default="dmpnn,random_forest")
    parser.add_argument("--seeds", default="0-4")
    parser.add_argument("--extra", default="", help="more mol-predict train flags")
    parser.add_argument("--results", type=Path, default=RESULTS / "mol_moleculenet.json")
    parser.add_argument(
        "--keep-runs",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep each run's outputs under DIR (default: discarded)",
    )
    args = parser.parse_args(argv)
    rows = json.loads(args.results.read_text()) if args.results.exists() else []
    done = {key(r) for r in rows}
    extra = args.extra.split()
    for dataset in args.datasets.split(","):
        for split in args.splits.split(","):
            for model in args.models.split(","):
                for seed in parse_seed_list(args.seeds):
                    probe = {
                        "dataset": dataset,
                        "split": split,
                        "model": model,
                        "seed": seed,
                        "command": "x --quiet " + " ".join(extra) + " --output DIR",
                    }
                    if key(probe) in done:
                        continue
                    row = run_row(dataset, split, model, seed, extra, args.keep_runs)
                    print(
                        f"{dataset} {split} {model} seed {seed}: {row['metric']} "
                        f"{row['value']:.4f} ({row['cpu_minutes']:.2f} CPU min)",
                        flush=True,
                    )
                    rows.append(row)
                    write_json(args.results, rows)
                    with atomic_write(args.results.with_suffix(".md")) as tmp:
                        tmp.write_text(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
