"""Shared helpers of the audio benchmarks: run a CLI training unless its ``metrics.json``
exists, and write a results table (Markdown + JSON) that names the CPU and the commands.

Every training runs as its own process with ``nice -n 10`` and ``--threads 1``.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BIN = Path(sys.executable).parent


def run_cli(
    program: str, args: Sequence[str], output: Path, rerun: bool = False, verb: str = "train"
) -> dict:
    """``program verb ... --output output`` (``train`` by default; ``evaluate`` scores a
    checkpoint) unless ``output/metrics.json`` exists; returns the metrics with the command
    that produced them."""
    command = [program, verb, *map(str, args), "--output", str(output), "--threads", "1", "-q"]
    metrics_file = output / "metrics.json"
    if rerun or not metrics_file.is_file():
        if rerun:
            command.append("--overwrite")
        print("$", shlex.join(command), flush=True)
        start = time.perf_counter()
        subprocess.run(["nice", "-n", "10", str(BIN / program), *command[1:]], check=True)
        print(f"  {time.perf_counter() - start:.0f} s", flush=True)
    metrics = json.loads(metrics_file.read_text())
    recorded = metrics.get("run", {}).get("command")  # the command that made the run
    if recorded:
        command = [program, *recorded[1:]]
    metrics["_command"] = shlex.join(c for c in command if c not in ("--overwrite",))
    return metrics


def train_cpu_minutes(metrics: dict) -> str:
    """Training CPU minutes of a run. A run stopped by a ``--budget-clock cpu`` budget trained
    for the budget, also when it was resumed (``train_cpu_seconds`` then counts only the last
    process, the budget clock the whole run)."""
    config = metrics.get("config") or _flags(metrics.get("_command", ""))
    if metrics.get("time_limit_reached") and config.get("budget_clock") == "cpu":
        return f"{float(config['max_train_minutes']):.1f} (budget)"
    return fmt(metrics["train_cpu_seconds"] / 60, 1)


def _flags(command: str) -> dict:
    """``--max-train-minutes 16 --budget-clock cpu`` in a run's command → the config keys they
    set (results files store rows without their ``config`` block)."""
    words = shlex.split(command)
    return {
        word[2:].replace("-", "_"): value
        for word, value in pairwise(words)
        if word in ("--max-train-minutes", "--budget-clock")
    }


def wall_minutes(metrics: dict) -> str:
    """Training wall minutes, or "– (resumed)" when the run was resumed (its wall time then
    counts the last process only)."""
    command = metrics.get("run", {}).get("command") or shlex.split(metrics.get("_command", ""))
    if "--resume" in command:
        return "– (resumed)"
    return fmt(metrics["train_seconds"] / 60, 1)


def cpu_line() -> str:
    from panspectra_core.runtime import cpu_description

    return cpu_description()


def fmt(value, digits: int = 2, scale: float = 1.0) -> str:
    if value is None:
        return "–"
    return f"{value * scale:.{digits}f}"


def with_stored_rows(name: str, fresh: dict, drop_stored: bool = False) -> dict:
    """``fresh`` (model → metrics) over the rows stored in ``results/<name>.json``, read now
    because other invocations may have written them; ``drop_stored`` keeps only ``fresh``."""
    path = RESULTS / f"{name}.json"
    rows = {} if drop_stored or not path.is_file() else json.loads(path.read_text())
    rows.update(fresh)
    return rows


def write_results(name: str, title: str, lines: list[str], payload: dict) -> Path:
    """``results/<name>.md`` (title, CPU, the tables in ``lines``) and ``results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    md = RESULTS / f"{name}.md"
    header = [f"# {title}", "", f"CPU: {cpu_line()} (one torch thread per run)", ""]
    md.write_text("\n".join(header + lines) + "\n")
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"wrote {md}")
    return md
