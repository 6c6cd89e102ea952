"""Scores, pictures and per-molecule tables of property predictions (core metrics/plots)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from panspectra_core.io import atomic_write
from panspectra_core.metrics import (
    classification_metrics,
    plot_parity,
    plot_roc,
    regression_metrics,
)

REGRESSION_KEYS = ("rmse", "mae", "r2")
CLASSIFICATION_KEYS = ("roc_auc", "pr_auc", "accuracy")


def score_target(kind: str, y: np.ndarray, pred: np.ndarray) -> dict:
    """Scores of one target over its present values (``pred``: value or class-1 probability)."""
    keep = np.isfinite(y)
    y, pred = y[keep], pred[keep]
    if kind == "regression":
        m = regression_metrics(y, pred)
        return {k: m[k] for k in (*REGRESSION_KEYS, "n")}
    labels = y.astype(int)
    probs = np.stack([1 - pred, pred], axis=1)
    m = classification_metrics(labels, (pred >= 0.5).astype(int), probabilities=probs,
                               num_classes=2)  # fmt: skip
    out = {k: m[k] for k in (*CLASSIFICATION_KEYS, "n") if k in m}
    return out


def score_targets(names: list[str], kinds: list[str], y: np.ndarray, pred: np.ndarray) -> dict:
    """Per-target scores; with one target its keys are at the top level, with several the
    means of each key over the targets that have it, plus ``per_target``."""
    per = {name: score_target(kind, y[:, j], pred[:, j])
           for j, (name, kind) in enumerate(zip(names, kinds))}  # fmt: skip
    if len(names) == 1:
        return dict(per[names[0]])
    out: dict = {}
    for key in (*REGRESSION_KEYS, *CLASSIFICATION_KEYS):
        values = [m[key] for m in per.values() if key in m]
        if values:
            out[key] = float(np.mean(values))
    out["per_target"] = per
    return out


def write_plots(
    folder: Path, names: list[str], kinds: list[str], y: np.ndarray, pred: np.ndarray
) -> list[str]:
    """Parity plot per regression target, ROC curve per classification target (PNG)."""
    written = []
    for j, (name, kind) in enumerate(zip(names, kinds)):
        keep = np.isfinite(y[:, j])
        if keep.sum() < 2:
            continue
        stem = "".join(c if c.isalnum() else "_" for c in name)[:40]
        if kind == "regression":
            path = folder / f"parity_{stem}.png"
            plot_parity(y[keep, j], pred[keep, j], path, title=f"{name} (test)")
        elif len(np.unique(y[keep, j])) == 2:
            path = folder / f"roc_{stem}.png"
            plot_roc(y[keep, j].astype(int), pred[keep, j], path, title=f"{name} (test)")
        else:
            continue
        written.append(path.name)
    return written


def prediction_frame(
    rows: np.ndarray,
    smiles: list[str],
    canonical: list[str],
    names: list[str],
    values: np.ndarray,
    spread: np.ndarray | None = None,
    truth: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per molecule: ``row``, ``smiles``, ``canonical_smiles``, then per target
    ``<t>`` (measured, when given), ``pred_<t>`` and ``std_<t>`` (ensemble spread)."""
    frame = pd.DataFrame({"row": rows, "smiles": smiles, "canonical_smiles": canonical})
    for j, name in enumerate(names):
        if truth is not None:
            frame[name] = truth[:, j]
        frame[f"pred_{name}"] = values[:, j]
        if spread is not None:
            frame[f"std_{name}"] = spread[:, j]
    return frame


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    with atomic_write(path) as tmp:
        frame.to_csv(tmp, index=False)
    return path
