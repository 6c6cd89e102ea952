"""Benchmark the selective-scan backends (ref loop, chunked PyTorch, fused numba CPU kernel).

Targets (this 2-core CPU, fp32, batch 2, dim 256, N 16, L 2048): the fused forward ≥ 10× faster
than ``selective_scan_ref``, fused forward+backward faster than the reference; peak memory of
forward+backward at L=16384 below 2 GB.

Speed: median wall time of ``--repeats`` runs, after one warm-up for the fast backends (the
warm-up loads or compiles the numba kernels; the slow reference gets none). Peak memory: each
backend runs forward+backward at ``--peak-length`` in a fresh subprocess; we report the growth
of the peak resident set size (``ru_maxrss``) over the RSS measured just before the scan, i.e.
everything the scan allocates (inputs excluded).

Usage::

    python tools/bench/bench_selective_scan.py            # writes results/selective_scan.{json,md}
    python tools/bench/bench_selective_scan.py --ref-peak  # also the (slow) reference at L=16384
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from panspectra_core.ssm import numba_available, selective_scan

RESULTS = Path(__file__).resolve().parent / "results"
BACKENDS = ("ref", "chunked", "fused")


def make_inputs(batch, dim, length, n_state, requires_grad=False, seed=0):
    gen = torch.Generator().manual_seed(seed)
    tensors = {
        "u": torch.randn(batch, dim, length, generator=gen),
        "delta": torch.randn(batch, dim, length, generator=gen) * 0.5 - 1.0,
        "A": -torch.arange(1, n_state + 1, dtype=torch.float32).repeat(dim, 1),
        "B": torch.randn(batch, n_state, length, generator=gen),
        "C": torch.randn(batch, n_state, length, generator=gen),
        "D": torch.ones(dim),
        "z": torch.randn(batch, dim, length, generator=gen),
        "delta_bias": torch.full((dim,), -2.0),
    }
    for t in tensors.values():
        t.requires_grad_(requires_grad)
    return tensors


def run_scan(inputs, backend):
    return selective_scan(**inputs, delta_softplus=True, backend=backend)


def time_it(fn, repeats, warm_up=True):
    if warm_up:
        fn()  # numba cache load / JIT, allocator warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def time_backend(backend, shape, repeats):
    fwd_inputs = make_inputs(*shape)
    grad_inputs = make_inputs(*shape, requires_grad=True)

    def forward():
        with torch.no_grad():
            run_scan(fwd_inputs, backend)

    def forward_backward():
        run_scan(grad_inputs, backend).sum().backward()
        for t in grad_inputs.values():
            t.grad = None

    warm_up = backend != "ref"  # the reference loop has nothing to compile and is slow
    return time_it(forward, repeats, warm_up), time_it(forward_backward, repeats, warm_up)


def peak_child(backend, shape):
    """Runs in a subprocess: prints the peak RSS growth (MB) of one forward+backward."""
    inputs = make_inputs(*shape, requires_grad=True)
    if backend == "fused":  # load the compiled kernels before measuring
        run_scan(make_inputs(1, 2, 8, shape[3], requires_grad=True), backend).sum().backward()
    import gc

    gc.collect()
    with open("/proc/self/statm") as f:
        rss_before = int(f.read().split()[1]) * resource.getpagesize()
    run_scan(inputs, backend).sum().backward()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"peak_mb": (peak - rss_before) / 2**20}))


# glibc keeps freed multi-megabyte blocks in the heap, so RSS growth with its defaults counts
# memory that is free but not returned; with a low mmap threshold freed blocks go back to the OS
# and the RSS peak tracks what is actually live.
LIVE_MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536"}


def measure_peak(backend, shape, env_extra=None):
    cmd = [sys.executable, __file__, "--peak-child", backend, "--shape", *map(str, shape)]
    env = {**os.environ, **(env_extra or {})}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--length", type=int, default=2048)
    parser.add_argument("--n-state", type=int, default=16)
    parser.add_argument("--peak-length", type=int, default=16384)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ref-peak", action="store_true", help="measure the ref at peak-length")
    parser.add_argument("--peak-child", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--shape", type=int, nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        peak_child(args.peak_child, tuple(args.shape))
        return

    shape = (args.batch, args.dim, args.length, args.n_state)
    peak_shape = (args.batch, args.dim, args.peak_length, args.n_state)
    backends = [b for b in BACKENDS if b != "fused" or numba_available()]
    rows = []
    for backend in backends:
        fwd_ms, fwd_bwd_ms = time_backend(backend, shape, args.repeats)
        peak = peak_live = None
        if backend != "ref" or args.ref_peak:
            peak = measure_peak(backend, peak_shape)
            peak_live = measure_peak(backend, peak_shape, LIVE_MEMORY_ENV)
        rows.append(
            {
                "backend": backend,
                "fwd_ms": fwd_ms,
                "fwd_bwd_ms": fwd_bwd_ms,
                "peak_mb": peak,
                "peak_live_mb": peak_live,
            }
        )
        print(rows[-1], flush=True)
    ref = rows[0]
    for row in rows:
        row["fwd_speedup_vs_ref"] = ref["fwd_ms"] / row["fwd_ms"]
        row["fwd_bwd_speedup_vs_ref"] = ref["fwd_bwd_ms"] / row["fwd_bwd_ms"]
    meta = {
        "shape": dict(zip(("batch", "dim", "L", "N"), shape)),
        "peak_shape": dict(zip(("batch", "dim", "L", "N"), peak_shape)),
        "dtype": "float32",
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "repeats": args.repeats,
        "command": "python tools/bench/bench_selective_scan.py " + " ".join(sys.argv[1:]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "selective_scan.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    lines = [
        "# Selective scan benchmark",
        "",
        f"batch {shape[0]}, dim {shape[1]}, L {shape[2]}, N {shape[3]}, fp32, "
        f"{meta['torch_threads']} torch threads, torch {meta['torch']}. Median of "
        f"{args.repeats} runs. Peak MB = peak RSS growth of forward+backward at "
        f"L={args.peak_length} (fresh process); 'live' runs the same child with "
        "MALLOC_MMAP_THRESHOLD_=65536 so glibc returns freed blocks and the RSS peak is the live "
        "memory; the default column includes free blocks glibc keeps.",
        "",
        "| backend | fwd ms | fwd+bwd ms | fwd speedup vs ref | fwd+bwd speedup vs ref "
        "| peak MB (live) | peak MB (glibc default) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def mb(value):
        return f"{value:.0f}" if value is not None else "not measured"

    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['fwd_ms']:.1f} | {r['fwd_bwd_ms']:.1f} | "
            f"{r['fwd_speedup_vs_ref']:.1f}× | {r['fwd_bwd_speedup_vs_ref']:.1f}× | "
            f"{mb(r['peak_live_mb'])} | {mb(r['peak_mb'])} |"
        )
    lines += ["", f"Command: `{meta['command']}`", ""]
    (RESULTS / "selective_scan.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
