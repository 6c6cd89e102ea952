"""One multi-seed runner and one output layout for every domain.

A run with one seed writes its files straight into ``DIR``; ``seeds=[0, 1, 2]`` writes
``DIR/seed_<s>/`` (each with its own checkpoint, metrics and pictures) plus ``DIR/metrics.json``
whose numeric keys are the means over seeds, with ``seed_summary`` (mean, std, values),
``per_seed`` and the text values every seed shares (model, dataset, …). Every
``metrics.json`` has a ``config`` block (the resolved options) and a ``run`` block (command,
seed, versions, CPU); ``DIR/config.yaml`` reproduces the run with
``train --config DIR/config.yaml``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from panspectra_core.io import atomic_write
from panspectra_core.kit.options import RunConfig
from panspectra_core.reporting import (
    check_finite_metrics,
    numeric_keys,
    summarize_seeds,
    write_metrics,
)
from panspectra_core.runtime import seed_everything

log = logging.getLogger("panspectra")

#: ``(resolved config of one seed, that seed's output folder) → metrics``
SeedRun = Callable[[RunConfig, Path], Mapping[str, Any]]


def seed_folder(root: Path, seed: int) -> Path:
    """Where seed ``seed`` of a multi-seed run writes: ``root/seed_<seed>``."""
    return root / f"seed_{seed}"


def write_config(directory: Path, cfg: RunConfig) -> Path:
    """Write ``config.yaml`` (the resolved options) atomically."""
    path = directory / "config.yaml"
    with atomic_write(path) as tmp:
        tmp.write_text(cfg.to_yaml())
    return path


def _finish(directory: Path, cfg: RunConfig, metrics: Mapping[str, Any]) -> dict[str, Any]:
    check_finite_metrics(metrics, numeric_keys(metrics))
    payload = {**metrics, "config": cfg.recorded()}
    write_metrics(directory, payload, seed=cfg.seed)
    return dict(metrics)


def _shared_values(runs: list[dict[str, Any]], exclude: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level non-numeric values every seed agrees on (model, dataset, protocol, …)."""
    first = runs[0]
    return {
        key: value
        for key, value in first.items()
        if key not in exclude
        and isinstance(value, str | bool | type(None))
        and all(run.get(key) == value for run in runs[1:])
    }


def run_seeds(cfg: RunConfig, out: Path, run_one: SeedRun) -> dict[str, Any]:
    """Run ``run_one`` once per seed of ``cfg`` and write the shared layout into ``out``.

    Each call gets a config whose ``seed`` is that seed (``seeds`` cleared) and a fresh
    folder; Python, NumPy and torch are seeded before it. A non-finite headline metric stops
    the run with a :class:`~panspectra_core.errors.UserError` (nothing is kept).

    Returns:
        The metrics of the single seed, or the summary written to ``out/metrics.json``.
    """
    seeds = list(cfg.get("seeds") or [cfg.seed])
    deterministic = bool(cfg.get("deterministic", False))
    if len(seeds) == 1:
        one = cfg.replace(seed=seeds[0], seeds=None)
        seed_everything(one.seed, deterministic)
        metrics = _finish(out, one, run_one(one, out))
        write_config(out, one)
        return metrics
    per_seed: dict[int, dict[str, Any]] = {}
    for seed in seeds:
        log.info("seed %d (%d of %d)", seed, len(per_seed) + 1, len(seeds))
        one = cfg.replace(seed=seed, seeds=None)
        folder = seed_folder(out, seed)
        folder.mkdir(parents=True, exist_ok=True)
        seed_everything(seed, deterministic)
        per_seed[seed] = _finish(folder, one, run_one(one, folder))
        write_config(folder, one)
    summary = summarize_seeds(list(per_seed.values()), numeric_keys(per_seed[seeds[0]]))
    combined = {
        **_shared_values(list(per_seed.values()), exclude=summary),
        **{key: stats["mean"] for key, stats in summary.items()},
        "seeds": seeds,
        "seed_summary": summary,
        "per_seed": {str(s): {k: m[k] for k in summary if k in m} for s, m in per_seed.items()},
        "config": cfg.recorded(),
    }
    write_metrics(out, combined, seed=None)
    write_config(out, cfg)
    return combined
