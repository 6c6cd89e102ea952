"""The naive baselines every ts run is scored against, and the verdict a run reports.

Every ``metrics.json`` carries ``baselines: {last_value: {...}, seasonal_naive: {...}}`` with
MSE/MAE on the validation and test windows of the same split and scaler. When the trained model
is not better than the best baseline on the *validation* split (never the test split: choosing
on it would be leakage) — a lower MSE, significantly so by a Diebold–Mariano test over the
validation windows — the run says so in one line and the checkpoint remembers the baseline,
so ``ts-forecast predict --fallback-to-baseline`` can use it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from panspectra_ts.data.prepare import PreparedSeries
from panspectra_ts.eval.evaluate import evaluate_split
from panspectra_ts.eval.significance import DieboldMariano, diebold_mariano, window_losses
from panspectra_ts.models.baselines import LastValue, SeasonalNaive

BASELINES = ("last_value", "seasonal_naive")


def baseline_model(name: str, horizon: int, season: int) -> nn.Module:
    """The baseline ``name`` for ``horizon`` steps (``season`` for the seasonal one)."""
    if name == "last_value":
        return LastValue(horizon)
    if name == "seasonal_naive":
        return SeasonalNaive(horizon, season)
    raise ValueError(f"unknown baseline {name!r}; expected one of {BASELINES}")


def score_baselines(data: PreparedSeries, season: int, batch_size: int = 256) -> dict[str, Any]:
    """MSE/MAE of each baseline on the validation (``val_mse``, ``val_mae``) and test windows
    (``mse``, ``mae``) of ``data``; ``season`` is clipped to the lookback."""
    season = max(1, min(season, data.lookback))
    scores: dict[str, Any] = {}
    for name in BASELINES:
        model = baseline_model(name, data.horizon, season)
        val = evaluate_split(model, data, "val", batch_size=batch_size)
        val_losses = window_losses(model, data, "val", batch_size)  # as the model's val_mse
        test = evaluate_split(model, data, "test", batch_size=batch_size)
        scores[name] = {
            "mse": test["mse"],
            "mae": test["mae"],
            "val_mse": float(val_losses.mean()) if len(val_losses) else float("nan"),
            "val_mae": val["mae"],
        }
    scores["seasonal_naive"]["season"] = season
    return scores


#: the one-sided significance level at which a model counts as better than a baseline
SIGNIFICANCE = 0.05


def compare_with_best_baseline(
    model_val_losses: np.ndarray,
    data: PreparedSeries,
    baselines: dict[str, Any],
    batch_size: int = 256,
) -> DieboldMariano:
    """Diebold–Mariano test of "the model has a lower MSE than the best baseline" on the
    validation windows, from the model's per-window validation losses
    (:func:`~panspectra_ts.eval.significance.window_losses`)."""
    best = min(BASELINES, key=lambda name: baselines[name]["val_mse"])
    season = baselines["seasonal_naive"]["season"]
    baseline = baseline_model(best, data.horizon, season)
    return diebold_mariano(
        model_val_losses, window_losses(baseline, data, "val", batch_size), data.horizon
    )


def verdict(
    model_val_mse: float,
    baselines: dict[str, Any],
    test: DieboldMariano | None = None,
) -> dict[str, Any]:
    """Whether the model beats the best baseline on the validation windows: a lower MSE and,
    when ``test`` is given, significantly so (one-sided Diebold–Mariano p below
    :data:`SIGNIFICANCE`). Returns ``beats_baselines``, ``best_baseline``, its ``val_mse`` and
    the test (``baseline_test``); :func:`verdict_line` says it to the user."""
    best = min(BASELINES, key=lambda name: baselines[name]["val_mse"])
    best_mse = baselines[best]["val_mse"]
    beats = model_val_mse < best_mse and (test is None or test.p_value < SIGNIFICANCE)
    out = {"beats_baselines": beats, "best_baseline": best, "best_baseline_val_mse": best_mse}
    if test is not None:
        out["baseline_test"] = {
            "test": "Diebold-Mariano (HLN-corrected, one-sided), validation windows",
            "statistic": test.statistic,
            "p_value": test.p_value,
            "windows": test.windows,
            "lag": test.lag,
            "testable": test.testable,
            "significance": SIGNIFICANCE,
        }
    return out


def verdict_line(metrics: dict[str, Any]) -> str | None:
    """The one line a run prints when its model (``metrics`` of a scored run, with the keys of
    :func:`verdict`) does not beat the best baseline; None when it does."""
    if metrics["beats_baselines"]:
        return None
    model_mse, best_mse = metrics["val_mse"], metrics["best_baseline_val_mse"]
    test = metrics.get("baseline_test")
    how = "does not beat" if not model_mse < best_mse else "is not significantly better than"
    evidence = "" if test is None else f", Diebold-Mariano p = {test['p_value']:.2g}"
    if test is not None and not test["testable"]:
        evidence = f", too few to test: no two of {test['windows']} windows are disjoint"
    return (
        f"{metrics['model']} {how} the {metrics['best_baseline']} baseline on the "
        f"{'?' if test is None else test['windows']} validation windows (MSE {model_mse:.4g} "
        f"vs {best_mse:.4g}{evidence}); `ts-forecast predict --fallback-to-baseline` "
        "forecasts with the baseline"
    )
