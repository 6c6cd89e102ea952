"""FSDD unseen-voice learning curve: digit accuracy on a held-out speaker against the number
of training speakers.

For every FSDD speaker held out (6) and every count k in ``--voices`` (default 1-5), a
classifier is trained on all 500 takes of k of the other five speakers (drawn with ``--seed``
for each held-out speaker and k; k = 5 takes all five) and scored on the held-out speaker's
500 takes. Each point of the curve pools the 6 held-out speakers (3000 recordings), as the
leave-one-speaker-out protocol does. Training and scoring use the CLIs on CSVs of the FSDD
files (``audio-classify train --data train.csv --test-fraction 0.02``, then ``audio-classify
evaluate --data heldout.csv``), so k = 5 is leave-one-speaker-out with 2 % of the training
takes held out. Writes ``tools/bench/results/audio_speakers.md`` / ``.json``.

    PANSPECTRA_DATA=../shared/data python tools/bench/bench_audio_speakers.py \
        --runs runs/bench_audio --model tc_resnet --voices 1 2 3 4 5 --jobs 2
"""

from __future__ import annotations

import argparse
import csv
import random
import shlex
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_audio_runs import fmt, run_cli, write_results

from panspectra_audio.data.named import fsdd_items, fsdd_speakers


def _write_csv(path: Path, items) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label"])
        writer.writerows((str(Path(i.path).resolve()), i.digit) for i in items)
    return path


def _fold(args, items, held_out: str, k: int) -> dict:
    """Train on k voices other than ``held_out``, score on ``held_out``'s takes."""
    others = [s for s in fsdd_speakers(items) if s != held_out]
    voices = sorted(random.Random(f"{args.seed}:{held_out}:{k}").sample(others, k))
    folder = args.runs / "speakers" / args.model / f"k{k}_{held_out}"
    heldout = [i for i in items if i.speaker == held_out]
    train_csv = _write_csv(folder / "train.csv", [i for i in items if i.speaker in voices])
    test_csv = _write_csv(folder / "heldout.csv", heldout)
    flags = ["--data", train_csv, "--model", args.model, "--test-fraction", "0.02"]
    flags += ["--seed", str(args.seed), *shlex.split(args.extra)]
    trained = run_cli("audio-classify", flags, folder / "train")
    checkpoint = folder / "train" / "model.safetensors"
    scoring = ["--checkpoint", checkpoint, "--data", test_csv]
    scored = run_cli("audio-classify", scoring, folder / "eval", verb="evaluate")
    return {
        "held_out": held_out,
        "voices": voices,
        "accuracy": scored["accuracy"],
        "n": len(heldout),
        "train_cpu_seconds": trained["train_cpu_seconds"],
        "command": trained["_command"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/bench_audio"))
    parser.add_argument("--model", default="tc_resnet")
    parser.add_argument("--voices", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra", default="", help="extra flags for every training")
    parser.add_argument("--jobs", type=int, default=1, help="trainings run side by side")
    args = parser.parse_args()
    items = fsdd_items()
    speakers = fsdd_speakers(items)
    if not all(1 <= k < len(speakers) for k in args.voices):
        parser.error(f"--voices: each count must be 1-{len(speakers) - 1}")
    tasks = [(s, k) for k in args.voices for s in speakers]
    with ThreadPoolExecutor(args.jobs) as pool:
        folds = list(pool.map(lambda t: _fold(args, items, *t), tasks))
    lines = [
        "| training voices | pooled accuracy % | per held-out speaker % (training voices) | "
        "train CPU min (6 runs) |",
        "|---|---|---|---|",
    ]
    payload = {}
    for k in args.voices:
        rows = [f for f in folds if len(f["voices"]) == k]
        correct = sum(round(f["accuracy"] * f["n"]) for f in rows)
        pooled = correct / sum(f["n"] for f in rows)
        cells = ", ".join(
            f"{f['held_out']} {fmt(f['accuracy'], 1, 100)} ({'+'.join(v[:2] for v in f['voices'])})"
            for f in rows
        )
        cpu = sum(f["train_cpu_seconds"] for f in rows) / 60
        lines.append(f"| {k} | {fmt(pooled, 2, 100)} | {cells} | {fmt(cpu, 1)} |")
        payload[str(k)] = {"pooled_accuracy": pooled, "folds": rows}
    command = "python tools/bench/bench_audio_speakers.py " + shlex.join(
        ["--model", args.model, "--voices", *map(str, args.voices), "--seed", str(args.seed)]
        + (["--extra", args.extra] if args.extra else [])
    )
    lines += [
        "",
        f"Model `{args.model}` with its recipe, seed {args.seed}; training voices named by their "
        "first two letters. Each run: `audio-classify train --data train.csv --model "
        f"{args.model} --test-fraction 0.02`, then `audio-classify evaluate --data heldout.csv` "
        "(the exact commands are in the JSON file).",
        "",
        f"Command: `{command}`",
    ]
    write_results(
        "audio_speakers", "FSDD: unseen-voice accuracy by training voices", lines, payload
    )


if __name__ == "__main__":
    main()
