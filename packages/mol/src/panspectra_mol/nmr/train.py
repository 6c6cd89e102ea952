"""``mol-nmr train``: per-atom 13C shift model on Exp5K, scored on held-out molecules.

Protocols: ``random`` holds out ``--test-molecules`` (500, CASCADE's protocol) molecules
drawn with the seed; ``scaffold`` holds out about as many by balanced Bemis–Murcko scaffold
split. 10 % of the rest validate (early stopping). Shifts are standardized with the training
carbons' mean/std; the loss is the MAE over carbons with a measured shift. ``--ensemble N``
trains N models (seeds ``seed, seed+1000, …``) and predicts their mean shift.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.kit import RunConfig
from panspectra_core.metrics import plot_parity, regression_metrics
from panspectra_core.registry import create_model
from panspectra_mol.data.geometry import shift_model_graphs
from panspectra_mol.data.splits import scaffold_split
from panspectra_mol.nmr.data import ShiftSet, carbon_environment, load_exp5k
from panspectra_mol.pipeline.fitting import (
    MaskedLoss,
    fit_members,
    graph_loader,
    member_mean,
    needs_dense,
    predict_graphs,
)
from panspectra_mol.pipeline.scoring import write_csv

log = logging.getLogger("panspectra")

ENVIRONMENTS = ("sp3", "sp2", "aromatic", "carbonyl")


def shift_split(data: ShiftSet, protocol: str, seed: int, n_test: int):
    """``(train, val, test)`` molecule indices (see the module docstring)."""
    n = len(data)
    if n_test >= n:
        from panspectra_core.errors import UserError

        raise UserError(f"--test-molecules {n_test}: the data has only {n} molecules")
    rng = np.random.default_rng(seed)
    if protocol == "scaffold":
        frac = n_test / n
        train, val, test = scaffold_split(data.smiles, seed, (1 - frac - 0.1 * (1 - frac),
                                                              0.1 * (1 - frac), frac))  # fmt: skip
        return train, val, test
    order = rng.permutation(n)
    test, rest = np.sort(order[:n_test]), order[n_test:]
    n_val = len(rest) // 10
    return np.sort(rest[n_val:]), np.sort(rest[:n_val]), test


def subsample(data: ShiftSet, limit: int | None, seed: int) -> ShiftSet:
    """A seeded random ``limit`` molecules of ``data`` (all when ``limit`` is None)."""
    if limit is None or limit >= len(data):
        return data
    keep = np.sort(np.random.default_rng(seed).permutation(len(data))[:limit])
    return data.subset(keep)


def score_held_out(predict, data: ShiftSet, test: np.ndarray, out: Path) -> dict[str, Any]:
    """Per-atom predictions of the held-out molecules → CSV, parity plot and metrics.

    ``predict(index) → (atoms,)`` predicted shifts (ppm) of the molecules at ``index``,
    concatenated in order.
    """
    table = atom_table(data, test, predict(test))
    write_csv(table, out / "predictions_test_atoms.csv")
    plot_parity(table["shift_ppm"], table["pred_ppm"], out / "parity.png",
                title="13C shifts (test molecules)", unit="ppm")  # fmt: skip
    write_csv(pd.DataFrame({"mol_id": [data.ids[i] for i in test],
                            "smiles": [data.smiles[i] for i in test]}),
              out / "test_molecules.csv")  # fmt: skip
    return shift_metrics(table)


def atom_table(data: ShiftSet, index: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """One row per carbon with a measured shift: molecule, atom, environment, shift, pred."""
    rows, offset = [], 0
    for i in index:
        mol, shifts = data.mols[i], data.shifts[i]
        for atom in mol.GetAtoms():
            j = atom.GetIdx()
            if np.isfinite(shifts[j]):
                rows.append((data.ids[i], data.smiles[i], j, carbon_environment(atom),
                             shifts[j], predicted[offset + j]))  # fmt: skip
        offset += mol.GetNumAtoms()
    return pd.DataFrame(rows, columns=["mol_id", "smiles", "atom_index", "environment",
                                       "shift_ppm", "pred_ppm"])  # fmt: skip


def shift_metrics(table: pd.DataFrame) -> dict[str, Any]:
    """``mae_ppm``, ``rmse_ppm``, ``n_test_atoms`` and the same per carbon environment."""
    overall = regression_metrics(table["shift_ppm"].to_numpy(), table["pred_ppm"].to_numpy())
    out: dict[str, Any] = {"mae_ppm": overall["mae"], "rmse_ppm": overall["rmse"],
                           "n_test_atoms": len(table)}  # fmt: skip
    per = {}
    for env in ENVIRONMENTS:
        part = table[table["environment"] == env]
        if len(part):
            m = regression_metrics(part["shift_ppm"].to_numpy(), part["pred_ppm"].to_numpy())
            per[env] = {"mae_ppm": m["mae"], "rmse_ppm": m["rmse"], "n_atoms": len(part)}
    out["per_environment"] = per
    return out


def member_summary(results: list, std: float) -> dict[str, Any]:
    """Epochs run, best (1-based) epoch, best validation MAE (ppm) and whether the time budget
    stopped training: single values for one model, per-member lists for an ensemble."""

    def one(r) -> dict[str, Any]:
        return {
            "epochs": r.epochs,
            "best_epoch": None if r.best_epoch is None else r.best_epoch + 1,
            "val_mae_ppm": None if r.best_score is None else r.best_score * std,
            "budget_stopped": r.time_limit_reached,
        }

    rows = [one(r) for r in results]
    if len(rows) == 1:
        return rows[0]
    return {key: [row[key] for row in rows] for key in rows[0]}


def run_nmr_train(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """Train, score and save one seed (see the module docstring)."""
    data = subsample(load_exp5k(), cfg.get("max_molecules"), cfg.seed)
    train, val, test = shift_split(data, cfg.split, cfg.seed, cfg.test_molecules)
    kwargs = dict(cfg.get("model_kwargs") or {})
    cutoff = getattr(create_model(cfg.model, **kwargs), "geometry_cutoff", None)
    graphs, fallbacks = shift_model_graphs(data.mols, cutoff)
    if fallbacks:
        log.warning("%d molecules without a 3D conformer use their bonds only", fallbacks)
    carbons = np.concatenate([data.shifts[i] for i in train])
    mean, std = float(np.nanmean(carbons)), float(np.nanstd(carbons))
    targets = [((s - mean) / std).astype(np.float32) for s in data.shifts]
    empty = np.zeros((len(graphs), 0), np.float32)

    def loaders(model, seed: int):
        dense = needs_dense(model)
        return (
            graph_loader(graphs, empty, targets, train, batch_size=cfg.batch_size, shuffle=True,
                         dense=dense, seed=seed, per_atom=True),
            graph_loader(graphs, empty, targets, val, batch_size=128, shuffle=False,
                         dense=dense, per_atom=True),
        )  # fmt: skip

    model, info, results = fit_members(
        cfg, kwargs, loaders, MaskedLoss([False], regression_loss="mae"), out / "work"
    )
    metrics = score_held_out(
        lambda index: member_mean(predict_graphs(model, graphs, empty, index=index)) * std + mean,
        data, test, out,
    )  # fmt: skip
    metrics.update(
        split=cfg.split, model=cfg.model, n_train=len(train), n_val=len(val), n_test=len(test),
        train_seconds=info["train_seconds"], cpu_seconds=info["cpu_seconds"],
        cpu_minutes=info["cpu_seconds"] / 60, ensemble=info["ensemble"],
        **member_summary(results, std),
        n_skipped=len(data.skipped), n_geometry_fallback=fallbacks,
    )  # fmt: skip
    save_checkpoint(
        out / "model.safetensors", model, model_name=getattr(model, "checkpoint_name", cfg.model),
        model_kwargs=getattr(model, "checkpoint_kwargs", kwargs),
        domain="mol", preprocessing={"shift_mean": mean, "shift_std": std, "task": "13C shifts"},
        config=cfg.recorded(), metrics={k: metrics[k] for k in ("mae_ppm", "rmse_ppm")},
    )  # fmt: skip
    import shutil

    shutil.rmtree(out / "work", ignore_errors=True)
    return metrics


def run_nmr_evaluate(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """Score a checkpoint on the held-out molecules of its own training run (protocol, seed,
    test size and molecule limit read from the checkpoint's config)."""
    from panspectra_mol.nmr.predict import ShiftPredictor

    predictor = ShiftPredictor.load(cfg.checkpoint)
    run = predictor.meta.config
    seed = int(run.get("seed", 0))
    data = subsample(load_exp5k(), run.get("max_molecules"), seed)
    split = run.get("split", "random")
    test = shift_split(data, split, seed, int(run.get("test_molecules", 500)))[2]

    def predict(index: np.ndarray) -> np.ndarray:
        return np.concatenate(predictor.shifts([data.mols[i] for i in index]))

    metrics = score_held_out(predict, data, test, out)
    return {**metrics, "split": split, "n_test": len(test), "seed_of_split": seed}
