"""Scoring image classifiers: test-time augmentation, top-k accuracy, calibration, cost.

Accuracy, per-class accuracy and the confusion matrix come from the core
(:func:`panspectra_core.metrics.classification_metrics`); here are the image-specific parts:
flip / translate TTA, top-5, the expected calibration error before and after temperature
scaling (:mod:`panspectra_core.calibration`), MACs and images/s.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panspectra_core.calibration import apply_temperature
from panspectra_core.metrics import (
    classification_metrics,
    expected_calibration_error,
    top_k_accuracy,
)


def tta_logits(model: nn.Module, x: Tensor, tta: str = "none") -> Tensor:
    """Logits of (B, C, H, W) ``x`` averaged over the TTA views.

    ``flip``: the image and its mirror; ``flip_translate``: those two with weight 1/2, plus each
    shifted by one pixel up-left and down-right (reflect padding) with weight 1/2 (airbench's
    TTA level 2)."""
    logits = model(x)
    if tta == "none":
        return logits
    mirror = x.flip(-1)
    flipped = 0.5 * (logits + model(mirror))
    if tta == "flip":
        return flipped
    height, width = x.shape[-2:]
    shifted = []
    for view in (x, mirror):
        padded = F.pad(view, (1, 1, 1, 1), mode="reflect")
        shifted.append(model(padded[..., :height, :width]))
        shifted.append(model(padded[..., 2:, 2:]))
    return 0.5 * flipped + 0.5 * torch.stack(shifted).mean(0)


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    batches: Iterable[dict[str, Tensor]],
    tta: str = "none",
    device: torch.device | str = "cpu",
) -> tuple[Tensor, Tensor, float]:
    """(logits (N, K), targets (N,), seconds) over every batch (nothing dropped)."""
    model = model.to(device).eval()
    outs, targets = [], []
    start = time.perf_counter()
    for batch in batches:
        outs.append(tta_logits(model, batch["x"].to(device), tta).float().cpu())
        targets.append(batch["y"])
    seconds = time.perf_counter() - start
    return torch.cat(outs), torch.cat(targets), seconds


def score(
    logits: Tensor, targets: Tensor, class_names: list[str], temperature: float = 1.0
) -> dict[str, Any]:
    """top1, top5, ECE, per-class accuracy, confusion matrix (+ the core's balanced accuracy,
    macro-F1, κ, ROC-AUC) of (N, K) logits against (N,) targets; ``ece`` is that of the raw
    softmax, ``ece_calibrated`` that of ``softmax(logits / temperature)`` (the rest do not
    depend on the temperature)."""
    probabilities = logits.softmax(1).double().numpy()
    y_true, y_pred = targets.numpy(), logits.argmax(1).numpy()
    core = classification_metrics(
        y_true,
        y_pred,
        probabilities=probabilities,
        num_classes=len(class_names),
        class_names=class_names,
    )
    return {
        "top1": top_k_accuracy(probabilities, y_true, 1),
        "top5": top_k_accuracy(probabilities, y_true, 5),
        "ece": expected_calibration_error(probabilities, y_true),
        "temperature": temperature,
        "ece_calibrated": expected_calibration_error(
            apply_temperature(logits.double(), temperature).numpy(), y_true
        ),
        **{k: v for k, v in core.items() if k != "accuracy"},
    }


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_macs(model: nn.Module, channels: int, size: int) -> int:
    """Multiply-accumulates of one (1, C, S, S) forward pass, from torch's FLOP counter (matmuls,
    convolutions, attention; FFTs and the Mamba scan are not counted by it)."""
    from torch.utils.flop_counter import FlopCounterMode

    model = model.eval()
    x = torch.zeros(1, channels, size, size, device=next(model.parameters()).device)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return int(counter.get_total_flops() // 2)


@torch.no_grad()
def images_per_second(
    model: nn.Module, channels: int, size: int, batch: int, min_seconds: float = 1.0
) -> float:
    """Inference throughput at batch size ``batch`` (one warm-up call, then calls for at least
    ``min_seconds``)."""
    model = model.eval()
    x = torch.randn(batch, channels, size, size)
    model(x)
    calls, start = 0, time.perf_counter()
    while True:
        model(x)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds and calls >= 2:
            return calls * batch / elapsed
