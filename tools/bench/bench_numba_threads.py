"""Benchmark what numba's OpenMP start does to PyTorch, with and without the core's guard.

Each case runs in a fresh interpreter with ``torch.set_num_threads(1)`` and times an S-Mamba-sized
``MambaBlock`` (batch 32, 7 tokens, d_model 256, d_state 2, d_conv 2, expand 1) forward+backward
and a SiLU over a (32, 256, 7) tensor:

- ``guarded``: the block as shipped (its fused scan runs through
  :func:`panspectra_core.numba_threads.with_torch_threads`);
- ``unguarded``: the same block with the scan's raw numba kernels put back, i.e. the code before
  the guard: numba's OpenMP layer starts inside the first forward and resets the thread's OpenMP
  count, and PyTorch then runs every later op on a second, competing pool.

Each pair runs on an idle machine and again beside ``--busy`` CPU-bound processes (a shared
machine, where the unguarded second pool hurts most).

Usage::

    python tools/bench/bench_numba_threads.py   # writes results/numba_threads.{json,md}
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CASES = ("guarded", "unguarded")

_CHILD = """
import json, statistics, sys, time
import torch
torch.set_num_threads(1)
from panspectra_core.ssm import MambaBlock

def median_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)

g = torch.Generator().manual_seed(0)
block = MambaBlock(256, d_state=2, d_conv=2, expand=1)
x = torch.randn(32, 7, 256, generator=g)
small = torch.randn(32, 256, 7, generator=g)
if sys.argv[1] == "unguarded":  # the scan's raw kernels, as before the guard
    from panspectra_core.ssm import scan_fused_cpu, scan_numba_kernels
    scan_fused_cpu.scan_forward_kernel = scan_numba_kernels.scan_forward_kernel
    scan_fused_cpu.scan_backward_kernel = scan_numba_kernels.scan_backward_kernel
repeats = int(sys.argv[2])
print(json.dumps({
    "mamba_block_fwd_bwd_ms": median_ms(lambda: block(x).sum().backward(), repeats),
    "silu_ms": median_ms(lambda: torch.nn.functional.silu(small), 20 * repeats),
    "torch_threads_after": torch.get_num_threads(),
}))
"""


def run_case(case: str, repeats: int, busy: int) -> dict:
    """One case in a fresh interpreter, with ``busy`` other processes spinning meanwhile."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, case, str(repeats)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    return {"case": case, "busy_processes": busy, **json.loads(out.strip().splitlines()[-1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--busy",
        type=int,
        default=(os.cpu_count() or 2) - 1,
        help="CPU-bound processes beside each case, as on a shared machine (default: cores - 1)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = [run_case(case, args.repeats, busy) for busy in (0, args.busy) for case in CASES]
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "load_average_1min": os.getloadavg()[0],
        "command": "python tools/bench/bench_numba_threads.py "
        f"--repeats {args.repeats} --busy {args.busy}",
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "numba_threads.json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n"
    )
    lines = [
        "# numba OpenMP start vs PyTorch threads (torch.set_num_threads(1))",
        "",
        f"{meta['machine']}; 1-min load average {meta['load_average_1min']:.1f}. Median of "
        f"{args.repeats} runs (SiLU: {20 * args.repeats}).",
        "",
        "| case | other busy processes | MambaBlock fwd+bwd (ms) | SiLU (32, 256, 7) (ms) "
        "| torch threads after |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['case']} | {r['busy_processes']} | {r['mamba_block_fwd_bwd_ms']:.1f} | "
        f"{r['silu_ms']:.3f} | "
        f"{r['torch_threads_after']} |"
        for r in rows
    ]
    lines += ["", f"Command: `{meta['command']}`"]
    (args.results / "numba_threads.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
