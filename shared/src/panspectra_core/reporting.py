"""What a run reports: ``metrics.json`` with its provenance, and summaries over seeds."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError
from panspectra_core.io import write_json
from panspectra_core.runtime import cpu_description, package_versions

__all__ = [
    "check_finite_metrics",
    "numeric_keys",
    "run_block",
    "summarize_seeds",
    "write_metrics",
]


def run_block(command: Sequence[str] | None = None, seed: int | None = None) -> dict[str, Any]:
    """Provenance of a run: command line, seed, package versions, CPU, the CUDA GPU present
    (``None`` without one; ``--device`` in the command says whether the run used it) and
    finishing time."""
    import torch

    return {
        "command": list(command) if command is not None else list(sys.argv),
        "seed": seed,
        "versions": package_versions(),
        "cpu": cpu_description(),
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_metrics(
    directory: str | os.PathLike[str],
    metrics: dict[str, Any],
    *,
    command: Sequence[str] | None = None,
    seed: int | None = None,
) -> Path:
    """Write ``metrics.json`` = ``metrics`` plus a ``run`` block (:func:`run_block`)."""
    payload = dict(metrics)
    payload["run"] = run_block(command, seed)
    return write_json(Path(directory) / "metrics.json", payload)


def check_finite_metrics(metrics: Mapping[str, Any], keys: Iterable[str] | None = None) -> None:
    """Refuse a result whose headline metrics are NaN or infinite
    (:func:`panspectra_core.finite.check_finite_values` on ``keys``, default all).

    Raises:
        UserError: naming every non-finite metric (the run must not exit 0 with it).
    """
    from panspectra_core.finite import check_finite_values

    selected = metrics if keys is None else {k: metrics[k] for k in keys if k in metrics}
    check_finite_values(selected, "training produced non-finite metrics")


def numeric_keys(metrics: Mapping[str, Any]) -> list[str]:
    """Top-level keys whose values are real numbers (not booleans): what seeds summarize."""
    return [
        k
        for k, v in metrics.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and k != "seed"
    ]


def summarize_seeds(
    runs: Sequence[Mapping[str, Any]], keys: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Mean ± sample std of scalar ``keys`` over several runs (one dict per seed)."""
    summary = {}
    for key in keys:
        values = [float(r[key]) for r in runs if r.get(key) is not None]
        if not values:
            continue
        mean = sum(values) / len(values)
        std = (
            math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
            if len(values) > 1
            else 0.0
        )
        summary[key] = {"mean": mean, "std": std, "values": values}
    return summary


def parse_seed_list(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-4"`` → list of ints.

    Raises:
        UserError: the text is neither form.
    """
    try:
        if "-" in text and "," not in text and not text.startswith("-"):
            lo, hi = (int(p) for p in text.split("-"))
            seeds = list(range(lo, hi + 1))
        else:
            seeds = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        seeds = []
    if not seeds or len(set(seeds)) != len(seeds):
        raise UserError(f"seeds={text!r}: expected distinct seeds like 0,1,2 or a range like 0-4")
    return seeds
