"""FSDD two-talker separation benchmark on the fixed test list (300 mixtures of test takes,
seed 2026): SI-SNRi and SDRi per model.

Runs ``audio-separate train --dataset fsdd-2mix`` per model (skipped when the run exists) and
writes ``tools/bench/results/audio_separate.md`` / ``.json``. Models of the results file that this
invocation does not run keep their stored rows and commands.

    python tools/bench/bench_audio_separate.py --runs runs/bench_audio \
        --models convtasnet_separate --extra "--max-train-minutes 10 --budget-clock cpu"
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from bench_audio_runs import (
    fmt,
    run_cli,
    train_cpu_minutes,
    wall_minutes,
    with_stored_rows,
    write_results,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/bench_audio"))
    parser.add_argument("--models", nargs="+", default=["convtasnet_separate"])
    parser.add_argument("--extra", default="", help="extra flags for every run")
    parser.add_argument(
        "--label",
        default=None,
        help="row name and run folder instead of the model's name (one model only), for a "
        "variant set by --extra, e.g. --model-kwargs",
    )
    parser.add_argument("--rerun", action="store_true")
    parser.add_argument("--note", default="", help="a sentence added under the table")
    args = parser.parse_args()
    if args.label and len(args.models) != 1:
        parser.error("--label names the row of one model")
    lines = [
        "| model | SI-SNRi dB | SDRi dB | median SI-SNRi | epochs | train wall min | "
        "train CPU min | command |",
        "|---|---|---|---|---|---|---|---|",
    ]
    fresh = {}
    for model in args.models:
        row = args.label or model
        flags = ["--dataset", "fsdd-2mix", "--model", model, "--seed", "0"]
        flags += shlex.split(args.extra)
        m = run_cli("audio-separate", flags, args.runs / "separate" / row, args.rerun)
        fresh[row] = {k: v for k, v in m.items() if k not in ("config", "run")}
    payload = with_stored_rows("audio_separate", fresh)
    for model, m in payload.items():
        lines.append(
            f"| {model} | {fmt(m['si_snri'], 1)} | {fmt(m['sdri'], 1)} | "
            f"{fmt(m['si_snri_median'], 1)} | {m['epochs']} | "
            f"{wall_minutes(m)} | {train_cpu_minutes(m)} | "
            f"`{m['_command']}` |"
        )
    lines += [
        "",
        f"Test list: {m['test_list']['count']} mixtures, seed "
        f"{m['test_list']['seed']}, FSDD take index 0-4 of two different speakers, "
        f"second talker at −5…5 dB; SDR tool: {m['sdr_tool']}.",
        *(["", args.note] if args.note else []),
    ]
    write_results("audio_separate", "FSDD two-talker separation (8 kHz)", lines, payload)


if __name__ == "__main__":
    main()
