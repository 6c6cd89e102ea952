"""The CIFAR-10 benchmark's per-model summary (``tools/bench/bench_vision_cifar10.py``): seeds
of one configuration are averaged, and the rows are ranked by mean top-1 within a budget."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("panspectra_vision")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "bench"))

import bench_vision_cifar10 as bench


def _row(model: str, budget: str, seed: str, top1: float, rate: float, epochs: int) -> dict:
    return {
        "model": model, "budget_min": budget, "budget_clock": "cpu", "seed": seed,
        "threads": "1", "precision": "bf16-mixed", "top1": str(top1), "params": "1000",
        "macs": "2000000", "train_images_per_cpu_s": str(rate), "epochs_run": str(epochs),
    }  # fmt: skip


def test_seeds_are_averaged_and_ranked_by_mean_within_a_budget() -> None:
    table = [
        _row("cct_2_3x2_32", "10", "0", 0.60, 100.0, 4),
        {**_row("cct_2_3x2_32", "10", "1", 0.70, 300.0, 6), "seed": 1, "top1": 0.70},  # fresh
        _row("gfnet_cct_32", "10", "0", 0.62, 50.0, 2),
        _row("fastconv_small_32", "60", "0", 0.90, 700.0, 59),
    ]
    defaults = {10.0: "gfnet_cct_32", 60.0: "fastconv_small_32"}  # the default of each budget
    header, _rule, *rows = bench.seed_summary(table, default=defaults.__getitem__)
    cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
    assert [c[0] for c in cells] == [
        "cct_2_3x2_32",
        "**gfnet_cct_32** (default)",
        "**fastconv_small_32** (default)",
    ]
    cct = dict(zip([h.strip() for h in header.strip("|").split("|")], cells[0], strict=True))
    assert cct["seeds"] == "0,1" and cct["top-1 mean ± std"] == "0.6500 ± 0.0707"
    assert cct["train img/CPU-s"] == "200" and cct["epochs"] == "5"
    assert cct["token mixer"] == "attention" and cells[1][1] == "spectral + conv stem"
    assert cells[2][3] == "0" and "±" not in cells[2][4]  # one seed: no spread
