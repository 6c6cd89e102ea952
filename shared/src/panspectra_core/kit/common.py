"""The options every domain shares: where a run writes, its seeds and devices (COMMON), and
how it trains (TRAINING). A domain adds its own data and model options beside them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from panspectra_core.kit.components import registry_of
from panspectra_core.kit.options import Option, RunConfig, json_dict, positive, seed_list

#: learning-rate schedules of the core tasks (:class:`panspectra_core.training.tasks.BaseTask`)
SCHEDULERS = registry_of(
    {
        "cosine": "cosine decay after a linear warm-up",
        "onecycle": "one-cycle (warm-up then cosine anneal), budget-aware",
        "triangle": "linear warm-up then linear decay at fixed momentum (airbench), budget-aware",
        "cyclic": "triangular cyclic learning rate",
        "halving": "halve the rate every few epochs",
        "sigmoid": "sigmoid warm-up then decay (xPatch)",
        "decay90": "multiply by 0.9 every epoch",
        "none": "constant learning rate",
    },
    "scheduler",
)

#: Lightning precision settings
PRECISIONS = registry_of(
    {
        "32-true": "float32 (default)",
        "bf16-mixed": "bf16 autocast: pays on GPUs and on CPUs with bf16 units (AMX)",
        "16-mixed": "float16 autocast (GPUs)",
        "bf16-true": "bf16 weights and activations",
        "16-true": "float16 weights and activations",
        "64-true": "float64",
    },
    "precision",
)

#: clocks a ``--max-train-minutes`` budget is measured with
BUDGET_CLOCKS = registry_of(
    {
        "wall": "elapsed time (default)",
        "cpu": "CPU time of the training process: the same compute however busy the machine is",
    },
    "budget clock",
)

OUTPUT = Option(
    "output",
    Path,
    None,
    "where to write results (refused if it exists, unless --overwrite)",
    group="output",
    required=True,
    aliases=("-o",),
    metavar="PATH",
    record=False,
)

COMMON_OPTIONS: tuple[Option, ...] = (
    OUTPUT,
    Option("overwrite", bool, False, "replace an existing output", group="output", record=False),
    Option("seed", int, 0, "random seed", group="run"),
    Option(
        "seeds",
        seed_list,
        None,
        "several seeds, e.g. 0,1,2 or 0-4: DIR/seed_<s>/ each, DIR/metrics.json mean ± std",
        group="run",
        metavar="LIST",
    ),
    Option(
        "quiet",
        bool,
        False,
        "print only errors and the result",
        group="run",
        record=False,
        aliases=("-q",),
    ),
    Option(
        "device",
        str,
        "auto",
        "auto (CUDA when present, else CPU), cpu, cuda or cuda:N",
        group="run",
        metavar="DEV",
    ),
    Option(
        "threads",
        int,
        None,
        "CPU threads for torch (default: torch's; 1 is faster on a busy machine)",
        group="run",
        metavar="N",
        validate=positive,
    ),
)

#: the model; ``recipe=True`` lets the CLI fill in the domain's default model with the recipe
MODEL = Option(
    "model", str, None, "registered model (default: the benchmark winner)", "model", recipe=True
)
MODEL_KWARGS = Option(
    "model_kwargs",
    json_dict,
    None,
    "JSON dict of model constructor overrides, e.g. '{\"depth\": 2}'",
    group="model",
    recipe=True,
    merge=True,
    metavar="JSON",
)

TRAINING_OPTIONS: tuple[Option, ...] = (
    MODEL,
    MODEL_KWARGS,
    Option(
        "epochs",
        int,
        100,
        "epochs (default: the model's recipe)",
        "training",
        True,
        validate=positive,
        aliases=("--max-epochs",),
    ),
    Option(
        "lr", float, 1e-3, "learning rate (default: recipe)", "training", True, validate=positive
    ),
    Option(
        "batch_size", int, 64, "batch size (default: recipe)", "training", True, validate=positive
    ),
    Option("weight_decay", float, 0.0, "AdamW weight decay (default: recipe)", "training", True),
    Option(
        "patience",
        int,
        None,
        "early-stopping patience in epochs (default: recipe)",
        "training",
        True,
        validate=positive,
    ),
    Option(
        "scheduler",
        str,
        "cosine",
        "learning-rate schedule (default: recipe)",
        "training",
        True,
        choices=SCHEDULERS,
    ),
    Option(
        "max_train_minutes",
        float,
        None,
        "training budget: stop after M minutes (see --budget-clock) with the "
        "best weights; one-cycle and cosine schedules anneal by its end",
        "training",
        True,
        validate=positive,
        metavar="M",
    ),
    Option(
        "budget_clock",
        str,
        "wall",
        "what --max-train-minutes measures: wall or cpu (CPU time of this process)",
        "training",
        True,  # a recipe's budget names its clock (mol's and audio's defaults: CPU time)
        choices=BUDGET_CLOCKS,
    ),
    Option("precision", str, "32-true", "Lightning precision", "scaling", choices=PRECISIONS),
    Option("accelerator", str, "auto", "auto, cpu, gpu", "scaling"),
    Option("devices", str, "auto", "number of devices or auto", "scaling"),
    Option("strategy", str, "auto", "auto, ddp, ddp_spawn, …", "scaling"),
    Option("num_nodes", int, 1, "nodes for multi-node DDP", "scaling", validate=positive),
    Option("deterministic", bool, False, "deterministic algorithms only", "scaling"),
    Option(
        "resume", bool, False, "continue an interrupted run in --output", "output", record=False
    ),
)


def trainer_config(cfg: RunConfig, **overrides: Any):
    """The core :class:`~panspectra_core.training.config.TrainConfig` of a resolved run.

    ``--device`` picks the accelerator when ``--accelerator`` is left at ``auto``.
    """
    from panspectra_core.runtime import resolve_device
    from panspectra_core.training.config import TrainConfig, max_time_from_minutes

    values: dict[str, Any] = {
        "max_epochs": cfg.epochs,
        "accelerator": cfg.accelerator,
        "devices": cfg.devices,
        "strategy": cfg.strategy,
        "num_nodes": cfg.num_nodes,
        "precision": cfg.precision,
        "deterministic": cfg.deterministic,
        "seed": cfg.seed,
        "patience": cfg.patience,
        "resume": cfg.resume,
        "progress_bar": not cfg.get("quiet", False),
    }
    device_name = cfg.get("device", "auto")
    if device_name not in (None, "auto") and cfg.accelerator == "auto":
        device = resolve_device(device_name)
        values["accelerator"] = "gpu" if device.type == "cuda" else device.type
        if device.type == "cuda" and device.index is not None:
            values["devices"] = [device.index]
    if cfg.max_train_minutes is not None:
        values["max_time"] = max_time_from_minutes(cfg.max_train_minutes)
        values["budget_clock"] = cfg.get("budget_clock", "wall")
    values.update(overrides)
    return TrainConfig(**values)
