"""FSDD digit classification benchmark: every classifier on the official split (take index 0-4
of each speaker and digit = 300 test recordings), optionally leave-one-speaker-out.

Runs ``audio-classify train`` per model (skipped when ``RUNS/<model>/metrics.json`` exists) and
writes ``tools/bench/results/audio_classify.md`` / ``.json``. Rows of the results file that this
invocation does not run (another model or protocol) are kept as they are, each with its own
command; ``--fresh`` writes only this invocation's rows.

    python tools/bench/bench_audio_classify.py --runs runs/bench_audio \
        --models tc_resnet:0,1,2 audio_cnn:0 kwt:0 ast:0 audio_mamba:0 [--speaker tc_resnet]

``MODEL+KEY`` (in ``--models`` and ``--speaker``) sets the boolean model argument KEY
(``--model-kwargs '{"KEY": true}'``), e.g. ``tc_resnet+utterance_norm``; ``@OPTION=VALUE``
passes a training option (``--OPTION VALUE``), e.g. ``tc_resnet+utterance_norm@speed_perturb=0.1``.
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
from collections import Counter
from pathlib import Path

from bench_audio_runs import RESULTS, fmt, run_cli, write_results


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
        "line": line,
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
    """``MODEL+KEY+...@OPT=V...`` → ``--model MODEL [--model-kwargs '{"KEY": true, ...}']
    [--OPT V ...]``."""
    model, *keys = label.split("@")[0].split("+")
    kwargs = ["--model-kwargs", json.dumps(dict.fromkeys(keys, True))] if keys else []
    return ["--model", model, *kwargs, *_option_flags(label)]


def _option_flags(label: str) -> list[str]:
    options = [o.split("=", 1) for o in label.split("@")[1:]]
    return [text for key, value in options for text in ("--" + key.replace("_", "-"), value)]


def _folder(label: str, protocol: str) -> str:
    """Run folder: ``a+b@c=0.1`` → ``a_b_c0.1_<protocol>``."""
    parts = label.replace("=", "").replace("@", "+").split("+")
    return "_".join([*parts, protocol])


def _folds_line(label: str, m: dict, predictions: Path) -> str:
    """Per held-out speaker: accuracy and the most frequent confusion (true→predicted ×count),
    read from the run's ``test_predictions.csv`` (FSDD names: DIGIT_SPEAKER_TAKE.wav)."""
    confusions: dict[str, Counter] = {}
    with open(predictions, newline="") as fh:
        for row in csv.DictReader(fh):
            if row["label"] != row["predicted"]:
                speaker = Path(row["path"]).stem.split("_")[1]
                confusions.setdefault(speaker, Counter())[row["label"], row["predicted"]] += 1
    cells = []
    for name, fold in m.get("folds", {}).items():
        speaker = name.removeprefix("speaker_")
        top = confusions.get(speaker, Counter()).most_common(1)
        worst = f" ({top[0][0][0]}→{top[0][0][1]} ×{top[0][1]})" if top else ""
        cells.append(f"{speaker} {100 * fold['accuracy']:.1f}{worst}")
    return f"{label}, accuracy % per held-out speaker (most frequent confusion): " + ", ".join(
        cells
    )


def _previous_rows() -> list[dict]:
    path = RESULTS / "audio_classify.json"
    return json.loads(path.read_text())["rows"] if path.is_file() else []


def _merge(previous: list[dict], fresh: list[dict]) -> list[dict]:
    """The previous rows in their order, a row replaced by the fresh row of the same model and
    protocol whose seeds include all of its seeds (so a 3-seed row supersedes the 1-seed row
    of the same configuration); fresh rows without a predecessor at the end."""
    merged, placed = [], set()
    for old in previous:
        successor = next(
            (
                k
                for k, row in enumerate(fresh)
                if (row["model"], row["protocol"]) == (old["model"], old["protocol"])
                and set(old["seeds"]) <= set(row["seeds"])
            ),
            None,
        )
        if successor is None:
            merged.append(old)
        elif successor not in placed:
            merged.append(fresh[successor])
            placed.add(successor)
    return merged + [row for k, row in enumerate(fresh) if k not in placed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/bench_audio"))
    parser.add_argument(
        "--models",
        nargs="+",
        default=["tc_resnet:0,1,2"],
        help="MODEL:SEEDS[:MINUTES] entries (MINUTES: a --max-train-minutes cap in CPU time)",
    )
    parser.add_argument(
        "--speaker", nargs="*", default=[], help="MODEL[:SEED] entries for the LOSO protocol"
    )
    parser.add_argument("--extra", default="", help="extra flags for every run")
    parser.add_argument("--rerun", action="store_true")
    parser.add_argument("--fresh", action="store_true", help="drop the rows not run now")
    args = parser.parse_args()
    lines = [
        "| model | protocol | seeds | accuracy % (mean ± std) | macro-F1 | errors (all seeds) "
        "| train wall min (mean) | train CPU min (mean) | command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = []
    jobs = [(_spec(spec), "official") for spec in args.models]
    jobs += [(_spec(spec), "speaker") for spec in args.speaker]
    for (label, seeds, minutes), protocol in jobs:
        flags = ["--dataset", "fsdd", *_model_flags(label)[:2], "--protocol", protocol]
        flags += ["--seeds", seeds] if "," in seeds or "-" in seeds else ["--seed", seeds]
        flags += _model_flags(label)[2:]
        flags += ["--max-train-minutes", minutes, "--budget-clock", "cpu"] if minutes else []
        flags += shlex.split(args.extra)
        folder = _folder(label, protocol) + (f"_seed{seeds}" if protocol == "speaker" else "")
        out = args.runs / "classify" / folder.removesuffix("_seed0")
        metrics = run_cli("audio-classify", flags, out, args.rerun)
        _, row = _row(label, protocol, metrics)
        if protocol == "speaker":
            row["folds"] = metrics.get("folds", {})
            named = label if seeds == "0" else f"{label} (seed {seeds})"
            row["folds_line"] = _folds_line(named, metrics, out / "test_predictions.csv")
        rows.append(row)
    rows = rows if args.fresh else _merge(_previous_rows(), rows)
    lines += [row["line"] for row in rows]
    fold_lines = [row["folds_line"] for row in rows if "folds_line" in row]
    lines += ["", *(f"- {line}" for line in fold_lines)] if fold_lines else []
    lines += [
        "",
        "The recipes' epochs fit about 5 CPU-minutes of training (tc_resnet: 1.7); rows with "
        "`--max-train-minutes M --budget-clock cpu` stop training after M minutes of process "
        "CPU time, and their learning-rate schedule anneals by that cap.",
        "",
        "`MODEL+KEY` rows set the model argument KEY (`--model-kwargs '{\"KEY\": true}'`; "
        "`tc_resnet+utterance_norm` is the `tc_resnet` recipe, which sets it); rows whose label "
        'says "KEY off" ran with it turned off, as their commands show.',
        "",
        "Test set: the 300 FSDD recordings with take index 0-4 (official split); "
        "speaker: pooled accuracy of 6 leave-one-speaker-out folds (3000 recordings). "
        "Training times are wall-clock and process CPU time on a shared machine.",
    ]
    write_results("audio_classify", "FSDD spoken-digit classification", lines, {"rows": rows})


if __name__ == "__main__":
    main()
