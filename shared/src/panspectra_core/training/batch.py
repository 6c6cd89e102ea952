"""Calling a model on a batch dict: ``x`` plus the extra batch entries the model asks for.

Most models take only the input tensor (``model(batch["x"])``). A model that needs more of the
batch — e.g. CycleNet needs each window's position in the recurring cycle — lists the extra keys
in a class attribute ``batch_inputs`` (a tuple of names); they are passed as keyword arguments.
Wrappers that hold the real network as ``.model`` (a target-channel selector, say) forward it.
This module is Lightning-free so that evaluation code can import it cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn


def batch_inputs(model: nn.Module) -> tuple[str, ...]:
    """The extra batch keys ``model`` takes besides ``x`` (empty for most models)."""
    return tuple(getattr(model, "batch_inputs", ()))


def forward_batch(
    model: nn.Module, batch: Mapping[str, torch.Tensor], device: torch.device | str | None = None
) -> torch.Tensor:
    """``model(batch["x"], **{key: batch[key] for key in model.batch_inputs})`` on ``device``.

    Raises:
        KeyError: the batch lacks a key the model needs (named in the message).
    """
    extra = {}
    for key in batch_inputs(model):
        if key not in batch:
            raise KeyError(
                f"{type(model).__name__} needs batch[{key!r}], which this loader does not give"
            )
        extra[key] = batch[key] if device is None else batch[key].to(device)
    x = batch["x"] if device is None else batch["x"].to(device)
    return model(x, **extra)
