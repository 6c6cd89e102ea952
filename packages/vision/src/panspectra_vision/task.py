"""The Lightning task of ``vision-classify``: the core :class:`ClassificationTask` plus the
optimizers, weight averaging and soft targets the image recipes use.

- optimizers: AdamW (transformers; no decay on norms, biases, position embeddings, class tokens
  and global filters) or SGD with Nesterov momentum (conv nets; normalization parameters get
  ``bias_lr_scale`` × the learning rate with the same absolute decay, as airbench does);
- ``onecycle`` and ``triangle`` are the core's budget-aware per-step schedules (a run stopped by
  ``--max-train-minutes`` still ends annealed), which honour each group's ``lr_scale``;
- EMA of the weights (Polyak averaging; ``ema_decay`` per step), used for validation and as the
  final model; with ``lookahead`` the live weights are reset to the average every
  ``lookahead_steps`` steps (Zhang et al. 2019, "Lookahead Optimizer"; hlb-CIFAR10/airbench),
  and the average's decay ramps up as ``ema_decay · progress³`` (airbench94);
- targets may be soft (mixup/cutmix): cross-entropy takes class probabilities directly.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from panspectra_core.training.schedules import BudgetedOneCycle, BudgetedTriangle
from panspectra_core.training.tasks import ClassificationTask

NO_DECAY_KEYS = ("pos_embed", "cls_token", "complex_weight", "relative_bias_table", "A_log", ".D")


NORM_LAYERS = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)


def norm_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The trainable parameters of the model's normalization layers (BatchNorm and friends)."""
    return [
        p
        for module in model.modules()
        if isinstance(module, NORM_LAYERS)
        for p in module.parameters(recurse=False)
        if p.requires_grad
    ]


def split_decay(model: nn.Module) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """(decayed, not decayed) trainable parameters: 1-D tensors (norms, biases) and the
    :data:`NO_DECAY_KEYS` are not decayed."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        if param.ndim <= 1 or any(key in name for key in NO_DECAY_KEYS):
            no_decay.append(param)
        else:
            decay.append(param)
    return decay, no_decay


class VisionTask(ClassificationTask):
    """Image classification task (see the module docs).

    Args (beyond :class:`ClassificationTask`): optimizer (``adamw`` | ``sgd``), momentum,
    bias_lr_scale, ema_decay (0 = off), lookahead, lookahead_steps.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        optimizer: str = "adamw",
        momentum: float = 0.9,
        bias_lr_scale: float = 1.0,
        ema_decay: float = 0.0,
        lookahead: bool = False,
        lookahead_steps: int = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        self.optimizer_name, self.momentum, self.bias_lr_scale = optimizer, momentum, bias_lr_scale
        self.ema_decay, self.lookahead, self.lookahead_steps = ema_decay, lookahead, lookahead_steps
        self.ema_model = copy.deepcopy(model).requires_grad_(False) if ema_decay > 0 else None
        self.images_seen = 0

    # -- the model used outside training ---------------------------------------------------

    def final_model(self) -> nn.Module:
        """The weights to evaluate and save: the EMA when enabled, else the trained model."""
        return self.ema_model if self.ema_model is not None else self.model

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        live, self.model = self.model, self.final_model()
        try:
            super().validation_step(batch, batch_idx)
        finally:
            self.model = live

    @torch.no_grad()
    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.images_seen += len(batch["y"])
        if self.ema_model is None:
            return
        step = self.global_step
        if self.lookahead and step % self.lookahead_steps:
            return
        decay = self.ema_decay
        if self.lookahead:  # airbench94: decay · progress³, so early steps move freely
            decay *= self.schedule_progress() ** 3
        else:  # warm-up of the average (timm's ModelEmaV3 adjustment)
            decay = min(decay, (1 + step) / (10 + step))
        for ema, live in zip(self.ema_model.parameters(), self.model.parameters()):
            ema.lerp_(live.detach(), 1.0 - decay)
            if self.lookahead:
                live.copy_(ema)
        for ema, live in zip(self.ema_model.buffers(), self.model.buffers()):
            ema.copy_(live)

    def schedule_progress(self) -> float:
        """Share of training done in [0, 1]: the per-step schedule's position (which follows
        a time budget too), else the step count over the planned steps."""
        schedulers = self.lr_schedulers() if self._trainer is not None else None
        sched = schedulers[0] if isinstance(schedulers, list) else schedulers
        if isinstance(sched, BudgetedOneCycle):  # the triangle schedule too
            return sched.progress()
        total = self.trainer.estimated_stepping_batches if self._trainer is not None else 0
        return min(1.0, self.global_step / total) if total and total != float("inf") else 1.0

    # -- optimizers ---------------------------------------------------------------------------

    def configure_optimizers(self) -> Any:
        if self.optimizer_name == "adamw" and self.scheduler not in ("onecycle", "triangle"):
            return super().configure_optimizers()
        if self.optimizer_name == "sgd":
            # airbench: normalization parameters get bias_lr_scale × the rate with the same
            # absolute decay per step; every other parameter (whitening and head biases too)
            # the plain rate and decay
            scaled = norm_parameters(self.model)
            scaled_ids = {id(p) for p in scaled}
            plain = [
                p for p in self.model.parameters() if p.requires_grad and id(p) not in scaled_ids
            ]
            groups = [
                {"params": plain, "weight_decay": self.weight_decay, "lr_scale": 1.0},
                {
                    "params": scaled,
                    "weight_decay": self.weight_decay / self.bias_lr_scale,
                    "lr_scale": self.bias_lr_scale,
                },
            ]
            optimizer = torch.optim.SGD(groups, lr=self.lr, momentum=self.momentum, nesterov=True)
        else:
            decay, no_decay = split_decay(self.model)
            groups = [
                {"params": decay, "weight_decay": self.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ]
            optimizer = torch.optim.AdamW(groups, lr=self.lr)
        if self.scheduler == "none":
            return optimizer
        steps = max(1, int(self.trainer.estimated_stepping_batches))
        kind = BudgetedTriangle if self.scheduler == "triangle" else BudgetedOneCycle
        sched = kind(optimizer, self.lr, steps, budget_fraction=self.budget_fraction)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
