"""``ts-forecast``: train | evaluate | predict | list-models | info for long-horizon forecasting.

Declared on the core domain kit (:mod:`panspectra_core.kit`); the options live in
:mod:`panspectra_ts.options`, the work in :mod:`panspectra_ts.pipeline`. Examples::

    ts-forecast train --dataset ETTh1 --model patchtst --lookback 96 --horizon 96 --output runs/a
    ts-forecast train --data my.csv --targets a,b,c --horizon 24 --output runs/mine
    ts-forecast predict --checkpoint runs/mine/model.safetensors --data recent.csv --output f.csv
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from panspectra_core.io import OutputDir, atomic_write
from panspectra_core.kit import DomainCLI, RunConfig, trainer_config
from panspectra_core.reporting import write_metrics
from panspectra_core.runtime import resolve_device
from panspectra_ts.models.recipes import default_model
from panspectra_ts.options import (
    DUPLICATES,
    EVALUATE_OPTIONS,
    FILL,
    INFO_OPTIONS,
    LOSSES,
    PREDICT_OPTIONS,
    TRAIN_OPTIONS,
)

PROG = "ts-forecast"

app = DomainCLI(
    PROG,
    "Long-horizon forecasting on any CSV/Parquet file.",
    domain="ts",
    default_model=default_model,
    components={"fill policies": FILL, "duplicate policies": DUPLICATES, "losses": LOSSES},
)

#: the trainer fields a run's options decide (the rest come from the settings)
_TRAINER_FIELDS = (
    "accelerator",
    "devices",
    "strategy",
    "num_nodes",
    "precision",
    "deterministic",
    "resume",
    "max_time",
    "budget_clock",
    "progress_bar",
)
_SOURCE_CACHE: dict[str, Any] = {}


def _source(cfg: Mapping[str, Any]):
    """The loaded series of ``cfg``, read once for all seeds of a run."""
    from panspectra_ts.pipeline import load_source, source_options

    options = source_options(cfg)
    key = repr(options)
    if key not in _SOURCE_CACHE:
        _SOURCE_CACHE.clear()
        _SOURCE_CACHE[key] = load_source(options)
    return _SOURCE_CACHE[key]


def dataset_protocol_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """The lookback and horizon of a user who gives none.

    A named dataset: its manifest's protocol (the weekly ILI set gets L=36, H=24 as its papers
    use). A file (``--data``): the horizon 96 when its split holds it with more validation
    windows than the horizon, else the longest shorter one that does, with the lookback 336
    where the training split keeps 90 % of its windows with it
    (:func:`~panspectra_ts.data.protocol.default_window_lengths`).
    """
    if values.get("data") and not (values.get("lookback") and values.get("horizon")):
        from panspectra_ts.data.protocol import default_window_lengths

        source = _source(values)
        lookback, horizon = default_window_lengths(
            source.protocol, len(source.table), values.get("lookback"), values.get("horizon")
        )
        return {"lookback": lookback, "horizon": horizon}
    if not values.get("dataset"):
        return {}
    from panspectra_core.datasets import DatasetError, load_manifest
    from panspectra_ts.data.named import resolve_dataset_name

    try:
        protocol = load_manifest("ts", resolve_dataset_name(values["dataset"])).protocol or {}
    except DatasetError:
        return {}  # an unknown name is reported when the data is read
    horizons = protocol.get("horizons") or [None]
    return {"lookback": protocol.get("lookback"), "horizon": horizons[0]}


@app.verb(
    "train",
    options=TRAIN_OPTIONS,
    output="dir",
    data_defaults=dataset_protocol_defaults,
    help="train a model and score it on every test window and the naive baselines",
)
def train(cfg: RunConfig, out: Path) -> dict:
    from panspectra_ts.pipeline import write_run
    from panspectra_ts.pipeline.baselines import verdict_line

    workdir = out / "train"
    try:
        run = _train_selected(cfg, workdir) if cfg.select else _train_one(cfg, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    line = verdict_line(run.metrics)  # said of the model the run keeps, not of each candidate
    if line:
        logging.getLogger("panspectra.ts").warning(line)
    metrics = write_run(
        run, out, fill=cfg.fill, duplicates=cfg.duplicates, seed=cfg.seed, plot=not cfg.no_plot
    )
    keys = ("model", "dataset", "mse", "mae", "test_windows", "train_seconds")
    print(json.dumps({k: metrics.get(k) for k in keys}))
    return metrics


def _train_one(cfg: RunConfig, workdir: Path):
    """Train ``cfg.model`` with the run's settings (its recipe under the user's flags); the
    caller removes ``workdir``."""
    from panspectra_ts.pipeline import settings_of, train_forecaster

    tc = trainer_config(cfg)
    return train_forecaster(
        _source(cfg),
        cfg.model,
        settings_of(cfg, cfg.sources),
        horizon=cfg.horizon,
        seed=cfg.seed,
        workdir=workdir,
        trainer_overrides={k: getattr(tc, k) for k in _TRAINER_FIELDS},
        season=cfg.season,
        fixed=frozenset(cfg.explicit()),
    )


def _train_selected(cfg: RunConfig, workdir: Path):
    """Train every model of ``--select`` (each with its own recipe under the user's flags) and
    return the one with the lowest validation MSE among them and the mean of their forecasts
    (:func:`~panspectra_ts.models.forecast_mean.forecast_mean`, a candidate when they share
    the lookback); the test split plays no part in the choice.

    A ``--max-train-minutes`` budget is shared in order: each candidate may spend the budget
    left divided by the candidates left, so time a cheap model does not use goes to the next.
    ``metrics.json → selection`` lists every candidate's validation MSE and cost; the run's
    ``train_seconds`` and ``train_cpu_seconds`` are the totals over the candidates.
    """
    from panspectra_core.errors import UserError
    from panspectra_core.kit import share_in_order
    from panspectra_core.registry import model_entry
    from panspectra_ts.pipeline.scoring import score_mean

    if cfg.sources.get("model") in ("user", "config"):
        raise UserError("--select chooses the model: give --model or --select, not both")
    known = [n for n in app.model_names() if "ensemble" not in model_entry(n).tags]
    if len(cfg.select) < 2 or any(name not in known for name in cfg.select):
        chosen = ",".join(cfg.select)
        raise UserError(f"--select {chosen}: expected two or more of {', '.join(known)}")
    explicit = cfg.explicit(exclude=("select", "model", "max_train_minutes"))
    budget = cfg.max_train_minutes * 60 if cfg.max_train_minutes else None
    clock_key = "train_cpu_seconds" if cfg.budget_clock == "cpu" else "train_seconds"
    runs, spent = [], {"train_seconds": 0.0, "train_cpu_seconds": 0.0}
    for index, name in enumerate(cfg.select):
        values = {**explicit, "model": name, "seed": cfg.seed}
        if budget is not None:
            share = share_in_order(budget, spent[clock_key], len(cfg.select) - index)
            values["max_train_minutes"] = share / 60
        run = _train_one(app.resolve(app.verbs["train"], values), workdir / name)
        for key in spent:
            spent[key] += run.metrics.get(key) or 0.0
        runs.append(run)
    scored = [r for r in runs if r.metrics["val_mse"] == r.metrics["val_mse"]]  # not NaN
    if not scored:
        raise UserError("--select needs validation windows to choose by; the split has none")
    mean = score_mean(runs)
    if mean is not None:
        runs.append(mean)
        scored.append(mean)
    best = min(scored, key=lambda r: r.metrics["val_mse"])
    best.metrics["selection"] = {
        "rule": "lowest validation MSE of the candidates and the mean of their forecasts",
        "chosen": best.model_name,
        "candidates": {
            r.model_name: {
                "val_mse": r.metrics["val_mse"],
                "train_seconds": r.metrics.get("train_seconds"),
                "train_cpu_seconds": r.metrics.get("train_cpu_seconds"),
                "epochs": r.metrics.get("epochs"),
            }
            for r in runs
        },
    }
    best.metrics.update(spent)
    return best


@app.verb("evaluate", options=EVALUATE_OPTIONS, help="score a checkpoint on a dataset or file")
def evaluate(cfg: RunConfig, _: None) -> int:
    from panspectra_ts.pipeline import evaluate_checkpoint, source_options

    out = OutputDir(cfg.output, overwrite=cfg.overwrite) if cfg.output else None
    metrics = evaluate_checkpoint(
        cfg.checkpoint, source_options(cfg), split=cfg.on, device=resolve_device(cfg.device)
    )
    if out is not None:
        with out as staging:
            write_metrics(staging, metrics, seed=cfg.seed)
    keys = ("model", "dataset", "split", "mse", "mae", "test_windows")
    print(json.dumps({k: metrics[k] for k in keys}))
    return 0


@app.verb(
    "predict",
    options=PREDICT_OPTIONS,
    output="file",
    help="forecast the H steps after a file's last timestamp",
)
def predict(cfg: RunConfig, output: Path) -> int:
    from panspectra_ts.pipeline import predict_future

    frame = predict_future(
        cfg.checkpoint,
        cfg.data,
        fill=cfg.fill,
        duplicates=cfg.duplicates,
        device=resolve_device(cfg.device),
        fallback_to_baseline=cfg.fallback_to_baseline,
    )
    with atomic_write(output) as tmp:
        frame.to_csv(tmp, index=False)
    print(
        f"wrote {len(frame)} forecast steps for {len(frame.columns) - 1} target(s) to {output}",
        file=sys.stderr,
    )
    return 0


@app.verb("info", options=INFO_OPTIONS, help="summary of a dataset, a file or a checkpoint")
def info(cfg: RunConfig, _: None) -> int:
    from panspectra_core.errors import UserError
    from panspectra_ts.pipeline import describe_file, load_forecaster, source_options

    given = [name for name in ("dataset", "data", "checkpoint") if cfg[name] is not None]
    if not given:
        return app.describe()  # datasets, choices, models, versions, CPU
    if len(given) > 1:
        raise UserError("info takes one of --dataset, --data or --checkpoint")
    if cfg.checkpoint is not None:
        meta = load_forecaster(cfg.checkpoint).meta
        keys = ("model_name", "model_kwargs", "domain", "metrics", "config", "versions", "created")
        summary = {k: getattr(meta, k) for k in keys}
        summary["preprocessing"] = {k: v for k, v in meta.preprocessing.items() if k != "scaler"}
    else:
        summary = describe_file(source_options(cfg), lookback=cfg.lookback, horizon=cfg.horizon)
    print(json.dumps(summary, indent=2, default=str))
    return 0


main = app.main

if __name__ == "__main__":
    sys.exit(main())
