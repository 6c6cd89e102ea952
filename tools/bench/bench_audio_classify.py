"""FSDD digit classification benchmark: every classifier on the official split (take index 0-4
of each speaker and digit = 300 test recordings), optionally leave-one-speaker-out.

Runs ``audio-classify train`` per model (skipped when ``RUNS/<model>/metrics.json`` exists) and
writes ``tools/bench/results/audio_classify.md`` / ``.json``.

    python tools/bench/bench_audio_classify.py --runs runs/bench_audio \
        --models tc_resnet:0,1,2 audio_cnn:0 kwt:0 ast:0 audio_mamba:0 [--speaker tc_resnet]

``MODEL+KEY`` (in ``--models`` and ``--speaker``) sets the boolean model argument KEY
(``--model-kwargs '{"KEY": true}'``), e.g. ``tc_resnet+utterance_norm``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench_audio_runs import fmt, run_cli, write_results


def _row(model: str, protocol: str, m: dict) -> tuple[str, dict]:
    summary = m.get("seed_summary", {})
    seeds = m.get("seeds", [m.get("run", {}).get("seed")])
    acc = summary.get("accuracy")
    acc_text = (
        f"{100 * acc['mean']:.2f} ± {100 * acc['std']:.2f}" if acc else fmt(m["accuracy"], 2, 100)
    )
    errors = (
        sum(round((1 - v) * m["n"]) for v in acc["values"]) if acc else len(m.get("errors", []))
    )
    cpu = m.get("train_cpu_seconds")
    line = (
        f"| {model} | {protocol} | {','.join(map(str, seeds))} | {acc_text} | "
        f"{fmt(m['macro_f1'], 4)} | {errors} | {fmt(m['train_seconds'] / 60, 1)} | "
        f"{fmt(cpu / 60 if cpu else None, 1)} | `{m['_command']}` |"
    )
    return line, {
        "model": model,
        "protocol": protocol,
        "seeds": seeds,
        "accuracy": m["accuracy"],
        "macro_f1": m["macro_f1"],
        "train_seconds": m["train_seconds"],
        "train_cpu_seconds": cpu,
        "command": m["_command"],
    }


def _spec(text: str) -> tuple[str, str, str]:
    """``MODEL[+KEY...][:SEEDS[:MINUTES]]`` → (model label, seeds, minutes or "")."""
    parts = text.split(":")
    return parts[0], parts[1] if len(parts) > 1 else "0", parts[2] if len(parts) > 2 else ""


def _model_flags(label: str) -> list[str]:
    """``MODEL+KEY+...`` → ``--model MODEL [--model-kwargs '{"KEY": true, ...}']``."""
    model, *keys = label.split("+")
    kwargs = ["--model-kwargs", json.dumps(dict.fromkeys(keys, True))] if keys else []
    return ["--model", model, *kwargs]


def _folds_line(label: str, m: dict) -> str:
    folds = m.get("folds", {})
    cells = [
        f"{name.removeprefix('speaker_')} {100 * f['accuracy']:.1f}" for name, f in folds.items()
    ]
    return f"{label}, accuracy % per held-out speaker: " + ", ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/bench_audio"))
    parser.add_argument(
        "--models",
        nargs="+",
        default=["tc_resnet:0,1,2"],
        help="MODEL:SEEDS[:MINUTES] entries (MINUTES: a --max-train-minutes cap in CPU time)",
    )
    parser.add_argument("--speaker", nargs="*", default=[], help="models for the LOSO protocol")
    parser.add_argument("--extra", default="", help="extra flags for every run")
    parser.add_argument("--rerun", action="store_true")
    args = parser.parse_args()
    lines = [
        "| model | protocol | seeds | accuracy % (mean ± std) | macro-F1 | errors (all seeds) "
        "| train wall min (mean) | train CPU min (mean) | command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows, fold_lines = [], []
    jobs = [(_spec(spec), "official") for spec in args.models]
    jobs += [((model, "0", ""), "speaker") for model in args.speaker]
    for (label, seeds, minutes), protocol in jobs:
        model, *keys = label.split("+")
        flags = ["--dataset", "fsdd", *_model_flags(label)[:2], "--protocol", protocol]
        flags += ["--seeds", seeds] if "," in seeds or "-" in seeds else ["--seed", seeds]
        flags += _model_flags(label)[2:]
        flags += ["--max-train-minutes", minutes, "--budget-clock", "cpu"] if minutes else []
        flags += args.extra.split()
        out = args.runs / "classify" / f"{'_'.join([model, *keys])}_{protocol}"
        metrics = run_cli("audio-classify", flags, out, args.rerun)
        line, row = _row(label, protocol, metrics)
        lines.append(line)
        rows.append(row)
        if protocol == "speaker":
            row["folds"] = metrics.get("folds", {})
            fold_lines.append(_folds_line(label, metrics))
    lines += ["", *(f"- {line}" for line in fold_lines)] if fold_lines else []
    lines += [
        "",
        "The recipes' epochs fit about 5 CPU-minutes of training (tc_resnet: 1.7); rows with "
        "`--max-train-minutes M --budget-clock cpu` stop training after M minutes of process "
        "CPU time, and their learning-rate schedule anneals by that cap.",
        "",
        "Test set: the 300 FSDD recordings with take index 0-4 (official split); "
        "speaker: pooled accuracy of 6 leave-one-speaker-out folds (3000 recordings). "
        "Training times are wall-clock and process CPU time on a shared machine.",
    ]
    write_results("audio_classify", "FSDD spoken-digit classification", lines, {"rows": rows})


if __name__ == "__main__":
    main()
