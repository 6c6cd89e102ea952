"""Benchmark the selective-scan backends (ref loop, chunked PyTorch, fused numba CPU kernel).

Targets (this 2-core CPU, fp32, batch 2, dim 256, N 16, L 2048): the fused forward ≥ 10× faster
than ``selective_scan_ref``, fused forward+backward faster than the reference; peak memory of
forward+backward at L=16384 below 2 GB. A second shape is Vision Mamba's training step (many
short sequences), where the per-step cost of the kernels matters more than their memory.

Speed: median wall time of ``--repeats`` runs, after one warm-up for the fast backends (the
warm-up loads or compiles the numba kernels); the slow reference gets ``--ref-repeats`` runs and
no warm-up. Peak memory: each
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
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from panspectra_core.io import atomic_write, write_json
from panspectra_core.runtime import cpu_description
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


#: (batch, dim, L, N): a long sequence (the targets' shape) and Vision Mamba's training step
#: (``vim_cct_32`` at batch 64: 64 tokens of width 2 × 128)
DEFAULT_SHAPES = "2,256,2048,16;64,256,64,16"


def time_shape(shape, backends, repeats, ref_repeats):
    """Rows of fwd / fwd+bwd milliseconds per backend, with speedups over the reference."""
    rows = []
    for backend in backends:
        fwd_ms, fwd_bwd_ms = time_backend(
            backend, shape, ref_repeats if backend == "ref" else repeats
        )
        rows.append({"backend": backend, "fwd_ms": fwd_ms, "fwd_bwd_ms": fwd_bwd_ms})
        print(shape, rows[-1], flush=True)
    for row in rows:
        row["fwd_speedup_vs_ref"] = rows[0]["fwd_ms"] / row["fwd_ms"]
        row["fwd_bwd_speedup_vs_ref"] = rows[0]["fwd_bwd_ms"] / row["fwd_bwd_ms"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shapes", default=DEFAULT_SHAPES, help="batch,dim,L,N shapes separated by ';'"
    )
    parser.add_argument("--peak-length", type=int, default=16384)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--ref-repeats", type=int, default=1, help="runs of the (slow) reference loop"
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--ref-peak", action="store_true", help="measure the ref at peak-length")
    parser.add_argument("--peak-child", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--shape", type=int, nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_child:
        peak_child(args.peak_child, tuple(args.shape))
        return
    if args.threads:
        torch.set_num_threads(args.threads)

    shapes = [tuple(int(v) for v in part.split(",")) for part in args.shapes.split(";")]
    backends = [b for b in BACKENDS if b != "fused" or numba_available()]
    tables = []
    for index, shape in enumerate(shapes):
        rows = time_shape(shape, backends, args.repeats, args.ref_repeats)
        if index == 0:  # peak memory at a long sequence of the first shape
            peak_shape = (*shape[:2], args.peak_length, shape[3])
            for row in rows:
                measured = row["backend"] != "ref" or args.ref_peak
                row["peak_mb"] = measure_peak(row["backend"], peak_shape) if measured else None
                row["peak_live_mb"] = (
                    measure_peak(row["backend"], peak_shape, LIVE_MEMORY_ENV) if measured else None
                )
        tables.append({"shape": dict(zip(("batch", "dim", "L", "N"), shape)), "rows": rows})
    meta = {
        "dtype": "float32",
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu": cpu_description(),
        "repeats": args.repeats,
        "ref_repeats": args.ref_repeats,
        "peak_length": args.peak_length,
        "command": "python tools/bench/bench_selective_scan.py " + shlex.join(sys.argv[1:]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS / "selective_scan.json", {"meta": meta, "tables": tables})
    markdown = render_markdown(meta, tables)
    with atomic_write(RESULTS / "selective_scan.md") as tmp:
        tmp.write_text(markdown)
    print(markdown)


def render_markdown(meta: dict, tables: list[dict]) -> str:
    lines = [
        "# Selective scan benchmark",
        "",
        f"CPU: {meta['cpu']}; fp32, {meta['torch_threads']} torch threads, torch "
        f"{meta['torch']}. Median of {meta['repeats']} runs after a warm-up "
        f"(the reference loop: {meta['ref_repeats']} run, no warm-up). Peak MB (first shape) = "
        f"peak RSS growth of forward+backward at L={meta['peak_length']} (fresh process); "
        "'live' runs the same child with MALLOC_MMAP_THRESHOLD_=65536 so glibc returns freed "
        "blocks and the RSS peak is the live memory; the default column includes free blocks "
        "glibc keeps.",
    ]

    def mb(value):
        return f"{value:.0f}" if value is not None else "not measured"

    for table in tables:
        shape = table["shape"]
        lines += [
            "",
            f"## batch {shape['batch']}, dim {shape['dim']}, L {shape['L']}, N {shape['N']}",
            "",
            "| backend | fwd ms | fwd+bwd ms | fwd speedup vs ref | fwd+bwd speedup vs ref "
            "| peak MB (live) | peak MB (glibc default) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in table["rows"]:
            lines.append(
                f"| {r['backend']} | {r['fwd_ms']:.1f} | {r['fwd_bwd_ms']:.1f} | "
                f"{r['fwd_speedup_vs_ref']:.1f}× | {r['fwd_bwd_speedup_vs_ref']:.1f}× | "
                f"{mb(r.get('peak_live_mb'))} | {mb(r.get('peak_mb'))} |"
            )
    lines += ["", f"Command: `{meta['command']}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
