"""Long-horizon forecasting benchmark: MSE/MAE (normalized, all test windows) per dataset ×
horizon × model, mean ± std over seeds, with CPU training seconds.

Every row runs the real CLI (``ts-forecast train ...``, in-process) and stores that command, so
any number can be reproduced alone. Resumable: rows already in the JSON are skipped.

    python tools/bench/bench_ts_forecast.py --datasets ETTh1 --horizons 96 --models dlinear
    python tools/bench/bench_ts_forecast.py --lookback 336 --datasets ETTh1,ETTh2,ETTm1

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

RESULTS = Path(__file__).resolve().parent / "results"
# targets from the project issue (L=96, MSE averaged over H ∈ {96, 192, 336, 720})
TARGET_AVG_MSE = {"ETTh1": 0.425, "ETTh2": 0.32, "ETTm1": 0.375}
# the official xPatch test loader (batch 2048, drop_last=True) scores only the first
# floor(N / 2048) * 2048 test windows; we report all windows and this subset as a diagnostic
OFFICIAL_TEST_BATCH = 2048


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


def run_row(
    dataset: str, model: str, horizon: int, lookback: int, seeds: list[int], extra: list[str]
) -> dict:
    from panspectra_ts.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        argv = [
            "train",
            "--dataset",
            dataset,
            "--model",
            model,
            "--lookback",
            str(lookback),
            "--horizon",
            str(horizon),
            "--seeds",
            ",".join(map(str, seeds)),
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
        seed_dirs = [out] if len(seeds) == 1 else [out / f"seed_{s}" for s in seeds]
        per_seed = [json.loads((d / "metrics.json").read_text()) for d in seed_dirs]
        subset = [_subset_mse(d / "model.safetensors") for d in seed_dirs]
    seeds_summary = metrics.get("seeds") or {
        k: {"mean": metrics[k], "std": 0.0, "values": [metrics[k]]}
        for k in ("mse", "mae", "train_seconds")
    }
    argv[argv.index("--output") + 1] = "DIR"
    return {
        "dataset": dataset,
        "model": model,
        "lookback": lookback,
        "horizon": horizon,
        "seeds": seeds,
        "mse": seeds_summary["mse"]["mean"],
        "mse_std": seeds_summary["mse"]["std"],
        "mae": seeds_summary["mae"]["mean"],
        "mae_std": seeds_summary["mae"]["std"],
        "train_seconds": seeds_summary["train_seconds"]["mean"],
        "test_windows": metrics["test_windows"],
        "mse_official_subset": sum(subset) / len(subset),
        "epochs": [m.get("epochs") for m in per_seed],
        "best_epoch": [m.get("best_epoch") for m in per_seed],
        "best_val_loss": [m.get("best_val_loss") for m in per_seed],
        "settings": metrics.get("settings"),
        "wall_seconds": time.perf_counter() - started,
        "command": "ts-forecast " + " ".join(argv),
        "load_average": os.getloadavg()[0],
    }


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _epochs(row: dict) -> str:
    if not row.get("epochs"):
        return "-"
    return ", ".join(f"{e} ({b})" for e, b in zip(row["epochs"], row["best_epoch"]))


def _flags(row: dict) -> str:
    """The flags after ``--no-plot`` in the row's command (the bench's ``--extra``)."""
    return row["command"].split("--no-plot", 1)[-1].strip() or "-"


def write_markdown(payload: dict, path: Path) -> None:
    rows = payload["rows"].values()
    lookback = payload["lookback"]
    lines = [
        f"# Long-horizon forecasting, lookback L={lookback}",
        "",
        "MSE / MAE on the normalized scale over all test windows (TSLib borders, scaler fitted "
        "on train rows only, no drop_last), mean ± std over seeds; CPU training seconds "
        "per run. Machine: " + payload["machine"],
        "",
        "| dataset | model | H | MSE | MAE | MSE, official subset | epochs (best) | train s "
        "| test windows | extra flags |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["dataset"], r["model"], r["horizon"])):
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['horizon']} | {r['mse']:.4f} ± "
            f"{r['mse_std']:.4f} | {r['mae']:.4f} ± {r['mae_std']:.4f} | "
            f"{_fmt(r.get('mse_official_subset'))} | {_epochs(r)} | "
            f"{r['train_seconds']:.0f} | {r['test_windows']} | {_flags(r)} |"
        )
    # one average per (dataset, model, seeds, extra flags): rows of one configuration only
    averages: dict[tuple[str, str, str], list[float]] = {}
    for key, r in payload["rows"].items():
        _, _, _, seeds, extra = key.split("|", 4)
        averages.setdefault((r["dataset"], r["model"], f"{seeds} {extra}".strip()), []).append(
            r["mse"]
        )
    lines += [
        "",
        "Average MSE over the horizons run per configuration (target from the issue where set, "
        "L=96, all four horizons):",
        "",
        "| dataset | model | seeds, extra flags | horizons | avg MSE | target |",
        "|---|---|---|---|---|---|",
    ]
    for (dataset, model, flags), values in sorted(averages.items()):
        target = TARGET_AVG_MSE.get(dataset)
        lines.append(
            f"| {dataset} | {model} | {flags} | {len(values)} | "
            f"{sum(values) / len(values):.4f} | {target if target is not None else '-'} |"
        )
    lines += ["", "Commands (one per row):", ""]
    lines += [f"- `{r['command']}`" for r in sorted(rows, key=lambda r: r["command"])]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="ETTh1,ETTh2,ETTm1")
    parser.add_argument("--horizons", default="96,192,336,720")
    parser.add_argument("--models", default=None, help="comma-separated (default: DEFAULT_MODEL)")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--lookback", type=int, default=96)
    parser.add_argument("--extra", default="", help="extra train flags, e.g. '--epochs 3'")
    parser.add_argument("--force", action="store_true", help="re-run rows already in the JSON")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from panspectra_ts.pipeline import default_model

    models = args.models.split(",") if args.models else [default_model()]
    seeds = [int(s) for s in args.seeds.split(",")]
    extra = args.extra.split()
    args.results.mkdir(parents=True, exist_ok=True)
    json_path = args.results / f"ts_forecast_L{args.lookback}.json"
    payload = json.loads(json_path.read_text()) if json_path.exists() else {"rows": {}}
    payload.update(
        lookback=args.lookback,
        machine=f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.python_version()}",
    )
    for dataset in args.datasets.split(","):
        for model in models:
            for horizon in (int(h) for h in args.horizons.split(",")):
                key = _row_key(dataset, model, horizon, seeds, extra)
                if key in payload["rows"] and not args.force:
                    print(f"skip {key} (done)", file=sys.stderr)
                    continue
                print(f"run {key}", file=sys.stderr)
                payload["rows"][key] = run_row(dataset, model, horizon, args.lookback, seeds, extra)
                json_path.write_text(json.dumps(payload, indent=2) + "\n")
                write_markdown(payload, json_path.with_suffix(".md"))
                r = payload["rows"][key]
                print(
                    f"  mse {r['mse']:.4f} mae {r['mae']:.4f} train {r['train_seconds']:.0f}s",
                    file=sys.stderr,
                )
    write_markdown(payload, json_path.with_suffix(".md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
