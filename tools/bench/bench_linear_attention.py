"""Benchmark: chunked causal linear attention and delta rule vs their token recurrences, and causal
linear attention vs causal softmax attention (SDPA, ``is_causal=True``) over sequence length.

Targets (CPU, fp32, batch 2, heads 4, dk = dv = 64):
- L = 2048: ``causal_linear_attention`` and ``delta_rule`` ≥ 10× faster than the token-by-token
  recurrence (forward; forward + backward reported too);
- ``causal_linear_attention`` faster than SDPA causal from L = 2048 up (L = 512 … 16384 reported).

Timings interleave the two contenders round by round and report medians, and the median of the
per-round ratios, so that load from other processes affects both sides alike.

    python tools/bench/bench_linear_attention.py            # writes tools/bench/results/...
    python tools/bench/bench_linear_attention.py --quick    # smaller lengths, fewer rounds
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numba
import torch
import torch.nn.functional as F

from panspectra_core.attention import (
    causal_linear_attention,
    causal_linear_attention_recurrent,
    delta_rule,
    delta_rule_recurrent,
)
from panspectra_core.cli import cpu_description

RESULTS = Path(__file__).resolve().parent / "results"
BATCH, HEADS, DIM = 2, 4, 64


def make_inputs(length: int, requires_grad: bool, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    shape = (BATCH, HEADS, length, DIM)
    tensors = {
        "q": F.normalize(torch.randn(shape, generator=g), dim=-1),
        "k": F.normalize(torch.randn(shape, generator=g), dim=-1),
        "v": torch.randn(shape, generator=g),
        "beta": torch.rand(BATCH, HEADS, length, generator=g),
    }
    return {name: t.requires_grad_(requires_grad) for name, t in tensors.items()}


def timed(fn: Callable[[], torch.Tensor], backward: bool) -> float:
    start = time.perf_counter()
    out = fn()
    if backward:
        out.sum().backward()
    return time.perf_counter() - start


def race(
    fast: Callable[[], torch.Tensor],
    slow: Callable[[], torch.Tensor],
    backward: bool,
    rounds: int,
    slow_rounds: int | None = None,
) -> dict[str, float]:
    """Interleaved timing; returns median seconds of each side and the median per-round ratio."""
    slow_rounds = rounds if slow_rounds is None else slow_rounds
    with torch.enable_grad() if backward else torch.no_grad():
        timed(fast, backward)  # warm-up
        fast_times, slow_times, ratios = [], [], []
        for i in range(rounds):
            fast_times.append(timed(fast, backward))
            if i < slow_rounds:
                slow_times.append(timed(slow, backward))
                ratios.append(slow_times[-1] / fast_times[-1])
    return {
        "fast_ms": 1e3 * statistics.median(fast_times),
        "slow_ms": 1e3 * statistics.median(slow_times),
        "speedup": statistics.median(ratios),
        "rounds": rounds,
        "slow_rounds": slow_rounds,
    }


def recurrence_section(length: int, rounds: int, slow_rounds: int) -> dict[str, dict]:
    results = {}
    for backward in (False, True):
        x = make_inputs(length, requires_grad=backward)
        q, k, v, beta = x["q"], x["k"], x["v"], x["beta"]
        mode = "fwd+bwd" if backward else "fwd"
        ops = {
            "causal_linear_attention": (
                lambda be, q=q, k=k, v=v: causal_linear_attention(q, k, v, backend=be),
                lambda q=q, k=k, v=v: causal_linear_attention_recurrent(q, k, v),
            ),
            "delta_rule": (
                lambda be, q=q, k=k, v=v, b=beta: delta_rule(q, k, v, b, backend=be),
                lambda q=q, k=k, v=v, b=beta: delta_rule_recurrent(q, k, v, b),
            ),
        }
        for op, (fast, recurrent) in ops.items():
            for backend in ("fused", "chunked"):  # fused: "auto" on CPU (numba); chunked: GPU
                results[f"{op}/{backend}/{mode}"] = race(
                    lambda fast=fast, be=backend: fast(be),
                    recurrent,
                    backward,
                    rounds,
                    1 if backward else slow_rounds,  # one recurrent fwd+bwd: ~20k graph nodes
                )
        for name, r in results.items():
            if name.endswith(mode):
                print(
                    f"L={length} {name}: fast {r['fast_ms']:.1f} ms, "
                    f"recurrent {r['slow_ms']:.1f} ms, speedup {r['speedup']:.1f}x",
                    flush=True,
                )
    return results


def sdpa_section(lengths: list[int], rounds: int) -> dict[str, dict]:
    results = {}
    for length in lengths:
        x = make_inputs(length, requires_grad=False)
        q, k, v = x["q"], x["k"], x["v"]
        n = max(2, rounds if length <= 4096 else rounds // 2)
        r = race(
            lambda q=q, k=k, v=v: causal_linear_attention(q, k, v),
            lambda q=q, k=k, v=v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
            backward=False,
            rounds=n,
        )
        results[str(length)] = r
        print(
            f"L={length}: causal_linear_attention {r['fast_ms']:.1f} ms, "
            f"SDPA causal {r['slow_ms']:.1f} ms, speedup {r['speedup']:.2f}x",
            flush=True,
        )
    return results


def write_markdown(report: dict, path: Path) -> None:
    env = report["environment"]
    lines = [
        "# Linear attention benchmark",
        "",
        f"Command: `{report['command']}`",
        "",
        f"CPU: {env['cpu']} ({env['cpu_count']} cores), torch {env['torch']} "
        f"({env['threads']} threads), fp32, batch {BATCH}, heads {HEADS}, dk = dv = {DIM}.",
        f"1-min load average {env['load_average_at_start']:.1f} at start, "
        f"{env['load_average_at_end']:.1f} at end (other jobs shared the CPU).",
        "Medians over interleaved rounds; speedup = median of per-round ratios.",
        "",
        f"## Fast paths vs token-by-token recurrence (L = {report['recurrence_length']})",
        "",
        "`fused` is the numba kernel both ops use by default on CPU; `chunked` the portable",
        "PyTorch form (the GPU path).",
        "",
        "| op | backend | mode | fast (ms) | recurrent (ms) | speedup | target ≥ 10× |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in report["recurrence"].items():
        op, backend, mode = name.split("/")
        verdict = "met" if r["speedup"] >= 10 else "NOT met"
        if mode != "fwd":
            verdict = "(reported)"
        lines.append(
            f"| {op} | {backend} | {mode} | {r['fast_ms']:.1f} | {r['slow_ms']:.1f} | "
            f"{r['speedup']:.1f}× | {verdict} |"
        )
    lines += [
        "",
        "## causal_linear_attention (default backend) vs SDPA causal softmax attention (forward)",
        "",
        "| L | linear (ms) | SDPA causal (ms) | speedup | target (L ≥ 2048): faster |",
        "|---|---|---|---|---|",
    ]
    for length, r in report["vs_sdpa"].items():
        verdict = ("met" if r["speedup"] > 1 else "NOT met") if int(length) >= 2048 else "-"
        lines.append(
            f"| {length} | {r['fast_ms']:.1f} | {r['slow_ms']:.1f} | "
            f"{r['speedup']:.2f}× | {verdict} |"
        )
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run (no results written)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--recurrent-rounds", type=int, default=3)
    parser.add_argument("--length", type=int, default=2048)
    parser.add_argument("--threads", type=int, help="torch and numba threads (default: all)")
    parser.add_argument(
        "--lengths", type=int, nargs="+", default=[512, 1024, 2048, 4096, 8192, 16384]
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.recurrent_rounds, args.length = 3, 1, 512
        args.lengths = [512, 2048]

    if args.threads:
        torch.set_num_threads(args.threads)
        numba.set_num_threads(args.threads)
    torch.manual_seed(0)
    report = {
        "command": "python tools/bench/bench_linear_attention.py"
        + (" --quick" if args.quick else "")
        + (f" --threads {args.threads}" if args.threads else ""),
        "environment": {
            "cpu": cpu_description(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "load_average_at_start": os.getloadavg()[0],
        },
        "config": {"batch": BATCH, "heads": HEADS, "dk": DIM, "dv": DIM, "dtype": "float32"},
        "recurrence_length": args.length,
        "recurrence": recurrence_section(args.length, args.rounds, args.recurrent_rounds),
        "vs_sdpa": sdpa_section(args.lengths, args.rounds),
    }
    report["environment"]["load_average_at_end"] = os.getloadavg()[0]
    if args.quick:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "linear_attention.json").write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(report, RESULTS / "linear_attention.md")
    print(f"wrote {RESULTS / 'linear_attention.json'} and .md")


if __name__ == "__main__":
    main()
