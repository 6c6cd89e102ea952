"""Long-horizon forecasting benchmark: MSE/MAE (normalized, all test windows) per dataset ×
horizon × model, mean ± std over seeds, with CPU training seconds.

Every row is one seed of one configuration; it runs the real CLI (``ts-forecast train ...``,
in-process) and stores that command, so any number can be reproduced alone. Resumable: rows
already in the JSON are skipped, so a long grid can be run in pieces. The tables aggregate the
seeds of a configuration (mean ± std). Each run gets the issue's training budget (10 minutes
on ETTh*, 30 on ETTm*; ``--max-train-minutes``) unless ``--no-budget``.

    python tools/bench/bench_ts_forecast.py --datasets ETTh1 --horizons 96 --models dlinear
    python tools/bench/bench_ts_forecast.py --lookback 336 --datasets ETTh1,ETTh2,ETTm1
    python tools/bench/bench_ts_forecast.py --models dlinear --seeds 0,1,2 --extra '--threads 1'
    python tools/bench/bench_ts_forecast.py --models patchtst --seeds 0,1,2 --list-missing

Writes ``tools/bench/results/ts_forecast_L<lookback>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from panspectra_core.io import write_json
from panspectra_core.reporting import summarize_seeds
from panspectra_core.runtime import cpu_description

RESULTS = Path(__file__).resolve().parent / "results"
# targets from the project issue (L=96, MSE averaged over H ∈ {96, 192, 336, 720})
TARGET_AVG_MSE = {"ETTh1": 0.425, "ETTh2": 0.34, "ETTm1": 0.375}
# the official xPatch test loader (batch 2048, drop_last=True) scores only the first
# floor(N / 2048) * 2048 test windows; we report all windows and this subset as a diagnostic
OFFICIAL_TEST_BATCH = 2048
# the training budget per run, in minutes
BUDGET_MINUTES = {"ETTh": 10, "ETTm": 30}


def budget_flags(dataset: str) -> list[str]:
    """``--max-train-minutes`` for ``dataset``'s budget (none for other datasets)."""
    minutes = BUDGET_MINUTES.get(dataset[:4])
    return [] if minutes is None else ["--max-train-minutes", str(minutes)]


