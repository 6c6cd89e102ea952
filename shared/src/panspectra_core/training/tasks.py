"""Lightning task modules, one per task kind (after torchgeo's ``BaseTask``).

A task wraps any ``nn.Module`` and owns the loss, metrics logged during training, and the
optimizer/scheduler; the model itself never branches on the task. Batches are dicts with at
least ``"x"`` (model input) and ``"y"`` (target); the model is called as ``model(batch["x"])``
plus the extra entries it names in ``batch_inputs`` (:func:`.batch.forward_batch`).
"""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import Timer
from torch import nn

from panspectra_core.training.batch import forward_batch
from panspectra_core.training.config import SCHEDULERS
from panspectra_core.training.losses import LossFn, resolve_loss
from panspectra_core.training.schedules import (
    BudgetedOneCycle,
    BudgetedTriangle,
    budget_epoch,
    cosine_factor,
)


def find_timer(trainer: L.Trainer) -> Timer | None:
    """The trainer's ``Timer`` callback (present when ``max_time`` is set), else None."""
    return next((c for c in trainer.callbacks if isinstance(c, Timer)), None)


def sigmoid_lr_factor(epoch: int, k: float = 0.5, s: float = 10.0, w: float = 10.0) -> float:
    """xPatch's sigmoid learning-rate multiplier for 1-based ``epoch`` (Stitsyuk & Choi 2025,
    "xPatch: Dual-Stream Time Series Forecasting with Exponential Seasonal-Trend
    Decomposition", AAAI, Sec. "Learning rate adjustment").

    factor = σ(k (e − w)) − σ((k / s)(e − w s)): a logistic warm-up over ~2w epochs followed by a
    slow logistic decay (k: growth rate, s: smoothing of the decay, w: warm-up coefficient).
    """
    rise = 1.0 / (1.0 + math.exp(-k * (epoch - w)))
    fall = 1.0 / (1.0 + math.exp(-k / s * (epoch - w * s)))
    return rise - fall


def decay90_factor(epoch: int) -> float:
    """PatchTST's and CycleNet's ``type3`` schedule: full lr for the first four epochs, then
    × 0.9 per epoch (``epoch`` 0-based; their code adjusts with ``epoch + 1`` after each epoch)."""
    return 1.0 if epoch < 4 else 0.9 ** (epoch - 3)


def sigmoid_schedule_factor(epochs_done: int) -> float:
    """LR multiplier of the ``sigmoid`` scheduler after ``epochs_done`` finished epochs.

    The official xPatch loop sets lr · :func:`sigmoid_lr_factor` (e) only *after* epoch e, so
    the first epoch trains at the base rate and epoch e + 1 at lr · factor(e).
    """
    return 1.0 if epochs_done == 0 else sigmoid_lr_factor(epochs_done)


