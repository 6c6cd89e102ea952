"""``mol-predict train`` as a function: load, split, featurize, fit, score, save.

Outputs in the run folder: ``model.safetensors`` (weights + preprocessing), ``metrics.json``
(written by the kit), ``predictions_test.csv``, a parity plot or ROC curve per target,
``invalid_rows.csv`` when some SMILES were skipped and ``duplicates.csv`` when a molecule
occurs with conflicting labels.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.kit import RunConfig
from panspectra_core.registry import create_model
from panspectra_mol.data.named import load_named
from panspectra_mol.data.splits import conflicting_duplicates, make_split
from panspectra_mol.data.standardize import Standardizer
from panspectra_mol.data.table import MolTable, load_table
from panspectra_mol.pipeline.fitting import (
    MaskedLoss,
    fit_members,
    graph_loader,
    needs_dense,
    predict_graphs,
)
from panspectra_mol.pipeline.prepare import Features, Preprocessing, build_features, raw_descriptors
from panspectra_mol.pipeline.scoring import prediction_frame, score_targets, write_csv, write_plots

log = logging.getLogger("panspectra")


def load_input_table(cfg: RunConfig, *, require_targets: bool = True) -> MolTable:
    """The table named by ``--dataset`` or read from ``--data`` (exactly one of them)."""
    standardizer = Standardizer(tuple(cfg.get("standardize") or ()))
    if (cfg.get("dataset") is None) == (cfg.get("data") is None):
        raise UserError("give exactly one of --dataset NAME or --data FILE")
    if cfg.get("dataset"):
        return load_named(cfg.dataset, standardizer)
    return load_table(
        cfg.data,
        smiles_column=cfg.get("smiles_column"),
        targets=cfg.get("targets"),
        task_kinds=cfg.get("task_kinds"),
        standardizer=standardizer,
        require_targets=require_targets,
    )


def write_table_report(table: MolTable, out: Path) -> dict[str, Any]:
    """``invalid_rows.csv`` / ``duplicates.csv`` when needed; their counts for metrics."""
    if table.invalid:
        write_csv(pd.DataFrame(table.invalid), out / "invalid_rows.csv")
        log.warning("%d of %d rows skipped (invalid SMILES): see invalid_rows.csv",
                    len(table.invalid), table.n_rows)  # fmt: skip
    conflicts = conflicting_duplicates(
        table.canonical, table.targets, table.rows, table.target_names
    )
    if conflicts:
        write_csv(pd.DataFrame(conflicts), out / "duplicates.csv")
        log.warning("%d molecules have conflicting labels: see duplicates.csv", len(conflicts))
    return {"n_rows": table.n_rows, "n_invalid": len(table.invalid),
            "n_conflicting_duplicates": len(conflicts)}  # fmt: skip


def model_kwargs(cfg: RunConfig, prep: Preprocessing, features: Features) -> dict[str, Any]:
    kwargs = dict(cfg.get("model_kwargs") or {})
    if prep.morgan:
        kwargs.setdefault("seed", cfg.seed)
        return {"task_kinds": prep.task_kinds, **kwargs, "n_features": features.matrix.shape[1]}
    return {"num_tasks": len(prep.target_names), "descriptor_dim": features.descriptors.shape[1],
            **kwargs}  # fmt: skip


def _fit_members(cfg, kwargs, features, y, split, out: Path, kinds) -> tuple[Any, dict]:
    """Train ``cfg.ensemble`` graph property models (:func:`fit_members`)."""

    def loaders(model, seed: int):
        dense = needs_dense(model)
        return (
            graph_loader(features.graphs, features.descriptors, y, split[0],
                         batch_size=cfg.batch_size, shuffle=True, dense=dense, seed=seed),
            graph_loader(features.graphs, features.descriptors, y, split[1],
                         batch_size=256, shuffle=False, dense=dense),
        )  # fmt: skip

    loss = MaskedLoss([k == "classification" for k in kinds])
    model, info, _ = fit_members(cfg, kwargs, loaders, loss, out / "work")
    return model, info


def predict_outputs(model, features: Features, index: np.ndarray) -> np.ndarray:
    """``(N, T)`` or ``(M, N, T)`` outputs for the molecules at ``index``."""
    if features.matrix is not None:
        import torch

        return model(torch.from_numpy(features.matrix[index])).numpy()
    return predict_graphs(model, features.graphs, features.descriptors, index=index)


def run_train(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """Train and score one seed of ``mol-predict train`` into ``out`` (see module docs)."""
    table = load_input_table(cfg)
    report = write_table_report(table, out)
    labelled = np.flatnonzero(np.isfinite(table.targets).any(axis=1))
    if len(labelled) < 10:
        raise UserError(f"{table.source}: only {len(labelled)} molecules with a target; need 10+")
    table = table.subset(labelled) if len(labelled) < len(table) else table
    split = make_split(cfg.split, table.canonical, cfg.seed)
    is_forest = "sklearn" in _tags(cfg.model)
    prep = Preprocessing(
        Standardizer(tuple(cfg.get("standardize") or ())), table.target_names, table.task_kinds,
        descriptors=bool(cfg.descriptors) or is_forest, morgan=is_forest,
    )  # fmt: skip
    prep.fit_targets(table.targets[split[0]])
    raw = raw_descriptors(table.canonical, cfg.workers) if prep.descriptors else None
    if raw is not None:
        prep.fit_descriptors(raw[split[0]])
    start = time.process_time()
    features = build_features(prep, table.canonical, raw, cfg.workers)
    featurize_seconds = time.process_time() - start
    y = prep.scale_targets(table.targets).astype(np.float32)
    kwargs = model_kwargs(cfg, prep, features)
    if is_forest:
        wall, cpu0 = time.perf_counter(), time.process_time()
        model = create_model(cfg.model, **kwargs)
        model.fit(features.matrix[split[0]], y[split[0]])
        info = {
            "train_seconds": time.perf_counter() - wall,
            "cpu_seconds": time.process_time() - cpu0,
            "ensemble": 1,
        }
    else:
        model, info = _fit_members(cfg, kwargs, features, y, split, out, table.task_kinds)
    return finish_run(cfg, out, table, split, prep, features, model, kwargs,
                      {**report, **info, "featurize_cpu_seconds": featurize_seconds})  # fmt: skip


def _tags(name: str) -> tuple[str, ...]:
    from panspectra_core.registry import model_entry

    return model_entry(name).tags


def finish_run(cfg, out, table, split, prep, features, model, kwargs, info) -> dict[str, Any]:
    """Score the test part, write predictions, plots and the checkpoint → metrics."""
    outputs = predict_outputs(model, features, split[2])
    members = prep.outputs_to_values(outputs)
    values = members.mean(axis=0) if members.ndim == 3 else members
    spread = members.std(axis=0) if members.ndim == 3 else None
    truth = table.targets[split[2]]
    metrics = score_targets(table.target_names, table.task_kinds, truth, values)
    test = table.subset(split[2])
    frame = prediction_frame(test.rows, test.smiles, test.canonical, table.target_names,
                             values, spread, truth)  # fmt: skip
    write_csv(frame, out / "predictions_test.csv")
    plots = write_plots(out, table.target_names, table.task_kinds, truth, values)
    metrics.update(
        split=cfg.split, model=cfg.model, dataset=table.source, n_train=len(split[0]),
        n_val=len(split[1]), n_test=len(split[2]), targets=table.target_names,
        task_kinds=table.task_kinds, cpu_minutes=info["cpu_seconds"] / 60, plots=plots, **info,
    )  # fmt: skip
    name = getattr(model, "checkpoint_name", cfg.model)
    save_checkpoint(
        out / "model.safetensors", model, model_name=name,
        model_kwargs=getattr(model, "checkpoint_kwargs", kwargs), domain="mol",
        preprocessing=prep.record(), config=cfg.recorded(),
        metrics={k: v for k, v in metrics.items() if isinstance(v, int | float | str)},
        input_spec={"smiles_column": table.smiles_column, "targets": table.target_names},
    )  # fmt: skip
    work = out / "work"
    if work.exists():
        import shutil

        shutil.rmtree(work)
    return metrics
