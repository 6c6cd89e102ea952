"""Lightning tasks of the audio programs (imported lazily: they need Lightning).

- :class:`MixupClassificationTask` — the core ``ClassificationTask`` with mixup on the
  waveforms (Zhang et al. 2018, ICLR) while training;
- :class:`SignalTask` — waveform-to-waveform training with a loss on (batch, [sources,] time)
  outputs (negative SI-SNR for enhancement, permutation-invariant SI-SNR for separation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from panspectra_core.training import BaseTask, ClassificationTask

from .models.frontend import mixup


class MixupClassificationTask(ClassificationTask):
    """Cross-entropy (with the core's label smoothing) and mixup with Beta(α, α), α > 0."""

    def __init__(self, model: nn.Module, *, mixup_alpha: float = 0.0, **kwargs: Any) -> None:
        super().__init__(model, **kwargs)
        self.mixup_alpha = mixup_alpha

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        if self.mixup_alpha <= 0:
            return super().training_step(batch, batch_idx)
        x, y_a, y_b, lam = mixup(batch["x"], batch["y"], self.mixup_alpha)
        out = self.model(x)
        loss = lam * self.loss(out, y_a) + (1 - lam) * self.loss(out, y_b)
        self.log("train_loss", loss, prog_bar=True, on_epoch=True, on_step=False, batch_size=len(x))
        return loss


class SignalTask(BaseTask):
    """``model(batch["x"])`` vs ``batch["y"]`` under ``loss_fn`` (lower is better); logs
    ``train_loss`` and ``val_loss``."""

    def __init__(
        self,
        model: nn.Module,
        *,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        **kwargs: Any,
    ) -> None:
        super().__init__(model, **kwargs)
        self.loss_fn = loss_fn

    def loss(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(output, target)
