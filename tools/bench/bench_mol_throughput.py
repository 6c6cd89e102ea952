"""Prediction throughput of ``mol-predict predict`` on a large CSV made by repeating ESOL.

Writes a CSV of ``--rows`` rows (ESOL's SMILES repeated), trains nothing: it needs a
checkpoint (``--checkpoint``, e.g. from ``mol-predict train --dataset esol``), runs the real
CLI in a child process and records wall time, CPU time, molecules/s and the child's peak
resident memory. Run it at several sizes to see that memory stays flat (the CSV is streamed in
20 000-row chunks).

    python tools/bench/bench_mol_throughput.py --checkpoint runs/esol/model.safetensors \\
        --rows 5000,100000

Writes ``tools/bench/results/mol_throughput.json`` and ``.md`` (rows of other sizes kept).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from panspectra_core.io import atomic_write, write_json
from panspectra_core.runtime import cpu_description

RESULTS = Path(__file__).resolve().parent / "results"
COMMAND = (
    "mol-predict train --dataset esol --model dmpnn --seed 0 --output runs/esol && python "
    "tools/bench/bench_mol_throughput.py --checkpoint runs/esol/model.safetensors "
    "--rows 5000,100000"
)


def make_csv(rows: int, folder: Path) -> Path:
    source = Path(os.environ["PANSPECTRA_DATA"]) / "molecules" / "ESOL" / "delaney-processed.csv"
    smiles = pd.read_csv(source)["smiles"].str.strip()
    repeated = pd.concat([smiles] * (rows // len(smiles) + 1), ignore_index=True)[:rows]
    path = folder / f"esol_x{rows}.csv"
    repeated.to_frame("smiles").to_csv(path, index=False)
    return path


def checkpoint_model(checkpoint: Path) -> str:
    """``name`` (``name x N`` for a seed ensemble) of the model stored in ``checkpoint``."""
    from panspectra_core.checkpoint import read_checkpoint_meta

    meta = read_checkpoint_meta(checkpoint)
    if meta.model_name == "mol_ensemble":
        return f"{meta.model_kwargs['member']} x {meta.model_kwargs['size']}"
    return meta.model_name


def measure(checkpoint: Path, rows: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = make_csv(rows, Path(tmp))
        out = Path(tmp) / "preds.csv"
        argv = [
            sys.executable,
            "-m",
            "panspectra_mol.cli",
            "predict",
            "--checkpoint",
            str(checkpoint),
            "--data",
            str(data),
            "--workers",
            str(workers),
            "--threads",
            "1",
            "--quiet",
            "--output",
            str(out),
        ]
        start = time.perf_counter()
        child = subprocess.Popen(argv)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own CPU time and peak RSS
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed with exit code {child.returncode}")
        written = sum(1 for _ in out.open()) - 1
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "rows": rows,
        "written_rows": written,
        "workers": workers,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "molecules_per_second": rows / wall,
        "molecules_per_cpu_second": rows / cpu,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "model": checkpoint_model(checkpoint),
        "command": f"mol-predict predict --checkpoint CKPT --data esol_x{rows}.csv "
        f"--workers {workers} --threads 1 --output preds.csv",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--rows", default="100000")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--results", type=Path, default=RESULTS / "mol_throughput.json")
    args = parser.parse_args(argv)
    rows = json.loads(args.results.read_text()) if args.results.exists() else []
    for n in [int(v) for v in args.rows.split(",")]:
        row = measure(args.checkpoint, n, args.workers)
        rows = [r for r in rows if (r["rows"], r["workers"]) != (n, args.workers)] + [row]
        print(json.dumps(row), flush=True)
    write_json(args.results, rows)
    lines = [
        f"CPU: {cpu_description()} (shared machine; peak RSS of the predict process)",
        "",
        "| rows | model | workers | wall s | CPU s | molecules/s (wall) | molecules/CPU-s "
        "| peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["workers"], r["rows"])):
        lines.append(
            f"| {r['rows']} | {r.get('model', '-')} | {r['workers']} "
            f"| {r['wall_seconds']:.0f} | {r['cpu_seconds']:.0f} "
            f"| {r['molecules_per_second']:.0f} | {r['molecules_per_cpu_second']:.0f} "
            f"| {r['peak_rss_mib']:.0f} |"
        )
    with atomic_write(args.results.with_suffix(".md")) as tmp:
        tmp.write_text("\n".join([*lines, "", f"Command: `{COMMAND}`", ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
