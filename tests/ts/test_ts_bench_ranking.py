"""The forecasting benchmark's cross-dataset ranking (``tools/bench/bench_ts_forecast.py``):
configurations that score the same in a cell (a selection that kept the model it is compared
with) share their rank instead of being ordered by name."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "bench"))

import bench_ts_forecast as bench


def test_equal_scores_share_the_mean_of_their_positions() -> None:
    assert bench.tied_rank(0.3, [0.3, 0.4, 0.5]) == 1.0
    assert bench.tied_rank(0.4, [0.4, 0.4, 0.3]) == 2.5
    assert bench.tied_rank(0.5, [0.3, 0.4, 0.5]) == 3.0


def _row(mse: float) -> dict:
    return {"seeds": [0], "mse": mse, "mae": mse, "train_seconds": 1.0, "test_windows": 10}


def test_a_selection_that_ties_in_every_cell_but_wins_one_ranks_first() -> None:
    flags = "--threads 1"
    groups = {}
    for horizon, (cyclenet, select) in {96: (0.40, 0.38), 192: (0.42, 0.42)}.items():
        groups[("ETTh1", "cyclenet", horizon, flags)] = [_row(cyclenet)]
        groups[("ETTh1", "select:cyclenet+xpatch", horizon, flags)] = [_row(select)]
        groups[("ETTh1", "last_value", horizon, flags)] = [_row(1.3)]
    table = [line for line in bench.ranking_lines(groups) if line.startswith("| ")][1:]
    ranks = {line.split(" | ")[0][2:]: float(line.split(" | ")[1]) for line in table}
    assert ranks == {"select:cyclenet+xpatch": 1.25, "cyclenet": 1.75, "last_value": 3.0}
    assert table[0].startswith("| select:cyclenet+xpatch |")


def test_runs_that_differ_in_horizon_and_seed_share_one_command_line() -> None:
    command = "ts-forecast train --dataset ETTh1 --model cyclenet --horizon {h} --seeds {s} --q"
    commands = [command.format(h=h, s=s) for h in (720, 96, 192) for s in (1, 0)]
    commands.append("ts-forecast train --dataset ETTh2 --model cyclenet --horizon 96 --seeds 0 --q")
    assert bench.command_lines(commands) == [
        "- `ts-forecast train --dataset ETTh1 --model cyclenet --horizon H --seeds S --q` "
        "(H ∈ {96, 192, 720}, S ∈ {0, 1})",
        "- `ts-forecast train --dataset ETTh2 --model cyclenet --horizon H --seeds S --q` "
        "(H ∈ {96}, S ∈ {0})",
    ]