class BaseTask(L.LightningModule):
    """Shared optimizer/scheduler logic for every task kind.

    Args:
        model: the network; called as ``model(batch["x"])``.
        lr: peak learning rate (AdamW).
        weight_decay: AdamW weight decay.
        scheduler: ``cosine`` (per-epoch cosine to 0 with optional linear warm-up),
            ``onecycle`` (per step), ``triangle`` (linear warm-up and decay per step, airbench),
            ``cyclic`` (triangular2 cyclical LR per step, Smith 2017),
            ``halving`` (lr · 0.5^epoch, Time-Series-Library's ``type1``), ``sigmoid`` (xPatch's
            per-epoch logistic warm-up and decay, :func:`sigmoid_schedule_factor`) or ``none``.
            Under a time budget every schedule but ``cyclic`` and ``none`` also advances with
            the spent share of the budget (:meth:`budget_fraction`,
            :func:`~.schedules.budget_epoch`), so a stopped run has been through the whole
            schedule (``cosine``, ``onecycle`` and ``triangle`` end annealed).
        warmup_epochs: linear warm-up epochs for ``cosine``.
        cycle_epochs: epochs per half cycle for ``cyclic``.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        scheduler: str = "cosine",
        warmup_epochs: int = 0,
        cycle_epochs: int = 2,
    ) -> None:
        super().__init__()
        if scheduler not in SCHEDULERS:
            raise ValueError(f"scheduler {scheduler!r}: expected one of {SCHEDULERS}")
        self.model = model
        self.lr = lr
        self.weight_decay = weight_decay
        self.scheduler = scheduler
        self.warmup_epochs = warmup_epochs
        self.cycle_epochs = cycle_epochs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def validation_metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, Any]:
        return {}

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.loss(forward_batch(self.model, batch), batch["y"])
        self.log(
            "train_loss",
            loss,
            prog_bar=True,
            on_epoch=True,
            on_step=False,
            batch_size=len(batch["y"]),
            sync_dist=True,
        )
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        output = forward_batch(self.model, batch)
        n = len(batch["y"])
        self.log(
            "val_loss", self.loss(output, batch["y"]), prog_bar=True, batch_size=n, sync_dist=True
        )
        for name, value in self.validation_metrics(output, batch["y"]).items():
            self.log(name, value, prog_bar=True, batch_size=n, sync_dist=True)

    def budget_fraction(self) -> float:
        """Spent fraction of the trainer's time budget (``max_time``, on the wall or CPU
        clock), 0 without one.

        The schedules follow it (:mod:`.schedules`), so a run stopped by its budget still
        ends annealed instead of at the schedule's peak.
        """
        try:
            timer = find_timer(self.trainer)
        except RuntimeError:  # not attached to a Trainer
            return 0.0
        remaining = None if timer is None else timer.time_remaining("train")
        if remaining is None:
            return 0.0
        elapsed = timer.time_elapsed("train")
        return min(1.0, elapsed / max(elapsed + remaining, 1e-9))

    def configure_optimizers(self) -> Any:
        params = [p for p in self.model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay)
        max_epochs = max(1, self.trainer.max_epochs or 1)
        if self.scheduler == "none":
            return optimizer
        per_epoch = {
            "halving": lambda e: 0.5**e,
            "sigmoid": sigmoid_schedule_factor,
            "decay90": decay90_factor,
        }
        if self.scheduler in per_epoch:
            schedule = per_epoch[self.scheduler]

            def budgeted(epoch: int) -> float:
                return schedule(budget_epoch(epoch, max_epochs, self.budget_fraction()))

            sched = torch.optim.lr_scheduler.LambdaLR(optimizer, budgeted)
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": sched, "interval": "epoch"},
            }
        if self.scheduler == "cosine":
            warm = self.warmup_epochs

            def factor(epoch: int) -> float:
                return cosine_factor(epoch, max_epochs, warm, self.budget_fraction())

            sched = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": sched, "interval": "epoch"},
            }
        steps = int(self.trainer.estimated_stepping_batches)
        if self.scheduler in ("onecycle", "triangle"):
            kind = BudgetedOneCycle if self.scheduler == "onecycle" else BudgetedTriangle
            sched = kind(optimizer, self.lr, max(steps, 1), budget_fraction=self.budget_fraction)
        else:  # cyclic
            per_epoch = max(1, steps // max_epochs)
            sched = torch.optim.lr_scheduler.CyclicLR(
                optimizer,
                base_lr=self.lr / 10,
                max_lr=self.lr,
                mode="triangular2",
                step_size_up=max(1, per_epoch * self.cycle_epochs),
                cycle_momentum=False,
            )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def balanced_class_weights(targets: Any, num_classes: int) -> torch.Tensor:
    """``(K,)`` float32 loss weights ``n / (K · n_k)`` of 0-based class targets ``(n,)`` —
    scikit-learn's ``class_weight="balanced"``: every class then carries the same total weight
    in the cross-entropy (a class without samples gets the weight of one sample)."""
    counts = torch.bincount(torch.as_tensor(targets).long().flatten(), minlength=num_classes)
    counts = counts.double()
    return (counts.sum() / (num_classes * counts.clamp_min(1))).float()


class ClassificationTask(BaseTask):
    """Cross-entropy classification; logs ``val_loss`` and ``val_acc``.

    Shapes: ``model(x)`` → logits (batch, num_classes); ``y`` → (batch,) int64.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        num_classes: int,
        label_smoothing: float = 0.0,
        class_weights: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.register_buffer(
            "class_weights",
            None if class_weights is None else torch.as_tensor(class_weights).float(),
        )

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(
            output, target, weight=self.class_weights, label_smoothing=self.label_smoothing
        )

    def validation_metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, Any]:
        return {"val_acc": (output.argmax(-1) == target).float().mean()}


class RegressionTask(BaseTask):
    """Regression with a named or callable loss; logs ``val_loss`` and ``val_mae``.

    Shapes: ``model(x)`` and ``y`` have the same shape, e.g. (batch, targets).
    """

    def __init__(self, model: nn.Module, *, loss: str | LossFn = "mse", **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.loss_fn = resolve_loss(loss)

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(output, target)

    def validation_metrics(self, output: torch.Tensor, target: torch.Tensor) -> dict[str, Any]:
        return {"val_mse": F.mse_loss(output, target), "val_mae": F.l1_loss(output, target)}


class ForecastingTask(RegressionTask):
    """Multi-step forecasting: ``model(x)`` (batch, lookback, C) → (batch, horizon, C) vs ``y``.

    The default loss is MSE on the normalized scale (what the long-horizon literature trains
    and reports); ``arctan`` gives xPatch's horizon-weighted loss.
    """
