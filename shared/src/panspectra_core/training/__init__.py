"""Training glue on Lightning: task modules per task kind and a trainer factory.

The settings and CLI flags (:mod:`.config`) import eagerly; everything that needs Lightning
(:mod:`.tasks`, :mod:`.trainer`) or the losses is imported on first use, so a CLI can build
its parser without Lightning's import time.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from panspectra_core.training.batch import batch_inputs, forward_batch
from panspectra_core.training.config import (
    TrainConfig,
    add_trainer_args,
    max_time_from_minutes,
    max_time_seconds,
    trainer_config_from_args,
)

_LAZY = {
    "arctan_loss": "losses",
    "resolve_loss": "losses",
    "BaseTask": "tasks",
    "ClassificationTask": "tasks",
    "balanced_class_weights": "tasks",
    "ForecastingTask": "tasks",
    "RegressionTask": "tasks",
    "FitResult": "trainer",
    "build_trainer": "trainer",
    "fit": "trainer",
    "predict_loader": "trainer",
    "seconds_per_sample": "probe",
}

__all__ = [
    "BaseTask",
    "ClassificationTask",
    "FitResult",
    "ForecastingTask",
    "RegressionTask",
    "TrainConfig",
    "add_trainer_args",
    "arctan_loss",
    "balanced_class_weights",
    "batch_inputs",
    "build_trainer",
    "fit",
    "forward_batch",
    "max_time_from_minutes",
    "max_time_seconds",
    "predict_loader",
    "resolve_loss",
    "seconds_per_sample",
    "trainer_config_from_args",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


# Lightning 2.6 on torch 2.11 warns about torch's own pytree API on every fit; not actionable.
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
