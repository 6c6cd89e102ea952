"""NOIZEUS speech-enhancement benchmark: test sentences sp21-sp30, 6 noise types × 4 SNRs.

Runs ``audio-enhance train --dataset noizeus`` per model (skipped when the run exists) and
tabulates narrow-band PESQ (MOS-LQO, ``pesq`` package), STOI and SI-SNR per SNR for the noisy
input, the log-MMSE baseline and every model, plus per noise type × SNR for the first model.
Writes ``tools/bench/results/audio_enhance.md`` / ``.json``. Models of the results file that this
invocation does not run keep their stored rows and commands (``--fresh`` writes only this
invocation's rows); the per noise type × SNR table is the package default's (``audio-enhance
train`` without ``--model``) when it has a row.

    python tools/bench/bench_audio_enhance.py --runs runs/bench_audio \
        --models convtasnet_enhance mamba_causal_enhance --extra "--max-train-minutes 18"
"""

from __future__ import annotations

import argparse
import shlex
from collections import defaultdict
from pathlib import Path

import numpy as np
from bench_audio_runs import (
    fmt,
    run_cli,
    train_cpu_minutes,
    wall_minutes,
    with_stored_rows,
    write_results,
)

from panspectra_audio.cli_enhance import app as enhance_app

KEYS = ("pesq", "stoi", "si_snr")


def _by(table: list[dict], system: str, field: str) -> dict:
    groups = defaultdict(list)
    for row in table:
        if row["system"] == system:
            groups[row[field]].append(row)
    return {
        k: {key: float(np.mean([r[key] for r in g])) for key in KEYS} for k, g in groups.items()
    }


def _snr_lines(name: str, per_snr: dict, overall: dict) -> str:
    cells = [
        f"{fmt(per_snr[s]['pesq'])} / {fmt(per_snr[s]['stoi'], 3)} / {fmt(per_snr[s]['si_snr'], 1)}"
        for s in sorted(per_snr, key=float)
    ]
    total = f"{fmt(overall['pesq'])} / {fmt(overall['stoi'], 3)} / {fmt(overall['si_snr'], 1)}"
    return f"| {name} | " + " | ".join(cells) + f" | **{total}** |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/bench_audio"))
    parser.add_argument("--models", nargs="*", default=[], help="none: re-render the stored rows")
    parser.add_argument("--extra", default="", help="extra flags for every run")
    parser.add_argument("--rerun", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="drop the stored rows of other models")
    args = parser.parse_args()
    fresh = {}
    for k, model in enumerate(args.models):
        flags = ["--dataset", "noizeus", "--model", model, "--seed", "0", *shlex.split(args.extra)]
        flags += ["--no-baseline"] if k else []  # noisy and log-MMSE rows: the first run
        fresh[model] = run_cli("audio-enhance", flags, args.runs / "enhance" / model, args.rerun)
    runs = with_stored_rows("audio_enhance", fresh, drop_stored=args.fresh)
    default = enhance_app.default_model
    compared = default if default in runs else next(iter(runs))
    first = next(m for m in runs.values() if "logmmse" in m)  # holds the noisy/log-MMSE rows
    table = first["per_condition"]
    snrs = sorted({r["snr_db"] for r in table}, key=float)
    lines = [
        "PESQ (nb MOS-LQO) / STOI / SI-SNR (dB), mean over the 60 test files of each SNR "
        "(10 sentences × 6 noise types); last column: all 240.",
        "",
        "| system | " + " | ".join(f"{s} dB" for s in snrs) + " | all |",
        "|---|" + "---|" * (len(snrs) + 1),
        _snr_lines("noisy input", _by(table, "noisy", "snr_db"), first["noisy"]),
        _snr_lines(
            "log-MMSE (Ephraim & Malah 1985)", _by(table, "logmmse", "snr_db"), first["logmmse"]
        ),
    ]
    for model, m in runs.items():
        lines.append(_snr_lines(model, _by(m["per_condition"], "model", "snr_db"), m))
    lines += [
        "",
        "| model | ΔPESQ | ΔSTOI | ΔSI-SNR dB | epochs | train wall min | "
        "train CPU min | command |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for model, m in runs.items():
        lines.append(
            f"| {model} | {m['pesq'] - m['noisy']['pesq']:+.2f} | "
            f"{m['stoi'] - m['noisy']['stoi']:+.3f} | {m['si_snr_improvement']:+.1f} | "
            f"{m['epochs']} | {wall_minutes(m)} | "
            f"{train_cpu_minutes(m)} | `{m['_command']}` |"
        )
    log = first["logmmse"]
    lines.append(
        f"| log-MMSE | {log['pesq'] - first['noisy']['pesq']:+.2f} | "
        f"{log['stoi'] - first['noisy']['stoi']:+.3f} | "
        f"{log['si_snr'] - first['noisy']['si_snr']:+.1f} | – | – | – | "
        "(in every run) |"
    )
    cond = defaultdict(dict)
    for row in table:
        if row["system"] != "model":
            cond[(row["noise"], row["snr_db"])][row["system"]] = row
    for row in runs[compared]["per_condition"]:
        if row["system"] == "model":
            cond[(row["noise"], row["snr_db"])]["model"] = row
    wins = sum(c["model"]["pesq"] > c["logmmse"]["pesq"] for c in cond.values())
    lines += [
        "",
        f"{compared} vs log-MMSE per noise type and SNR (PESQ; SI-SNR dB): "
        f"better PESQ in {wins} of {len(cond)} conditions.",
        "",
        "| noise | SNR | noisy | log-MMSE | model |",
        "|---|---|---|---|---|",
    ]
    for (noise, snr), c in sorted(cond.items(), key=lambda kv: (kv[0][0], float(kv[0][1]))):
        cells = [
            f"{fmt(c[s]['pesq'])}; {fmt(c[s]['si_snr'], 1)}" for s in ("noisy", "logmmse", "model")
        ]
        lines.append(f"| {noise} | {snr} | " + " | ".join(cells) + " |")
    lines += ["", f"PESQ tool: {first['pesq_tool']}. Protocol: {first['protocol']}."]
    payload = {
        m: {k: v for k, v in r.items() if k not in ("config", "run")} for m, r in runs.items()
    }
    write_results("audio_enhance", "NOIZEUS speech enhancement (8 kHz)", lines, payload)


if __name__ == "__main__":
    main()