def _subset_mse(checkpoint: Path, keep_multiple: int = OFFICIAL_TEST_BATCH) -> float:
    """MSE over the first ``floor(N / keep_multiple) * keep_multiple`` test windows (what a
    ``drop_last`` test loader with that batch size scores), with the checkpoint's scaler."""
    from panspectra_ts.eval.evaluate import evaluate_split
    from panspectra_ts.pipeline.forecast import checkpoint_series, load_forecaster
    from panspectra_ts.pipeline.source import SourceOptions

    ckpt = load_forecaster(checkpoint)
    _, data = checkpoint_series(ckpt, SourceOptions(dataset=ckpt.meta.preprocessing["dataset"]))
    keep = max(1, len(data.windows("test")) // keep_multiple) * keep_multiple
    return evaluate_split(ckpt.model, data, "test", max_windows=keep)["mse"]


def _row_key(dataset: str, model: str, horizon: int, seeds: list[int], extra: list[str]) -> str:
    return f"{dataset}|{model}|H{horizon}|seeds={','.join(map(str, seeds))}|{' '.join(extra)}"


def model_flags(model: str) -> list[str]:
    """``--model NAME``, or for ``select:A+B`` the validation choice ``--select A,B``."""
    if model.startswith("select:"):
        return ["--select", model.removeprefix("select:").replace("+", ",")]
    return ["--model", model]


def run_row(
    dataset: str, model: str, horizon: int, lookback: int, seed: int, extra: list[str]
) -> dict:
    """Train and score one seed of one configuration through the CLI; the row of the results
    file (list-valued fields keep the format of older several-seed rows)."""
    from panspectra_ts.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        argv = [
            "train",
            "--dataset",
            dataset,
            *model_flags(model),
            "--lookback",
            str(lookback),
            "--horizon",
            str(horizon),
            "--seeds",
            str(seed),
            "--output",
            str(out),
            "--quiet",
            "--no-plot",
            *extra,
        ]
        started = time.perf_counter()
        code = main(argv)
        if code != 0:
            raise SystemExit(f"row failed ({code}): ts-forecast {' '.join(argv)}")
        metrics = json.loads((out / "metrics.json").read_text())
        subset_mse = _subset_mse(out / "model.safetensors")
    argv[argv.index("--output") + 1] = "DIR"
    return {
        "dataset": dataset,
        "model": model,
        "lookback": lookback,
        "horizon": horizon,
        "seeds": [seed],
        "mse": metrics["mse"],
        "mae": metrics["mae"],
        "val_mse": metrics.get("val_mse"),
        "chosen": (metrics.get("selection") or {}).get("chosen"),
        "train_seconds": metrics["train_seconds"],
        "train_cpu_seconds": [metrics.get("train_cpu_seconds")],
        "time_limit_reached": [metrics.get("time_limit_reached")],
        "test_windows": metrics["test_windows"],
        "train_windows": metrics.get("train_windows"),
        "baselines": metrics.get("baselines"),
        "verdict": metrics.get("verdict"),
        "mse_official_subset": subset_mse,
        "epochs": [metrics.get("epochs")],
        "best_epoch": [metrics.get("best_epoch")],
        "best_val_loss": [metrics.get("best_val_loss")],
        "settings": metrics.get("settings"),
        "adapted_to_data": metrics.get("adapted_to_data"),
        "wall_seconds": time.perf_counter() - started,
        "command": "ts-forecast " + " ".join(argv),
        "load_average": os.getloadavg()[0],
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _flags(row: dict) -> str:
    """The flags after ``--no-plot`` in the row's command (the bench's ``--extra`` + budget)."""
    return row["command"].split("--no-plot", 1)[-1].strip() or "-"


def configurations(payload: dict) -> dict[tuple[str, str, int, str], list[dict]]:
    """Rows grouped by (dataset, model, horizon, flags): one list of per-seed rows each.

    A row from the older format (several seeds in one run) enters with its mean; the seed
    lists of a group's rows are concatenated."""
    groups: dict[tuple[str, str, int, str], list[dict]] = {}
    for r in payload["rows"].values():
        groups.setdefault((r["dataset"], r["model"], r["horizon"], _flags(r)), []).append(r)
    return groups


def _summary(rows: list[dict]) -> dict:
    seeds = [s for r in rows for s in r["seeds"]]
    spread = summarize_seeds(rows, ("mse", "mae"))  # mean ± sample std, as the CLI's
    cpu = [c for r in rows for c in (r.get("train_cpu_seconds") or []) if c is not None]
    capped = sum(bool(t) for r in rows for t in (r.get("time_limit_reached") or []))
    subset = [r["mse_official_subset"] for r in rows if r.get("mse_official_subset") is not None]
    epochs = [  # a selection that kept the mean of its candidates trained no model of its own
        f"{e} ({b})" if e is not None else "mean"
        for r in rows
        for e, b in zip(r.get("epochs") or [], r.get("best_epoch") or [])
    ]
    return {
        "seeds": sorted(seeds),
        "mse": (spread["mse"]["mean"], spread["mse"]["std"]),
        "mae": (spread["mae"]["mean"], spread["mae"]["std"]),
        "subset": sum(subset) / len(subset) if subset else None,
        "wall": sum(r["train_seconds"] for r in rows) / len(rows),
        "cpu": sum(cpu) / len(cpu) if cpu else None,
        "capped": capped,
        "epochs": ", ".join(epochs) or "-",
        "test_windows": rows[0]["test_windows"],
        "windows_per_cpu_s": _throughput(rows),
    }


def _throughput(rows: list[dict]) -> float | None:
    """Training windows per CPU second (epochs × train windows / CPU seconds, validation
    included), over the rows that recorded them."""
    done = [
        (r["train_windows"] * e, c)
        for r in rows
        if r.get("train_windows")
        for e, c in zip(r.get("epochs") or [], r.get("train_cpu_seconds") or [])
        if e and c
    ]
    return sum(w for w, _ in done) / sum(c for _, c in done) if done else None


def _average_over_horizons(per_h: dict[int, list[dict]], seeds: set[int]) -> tuple[float, float]:
    """(MSE, MAE) averaged over seeds ``seeds`` within each horizon, then over horizons."""
    means = []
    for rows in per_h.values():
        kept = [r for r in rows if set(r["seeds"]) <= seeds]
        means.append(
            (sum(r["mse"] for r in kept) / len(kept), sum(r["mae"] for r in kept) / len(kept))
        )
    return sum(m[0] for m in means) / len(means), sum(m[1] for m in means) / len(means)


def write_markdown(payload: dict, path: Path) -> None:
    lookback = payload["lookback"]
    groups = configurations(payload)
    budget = payload.get("budget_cpu_minutes")
    title = f"# Long-horizon forecasting, lookback L={lookback}"
    if budget is not None:
        title += f", {budget:g} CPU-minutes per run"
    lines = [
        title,
        "",
        "MSE / MAE on the normalized scale over all test windows (TSLib borders, scaler fitted "
        "on train rows only, no drop_last), mean ± std over the seeds run; training seconds "
        "per run (wall, and CPU time of the process where recorded; 'capped' counts runs "
        "stopped by the time budget); training windows per CPU second; the training batch "
        "(recipe→fitted where the run fitted it to the data or the budget). Machine: "
        + payload["machine"],
        "",
        "| dataset | model | H | seeds | MSE | MAE | MSE, official subset | epochs (best) "
        "| train s (wall / CPU) | windows/CPU-s | capped | batch | flags |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (dataset, model, horizon, flags), rows in sorted(groups.items()):
        m = _summary(rows)
        cpu = "-" if m["cpu"] is None else f"{m['cpu']:.0f}"
        speed = m["windows_per_cpu_s"]
        lines.append(
            f"| {dataset} | {model} | {horizon} | {','.join(map(str, m['seeds']))} | "
            f"{m['mse'][0]:.4f} ± {m['mse'][1]:.4f} | {m['mae'][0]:.4f} ± {m['mae'][1]:.4f} | "
            f"{_fmt(m['subset'])} | {m['epochs']} | {m['wall']:.0f} / {cpu} | "
            f"{'-' if speed is None else f'{speed:.0f}'} | {m['capped']} | {_batch(rows)} | "
            f"{flags} |"
        )
    # average over the four horizons, per (dataset, model, flags), on the seeds every horizon has
    by_config: dict[tuple[str, str, str], dict[int, list[dict]]] = {}
    for (dataset, model, horizon, flags), rows in groups.items():
        by_config.setdefault((dataset, model, flags), {})[horizon] = rows
    lines += [
        "",
        "Average MSE over the horizons (L=96 target from the issue where set). 'complete' means "
        "all four horizons with the same 3+ seeds; the average uses the seeds every horizon has.",
        "",
        "| dataset | model | flags | horizons | seeds | avg MSE | avg MAE | target | complete |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (dataset, model, flags), per_h in sorted(by_config.items()):
        seed_sets = [{s for r in rows for s in r["seeds"]} for rows in per_h.values()]
        common = set.intersection(*seed_sets)
        if not common:
            continue
        avg_mse, avg_mae = _average_over_horizons(per_h, common)
        target = TARGET_AVG_MSE.get(dataset) if lookback == 96 else None
        complete = len(per_h) == 4 and len(common) >= 3
        lines.append(
            f"| {dataset} | {model} | {flags} | {','.join(map(str, sorted(per_h)))} | "
            f"{','.join(map(str, sorted(common)))} | {avg_mse:.4f} | "
            f"{avg_mae:.4f} | {target if target is not None else '-'} | "
            f"{'yes' if complete else 'no'} |"
        )
    lines += ranking_lines(groups)
    lines += ["", "Commands (one run per horizon H and seed S listed):", ""]
    lines += command_lines([r["command"] for r in payload["rows"].values()])
    path.write_text("\n".join(lines) + "\n")


#: the flags whose values vary over a grid's runs and are listed after the command
_GRID_FLAGS = {"--horizon": "H", "--seeds": "S"}


def command_lines(commands: list[str]) -> list[str]:
    """One Markdown line per command template: the runs that differ only in ``--horizon`` and
    ``--seeds`` are one line, with the values each took (``H ∈ {96, 192}, S ∈ {0, 1}``)."""
    templates: dict[str, dict[str, set[str]]] = {}
    for command in commands:
        words = command.split()
        values: dict[str, str] = {}
        for i, word in enumerate(words[:-1]):
            if word in _GRID_FLAGS:
                values[_GRID_FLAGS[word]] = words[i + 1]
                words[i + 1] = _GRID_FLAGS[word]
        seen = templates.setdefault(" ".join(words), {})
        for name, value in values.items():
            seen.setdefault(name, set()).update(value.split(","))  # --seeds 1,2 ran two seeds

    def listed(values: set[str]) -> str:
        ordered = sorted(values, key=lambda v: (len(v), v))  # numbers in numeric order
        return "{" + ", ".join(ordered) + "}"

    return [
        f"- `{template}` ("
        + ", ".join(f"{name} ∈ {listed(values)}" for name, values in sorted(seen.items()))
        + ")"
        for template, seen in sorted(templates.items())
    ]


def _batch(rows: list[dict]) -> str:
    """The training batch of a configuration: ``2048`` as the recipe or the flag set it,
    ``2048→128`` where the run fitted it to the data or the budget (``adapted_to_data``); a
    selection that kept the mean of its candidates names no batch of its own."""
    labels = set()
    for row in rows:
        adapted = (row.get("adapted_to_data") or {}).get("batch_size")
        batch = (row.get("settings") or {}).get("batch_size")
        if adapted or batch is not None:
            labels.add(f"{adapted['recipe']}→{adapted['adapted']}" if adapted else str(batch))
    return ", ".join(sorted(labels))


def _config_label(model: str, flags: str) -> str:
    """A configuration across datasets: the model and its flags without the per-dataset budget
    and the thread count (which do not change what is trained)."""
    words = flags.split()
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word in ("--max-train-minutes", "--threads", "--budget-clock"):
            skip = True
            continue
        kept.append(word)
    return model + (" " + " ".join(kept) if kept and kept != ["-"] else "")


def tied_rank(score: float, scores: list[float]) -> float:
    """Rank of ``score`` among ``scores`` (1 = lowest), equal scores sharing the mean of the
    positions they occupy: two configurations that trained the same model tie at 1.5."""
    below = sum(s < score for s in scores)
    equal = sum(s == score for s in scores)
    return below + (equal + 1) / 2


def ranking_lines(groups: dict[tuple[str, str, int, str], list[dict]]) -> list[str]:
    """Average rank (ties share their mean position) and mean relative MSE to the best of each
    (dataset, horizon) cell, over the configurations run in every cell: which model to default
    to across datasets."""
    cells: dict[tuple[str, int], dict[str, float]] = {}
    runs: dict[str, list[dict]] = {}
    for (dataset, model, horizon, flags), rows in groups.items():
        mean = sum(r["mse"] for r in rows) / len(rows)
        cells.setdefault((dataset, horizon), {})[_config_label(model, flags)] = mean
        runs.setdefault(_config_label(model, flags), []).extend(rows)
    common = set.intersection(*(set(c) for c in cells.values())) if cells else set()
    if not common:
        return []
    ranks: dict[str, list[float]] = {c: [] for c in common}
    relative: dict[str, list[float]] = {c: [] for c in common}
    for scores in cells.values():
        shared = [scores[c] for c in common]
        best = min(shared)
        for config in common:
            ranks[config].append(tied_rank(scores[config], shared))
            relative[config].append(scores[config] / best - 1)
    lines = [
        "",
        f"Ranking over the {len(cells)} dataset × horizon cells every configuration below ran "
        "in (average rank; mean and worst MSE relative to the cell's best):",
        "",
        "| configuration | average rank | mean relative MSE | worst relative MSE "
        "| mean train CPU s | budget-stopped runs | windows/CPU-s |",
        "|---|---|---|---|---|---|---|",
    ]
    for config in sorted(common, key=lambda c: (sum(ranks[c]) / len(ranks[c]), c)):  # ties: name
        r, rel, m = ranks[config], relative[config], _summary(runs[config])
        cpu = "-" if m["cpu"] is None else f"{m['cpu']:.0f}"
        speed = "-" if m["windows_per_cpu_s"] is None else f"{m['windows_per_cpu_s']:.0f}"
        lines.append(
            f"| {config} | {sum(r) / len(r):.2f} | +{100 * sum(rel) / len(rel):.1f} % | "
            f"+{100 * max(rel):.1f} % | {cpu} | {m['capped']}/{len(runs[config])} | {speed} |"
        )
    return lines


def _save_row(json_path: Path, payload: dict, key: str, row: dict) -> dict:
    """Add ``row`` to the results file under a lock, merging rows that other bench processes
    (e.g. one per core) wrote meanwhile; atomic, so an interrupted grid keeps its rows."""
    import fcntl

    with open(json_path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if json_path.exists():
            payload = {**payload, "rows": json.loads(json_path.read_text())["rows"]}
        payload["rows"][key] = row
        write_json(json_path, payload)
        write_markdown(payload, json_path.with_suffix(".md"))
    return payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="ETTh1,ETTh2,ETTm1")
    parser.add_argument("--horizons", default="96,192,336,720")
    parser.add_argument(
        "--models",
        default=None,
        help="comma-separated (default: DEFAULT_MODEL); select:A+B trains A and B and keeps the "
        "one with the lower validation MSE (ts-forecast train --select A,B)",
    )
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--lookback", type=int, default=96)
    parser.add_argument("--extra", default="", help="extra train flags, e.g. '--epochs 3'")
    parser.add_argument("--force", action="store_true", help="re-run rows already in the JSON")
    parser.add_argument(
        "--no-budget", action="store_true", help="no per-run time budget (--max-train-minutes)"
    )
    parser.add_argument(
        "--budget-cpu-minutes",
        type=float,
        default=None,
        metavar="B",
        help="the cross-dataset budget grid: every run gets B CPU-minutes on one thread "
        "(--threads 1 --budget-clock cpu --max-train-minutes B) instead of the issue's wall "
        "budgets, into ts_forecast_L<L>_cpu<B>min.json",
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--list-missing",
        action="store_true",
        help="print the rows of this grid that are not in the results file yet, and exit",
    )
    args = parser.parse_args(argv)

    from panspectra_ts.models.recipes import DEFAULT_MODEL

    models = args.models.split(",") if args.models else [DEFAULT_MODEL]
    seeds = [int(s) for s in args.seeds.split(",")]
    extra = args.extra.split()
    args.results.mkdir(parents=True, exist_ok=True)
    json_path = args.results / f"ts_forecast_L{args.lookback}.json"
    if args.budget_cpu_minutes is not None:
        json_path = json_path.with_name(f"{json_path.stem}_cpu{args.budget_cpu_minutes:g}min.json")
        extra += ["--threads", "1", "--budget-clock", "cpu"]
        extra += ["--max-train-minutes", f"{args.budget_cpu_minutes:g}"]
    payload = json.loads(json_path.read_text()) if json_path.exists() else {"rows": {}}
    missing = 0
    payload.update(
        lookback=args.lookback,
        machine=f"{cpu_description()}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}",
    )
    if args.budget_cpu_minutes is not None:
        payload["budget_cpu_minutes"] = args.budget_cpu_minutes
    for dataset in args.datasets.split(","):
        budgeted = args.no_budget or args.budget_cpu_minutes is not None
        flags = extra + ([] if budgeted else budget_flags(dataset))
        for model in models:
            for horizon in (int(h) for h in args.horizons.split(",")):
                for seed in seeds:
                    key = _row_key(dataset, model, horizon, [seed], flags)
                    if key in payload["rows"] and not args.force:
                        if not args.list_missing:
                            print(f"skip {key} (done)", file=sys.stderr)
                        continue
                    if args.list_missing:
                        print(f"missing {key}")
                        missing += 1
                        continue
                    print(f"run {key}", file=sys.stderr)
                    row = run_row(dataset, model, horizon, args.lookback, seed, flags)
                    payload = _save_row(json_path, payload, key, row)
                    print(
                        f"  mse {row['mse']:.4f} mae {row['mae']:.4f} "
                        f"train {row['train_seconds']:.0f}s",
                        file=sys.stderr,
                    )
    if args.list_missing:
        print(f"{missing} rows missing")
        return 0
    if json_path.exists():  # re-render from the file, which may hold other processes' rows
        write_markdown(json.loads(json_path.read_text()), json_path.with_suffix(".md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
