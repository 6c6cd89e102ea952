"""Shared loop of the hsi exploration probes: one row per seed on Indian Pines.

Each probe (``probe_hsi_*.py``) scores its variants on one seed at a time with a
``probe_seed(scene, seed, ...)`` function; this runs it over the seeds on one torch thread with
Lightning's chatter silenced, printing each row as a JSON line as soon as it is done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import torch


def run_probe_seeds(probe_seed: Callable[..., dict], seeds: str, **kwargs) -> list[dict]:
    """``probe_seed(scene, seed, **kwargs)`` for every seed of ``"0,1,2"``; returns the rows."""
    from panspectra_hsi.data.named import load_indian_pines

    torch.set_num_threads(1)
    logging.disable(logging.WARNING)
    scene = load_indian_pines()
    rows = []
    for seed in (int(s) for s in seeds.split(",")):
        rows.append(probe_seed(scene, seed, **kwargs))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def percent_mean_std(fractions) -> tuple[float, float]:
    """Mean and sample std (0 for one value) of fractions, in percent, rounded to 0.01."""
    values = [100 * float(f) for f in fractions]
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
    return round(mean, 2), round(var**0.5, 2)


def write_probe_results(
    path: Path, script: str, seeds: str, variants: dict, summary: dict, per_seed
) -> None:
    """Write a probe's JSON results (its command, variants, summary, rows) atomically."""
    payload = {
        "command": f"python tools/bench/{script} --seeds {seeds}",
        "variants": variants,
        "summary": summary,
        "per_seed": per_seed,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    tmp.replace(path)
