"""Training-loop settings and the CLI flags that set them, without importing Lightning.

Kept apart from :mod:`panspectra_core.training.trainer` so that building a domain CLI's parser
(``--help``, ``list-models``, ``info``) does not pay Lightning's import time.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass
from typing import Any

from panspectra_core.errors import UserError
from panspectra_core.runtime import resolve_device

#: Lightning precision settings the CLIs accept (``--precision``)
PRECISIONS = ("32-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true", "64-true")
#: learning-rate schedules of the core tasks (:class:`~panspectra_core.training.tasks.BaseTask`)
SCHEDULERS = ("cosine", "onecycle", "triangle", "cyclic", "halving", "sigmoid", "decay90", "none")
#: clocks a training budget is measured with (``--budget-clock``; :mod:`.clock`)
BUDGET_CLOCKS = ("wall", "cpu")


@dataclass
class TrainConfig:
    """Trainer settings; CLI flags are a view of this (see :func:`add_trainer_args`)."""

    max_epochs: int = 100
    accelerator: str = "auto"
    devices: str | int | list[int] = "auto"
    strategy: str = "auto"
    num_nodes: int = 1
    precision: str = "32-true"
    deterministic: bool = False
    seed: int = 0
    patience: int | None = None
    monitor: str = "val_loss"
    mode: str = "min"
    gradient_clip_val: float | None = None
    progress_bar: bool = True
    max_time: str | None = None
    budget_clock: str = "wall"
    """``wall``: ``max_time`` is wall-clock time; ``cpu``: CPU time of this process."""
    resume: bool = False
    limit_train_batches: int | float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def add_trainer_args(parser: argparse.ArgumentParser) -> None:
    """Add the scaling and training-loop flags shared by every domain's ``train``."""
    g = parser.add_argument_group("training loop (Lightning)")
    g.add_argument(
        "--max-epochs",
        "--epochs",
        dest="max_epochs",
        type=int,
        default=None,
        help="epochs (default: the model's recipe)",
    )
    g.add_argument("--accelerator", default="auto", help="auto, cpu, gpu (default: auto)")
    g.add_argument("--devices", default="auto", help="number of devices or auto (default: auto)")
    g.add_argument("--strategy", default="auto", help="auto, ddp, ddp_spawn, ... (default: auto)")
    g.add_argument("--num-nodes", type=int, default=1, help="nodes for multi-node DDP (default: 1)")
    g.add_argument(
        "--precision",
        default="32-true",
        choices=PRECISIONS,
        help="Lightning precision (default: 32-true; bf16-mixed halves conv-heavy training "
        "time on GPUs and on CPUs with bf16 units such as AMX, and is emulated, so slower, "
        "on CPUs without them)",
    )
    g.add_argument("--deterministic", action="store_true", help="deterministic algorithms only")
    g.add_argument("--patience", type=int, default=None, help="early-stopping patience in epochs")
    g.add_argument(
        "--max-train-minutes",
        type=float,
        default=None,
        metavar="M",
        help="stop training after M wall-clock minutes, keeping the best weights so far "
        "(metrics record time_limit_reached); one-cycle and cosine schedules then anneal "
        "by the end of the budget",
    )
    g.add_argument(
        "--resume", action="store_true", help="continue from the last checkpoint in --output"
    )


def max_time_from_minutes(minutes: float) -> str:
    """Lightning's ``max_time`` string ``"DD:HH:MM:SS"`` for ``minutes`` (rounded to seconds).

    Raises:
        UserError: ``minutes`` is not positive.
    """
    if not minutes > 0:
        raise UserError(f"--max-train-minutes must be positive, got {minutes}")
    seconds = max(1, round(minutes * 60))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days:02d}:{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def max_time_seconds(max_time: str | None) -> float | None:
    """Seconds of a ``"DD:HH:MM:SS"`` budget (:func:`max_time_from_minutes`); None for None."""
    if max_time is None:
        return None
    days, hours, minutes, seconds = (int(part) for part in max_time.split(":"))
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def trainer_config_from_args(args: argparse.Namespace, **overrides: Any) -> TrainConfig:
    """Build a :class:`TrainConfig` from parsed flags; ``overrides`` fill unset values.

    The common ``--device`` flag (``panspectra_core.kit.COMMON_OPTIONS``) picks the
    accelerator when ``--accelerator`` is left at ``auto``: ``--device cpu`` trains on the CPU,
    ``--device cuda:1`` on that GPU.
    """
    values = {
        "accelerator": args.accelerator,
        "devices": args.devices,
        "strategy": args.strategy,
        "num_nodes": args.num_nodes,
        "precision": args.precision,
        "deterministic": args.deterministic,
        "seed": getattr(args, "seed", 0),
        "resume": args.resume,
        "progress_bar": not getattr(args, "quiet", False),
    }
    device_name = getattr(args, "device", "auto")
    if device_name not in (None, "auto") and args.accelerator == "auto":
        device = resolve_device(device_name)
        values["accelerator"] = "gpu" if device.type == "cuda" else device.type
        if device.type == "cuda" and device.index is not None:
            values["devices"] = [device.index]
    if args.max_epochs is not None:
        values["max_epochs"] = args.max_epochs
    if args.patience is not None:
        values["patience"] = args.patience
    minutes = getattr(args, "max_train_minutes", None)
    if minutes is not None:
        values["max_time"] = max_time_from_minutes(minutes)
    for key, value in overrides.items():
        if key not in values or (key in ("max_epochs", "patience") and getattr(args, key) is None):
            values[key] = value
    return TrainConfig(**values)
