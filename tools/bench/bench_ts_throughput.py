"""Forecasting throughput: training windows/s per model and end-to-end predict latency.

Training throughput: forward + backward + AdamW step on batches of ETTh1 windows (synthetic
data of the same shape when ETTh1 is absent), after warm-up steps. Predict latency: the whole
``predict_future`` path for one file (load checkpoint, read + check the CSV, forecast), median
of repeats. Writes ``tools/bench/results/ts_throughput.json`` and ``.md``.

    python tools/bench/bench_ts_throughput.py --models dlinear,patchtst --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

RESULTS = Path(__file__).resolve().parent / "results"


def _history_frame(rows: int, channels: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(rows)[:, None]
    values = np.sin(2 * np.pi * t / 24 + np.arange(channels)) + 0.1 * rng.standard_normal(
        (rows, channels)
    )
    frame = pd.DataFrame(values, columns=[f"s{i}" for i in range(channels)])
    frame.insert(0, "date", pd.date_range("2020-01-01", periods=rows, freq="h"))
    return frame


def train_throughput(
    model_name: str,
    lookback: int,
    horizon: int,
    channels: int,
    batch_size: int,
    steps: int,
    warmup: int,
) -> float:
    from panspectra_core.registry import create_model, get_recipe
    from panspectra_core.training.batch import forward_batch

    kwargs = get_recipe(model_name, horizon=horizon).get("model_kwargs", {})
    model = create_model(
        model_name, lookback=lookback, horizon=horizon, num_channels=channels, **kwargs
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch_size, lookback, channels, generator=generator)
    y = torch.randn(batch_size, horizon, channels, generator=generator)
    batch = {"x": x, "time_index": torch.arange(batch_size)}  # time_index: CycleNet's phase
    for step in range(warmup + steps):
        if step == warmup:
            started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(forward_batch(model, batch), y)
        loss.backward()
        optimizer.step()
    return steps * batch_size / (time.perf_counter() - started)


def predict_latency(
    model_name: str, lookback: int, horizon: int, channels: int, repeats: int
) -> float:
    from panspectra_core.checkpoint import save_checkpoint
    from panspectra_core.registry import create_model, get_recipe
    from panspectra_ts.data import StandardScaler
    from panspectra_ts.pipeline import predict_future

    kwargs = {
        "lookback": lookback,
        "horizon": horizon,
        "num_channels": channels,
        **get_recipe(model_name, horizon=horizon).get("model_kwargs", {}),
    }
    model = create_model(model_name, **kwargs)
    frame = _history_frame(lookback * 4, channels)
    targets = list(frame.columns[1:])
    scaler = StandardScaler.fit(frame[targets].to_numpy())
    with tempfile.TemporaryDirectory() as tmp:
        ckpt, csv = Path(tmp) / "model.safetensors", Path(tmp) / "recent.csv"
        frame.to_csv(csv, index=False)
        save_checkpoint(
            ckpt,
            model,
            model_name=model_name,
            model_kwargs=kwargs,
            domain="ts",
            preprocessing={
                "date_column": "date",
                "targets": targets,
                "covariates": [],
                "columns": targets,
                "freq": "h",
                "lookback": lookback,
                "horizon": horizon,
                "scaler": scaler.to_dict(),
                "fill": "error",
                "duplicates": "error",
            },
        )
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            predict_future(ckpt, csv)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=None, help="comma-separated (default: all ts models)")
    parser.add_argument("--lookback", type=int, default=96)
    parser.add_argument("--horizon", type=int, default=96)
    parser.add_argument("--channels", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    from panspectra_core.registry import list_models, model_entry

    models = (
        args.models.split(",")
        if args.models
        else [
            m
            for m in list_models(domain="ts")
            if not m.startswith("ts_test") and "ensemble" not in model_entry(m).tags
        ]
    )
    rows = []
    for name in models:
        torch.manual_seed(0)
        windows_per_s = train_throughput(
            name,
            args.lookback,
            args.horizon,
            args.channels,
            args.batch_size,
            args.steps,
            args.warmup,
        )
        latency = predict_latency(name, args.lookback, args.horizon, args.channels, args.repeats)
        rows.append(
            {"model": name, "train_windows_per_s": windows_per_s, "predict_latency_s": latency}
        )
        print(
            f"{name:<14} train {windows_per_s:9.1f} windows/s   predict {latency * 1e3:7.1f} ms",
            file=sys.stderr,
        )
    command = "python tools/bench/bench_ts_throughput.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    payload = {
        "command": command.strip(),
        "lookback": args.lookback,
        "horizon": args.horizon,
        "channels": args.channels,
        "batch_size": args.batch_size,
        "torch_threads": torch.get_num_threads(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}",
        "load_average_1min": os.getloadavg()[0],
        "rows": rows,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "ts_throughput.json").write_text(json.dumps(payload, indent=2) + "\n")
    lines = [
        "# Forecasting throughput",
        "",
        f"L={args.lookback}, H={args.horizon}, {args.channels} channels, batch "
        f"{args.batch_size}, {payload['torch_threads']} torch thread(s); {payload['machine']}; "
        f"1-min load average {payload['load_average_1min']:.1f} (other jobs share the CPU).",
        "",
        "| model | train windows/s | predict latency (one file, end to end) |",
        "|---|---|---|",
    ]
    lines += [
        f"| {r['model']} | {r['train_windows_per_s']:.0f} | {r['predict_latency_s'] * 1e3:.0f} ms |"
        for r in rows
    ]
    lines += ["", f"Command: `{payload['command']}`"]
    (args.results / "ts_throughput.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
