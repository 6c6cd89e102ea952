"""13C NMR benchmark: shift MAE on held-out molecules and spectrum → structure ranking.

1. ``mol-nmr train --split S --seed K`` (in-process, the real CLI) → MAE/RMSE in ppm on the
   held-out molecules, per carbon environment.
2. Ranking on the same held-out molecules: the observed spectrum is the molecule's
   experimental Exp5K carbon shifts with symmetry-equivalent duplicates merged (no
   assignment); the candidates are the molecule itself + every other NMR8K structure with
   the same molecular formula (constitutional isomers; stereo-isomers are one structure, as
   SMILES are compared without stereo). Where fewer than 10 candidates result, decoys are
   added from NMR8K: the structures with the same carbon count and the nearest formula
   (smallest summed element-count difference). Candidates are shuffled with the seed before
   ranking, so ties do not favour the true structure. Reported: top-1 / top-5 accuracy over
   all test molecules and over those with ≥ 9 real isomers.

    python tools/bench/bench_mol_nmr.py --split random --seed 0 \
        --extra '--ensemble 3 --epochs 60 --patience 60 --max-train-minutes 25 --budget-clock cpu'

Writes ``tools/bench/results/mol_nmr.json`` and ``.md`` (rows of other runs are kept).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from panspectra_core.io import atomic_write, write_json
from panspectra_core.runtime import cpu_description

RESULTS = Path(__file__).resolve().parent / "results"


def plain_smiles(smiles: str) -> str:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    return Chem.MolToSmiles(mol, isomericSmiles=False) if mol is not None else ""


def ranking(checkpoint: Path, test_ids: list[str], seed: int) -> dict:
    """Top-1/top-5 of the true structure among its isomer candidates (module docstring)."""
    from panspectra_mol.nmr.data import load_exp5k, load_nmr8k_smiles
    from panspectra_mol.nmr.predict import ShiftPredictor
    from panspectra_mol.nmr.ranking import candidate_sets, merge_peaks

    data = load_exp5k()
    where = {ident: i for i, ident in enumerate(data.ids)}
    pool = [s for s in {plain_smiles(smi) for _, smi in load_nmr8k_smiles()} if s]
    queries = [plain_smiles(data.smiles[where[t]]) for t in test_ids]
    sets = candidate_sets(queries, sorted(pool))
    predictor = ShiftPredictor.load(checkpoint)
    rng = np.random.default_rng(seed)
    ranks, isomers, fallbacks = [], [], 0
    for ident, (candidates, n_isomers) in zip(test_ids, sets):
        shifts = data.shifts[where[ident]]
        observed = merge_peaks(shifts[np.isfinite(shifts)])
        order = rng.permutation(len(candidates))
        shuffled = [candidates[i] for i in order]
        ranked = predictor.rank(shuffled, observed)
        fallbacks += predictor.geometry_fallbacks
        position = [s for s, _, _ in ranked].index(candidates[0]) + 1
        ranks.append(position)
        isomers.append(n_isomers)
    ranks, isomers = np.asarray(ranks), np.asarray(isomers)
    many = isomers >= 9
    return {
        "top1": float((ranks == 1).mean()),
        "top5": float((ranks <= 5).mean()),
        "n_queries": len(ranks),
        "median_candidates": float(np.median([len(c) for c, _ in sets])),
        "n_with_9plus_isomers": int(many.sum()),
        "top1_9plus_isomers": float((ranks[many] == 1).mean()) if many.any() else None,
        "top5_9plus_isomers": float((ranks[many] <= 5).mean()) if many.any() else None,
        "n_with_decoys": int((isomers < 9).sum()),
        "candidate_geometry_fallbacks": fallbacks,
        "n_with_isomers": int((isomers >= 1).sum()),
        "top1_with_isomers": float((ranks[isomers >= 1] == 1).mean())
        if (isomers >= 1).any()
        else None,
    }


def run(split: str, seed: int, extra: list[str]) -> dict:
    # everything the ranking step uses is imported now, so that a source file edited while a
    # long training runs cannot break the ranking that follows it
    import panspectra_mol.nmr.predict
    import panspectra_mol.nmr.ranking
    import panspectra_mol.nmr.train  # noqa: F401
    from panspectra_mol.nmr.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        argv = ["train", "--split", split, "--seed", str(seed), "--threads", "1", "--quiet",
                *extra]  # fmt: skip
        if main([*argv, "--output", str(out)]) != 0:
            raise SystemExit(f"mol-nmr {' '.join(argv)} failed")
        metrics = json.loads((out / "metrics.json").read_text())
        test_ids = [line.split(",")[0] for line in
                    (out / "test_molecules.csv").read_text().splitlines()[1:]]  # fmt: skip
        rank = ranking(out / "model.safetensors", test_ids, seed)
    return {
        "split": split, "seed": seed, "model": metrics["model"],
        "mae_ppm": metrics["mae_ppm"], "rmse_ppm": metrics["rmse_ppm"],
        "n_test_atoms": metrics["n_test_atoms"], "n_test": metrics["n_test"],
        "per_environment": metrics["per_environment"], "cpu_minutes": metrics["cpu_minutes"],
        "epochs": metrics["epochs"], "best_epoch": metrics.get("best_epoch"),
        "val_mae_ppm": metrics.get("val_mae_ppm"), "budget_stopped": metrics.get("budget_stopped"),
        "train_geometry_fallbacks": metrics.get("n_geometry_fallback", 0), **rank,
        "command": "mol-nmr " + " ".join(argv) + " --output DIR",
    }  # fmt: skip


def extra_flags(command: str) -> str:
    """The ``mol-nmr train`` flags of a row beyond split, seed, threads, quiet and output."""
    words = command.split()
    words = words[words.index("--quiet") + 1 : words.index("--output")]
    return f"`{' '.join(words)}`" if words else "-"


def epochs_cell(row: dict) -> str:
    """Epochs run (per member of an ensemble) and the best validation epoch when recorded."""
    epochs, best = row["epochs"], row.get("best_epoch")
    if isinstance(epochs, list):
        text = f"{len(epochs)}× {'/'.join(str(e) for e in epochs)}"
        return text + (f" ({'/'.join(str(b) for b in best)})" if best else "")
    return f"{epochs}" + (f" ({best})" if best else "")


def markdown(rows: list[dict]) -> str:
    lines = [
        f"CPU: {cpu_description()} (1 torch thread; machine shared with other jobs)",
        "",
        "| split | seed | model | flags | MAE ppm | RMSE ppm | sp3 | sp2 | aromatic | carbonyl | "
        "top-1 | top-5 | with decoys | top-1, all 10+ real (n) | CPU min | epochs (best) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        env = {k: f"{v['mae_ppm']:.2f}" for k, v in r["per_environment"].items()}
        model = r["model"]
        flags = extra_flags(r["command"])
        many = r["top1_9plus_isomers"]
        many = "-" if many is None else f"{100 * many:.1f} % ({r['n_with_9plus_isomers']})"
        lines.append(
            f"| {r['split']} | {r['seed']} | {model} | {flags} | {r['mae_ppm']:.3f} | "
            f"{r['rmse_ppm']:.3f} | {env.get('sp3', '-')} | {env.get('sp2', '-')} | "
            f"{env.get('aromatic', '-')} | {env.get('carbonyl', '-')} | "
            f"{100 * r['top1']:.1f} % | {100 * r['top5']:.1f} % | "
            f"{r['n_with_decoys']} of {r['n_queries']} | {many} | "
            f"{r['cpu_minutes']:.1f} | {epochs_cell(r)} |"
        )
    lines += [
        "",
        "top-1 / top-5: over all held-out molecules, 10 or more candidates each. *with "
        "decoys*: molecules with fewer than 9 same-formula isomers in NMR8K, whose candidate "
        "set was filled with nearest-formula decoys (an easier task than telling isomers "
        "apart). *top-1, all 10+ real*: the molecules whose candidates are all real "
        "constitutional isomers (n of them).",
        "",
        "*flags*: the `mol-nmr train` flags beyond `--split S --seed K --threads 1 --quiet`; "
        "*epochs (best)*: epochs run and the epoch with the lowest validation MAE (the weights "
        "kept), per member for an ensemble.",
        "",
        "Commands: the `command` field of each JSON row (one seed of "
        "`python tools/bench/bench_mol_nmr.py --split S --seed K --extra 'FLAGS'`).",
    ]
    return "\n".join(lines) + "\n"  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra", default="", help="more mol-nmr train flags")
    parser.add_argument("--results", type=Path, default=RESULTS / "mol_nmr.json")
    args = parser.parse_args(argv)
    rows = json.loads(args.results.read_text()) if args.results.exists() else []
    row = run(args.split, args.seed, args.extra.split())
    rows = [r for r in rows if r["command"] != row["command"]] + [row]
    write_json(args.results, rows)
    with atomic_write(args.results.with_suffix(".md")) as tmp:
        tmp.write_text(markdown(rows))
    print(json.dumps({k: v for k, v in row.items() if k != "per_environment"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
