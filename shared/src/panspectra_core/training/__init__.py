"""Training glue on Lightning: task modules per task kind and a trainer factory."""

import warnings

from panspectra_core.training.losses import arctan_loss, resolve_loss
from panspectra_core.training.tasks import (
    BaseTask,
    ClassificationTask,
    ForecastingTask,
    RegressionTask,
)
from panspectra_core.training.trainer import (
    FitResult,
    TrainConfig,
    add_trainer_args,
    build_trainer,
    fit,
    predict_loader,
    trainer_config_from_args,
)

__all__ = [
    "BaseTask",
    "ClassificationTask",
    "FitResult",
    "ForecastingTask",
    "RegressionTask",
    "TrainConfig",
    "add_trainer_args",
    "arctan_loss",
    "build_trainer",
    "fit",
    "predict_loader",
    "resolve_loss",
    "trainer_config_from_args",
]

# Lightning 2.6 on torch 2.11 warns about torch's own pytree API on every fit; not actionable.
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
