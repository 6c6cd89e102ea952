"""Measure what one training sample costs, before training, to fit a recipe to a time budget.

:func:`seconds_per_sample` runs a few forward + backward passes of a task's model and loss on
real batches and returns the median seconds per sample on the budget's clock (wall or process
CPU time, :mod:`panspectra_core.training.clock`). The first batches are not timed: they pay for
memory allocation and kernel selection and read well above the steady-state cost. Gradients
are cleared afterwards and no optimizer step is taken, so the weights the run starts from are
unchanged.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Mapping

import torch

from panspectra_core.training.batch import forward_batch


def seconds_per_sample(
    task: torch.nn.Module,
    batches: Iterable[Mapping[str, torch.Tensor]],
    *,
    clock: str = "wall",
    warmup: int = 2,
    steps: int = 5,
    max_seconds: float = 2.0,
) -> float:
    """Median seconds one training sample costs: forward, loss and backward (no optimizer).

    Args:
        task: a :class:`~panspectra_core.training.tasks.BaseTask` (``task.model``,
            ``task.loss``); batches are dicts with ``"x"`` and ``"y"``.
        batches: an iterable of batches (a non-shuffling loader: iterating a shuffling one
            would move its random order).
        clock: ``"wall"`` (``time.perf_counter``) or ``"cpu"`` (``time.process_time``).
        warmup: untimed batches first.
        steps: timed batches at most.
        max_seconds: stop timing once this much time was spent on timed batches (at least one
            batch is timed).

    Returns:
        Seconds per sample, the median over the timed batches (0.0 when there was none).
    """
    timer = time.process_time if clock == "cpu" else time.perf_counter
    model = task.model
    was_training = model.training
    model.train()
    costs: list[float] = []
    spent = 0.0
    try:
        for index, batch in enumerate(batches):
            started = timer()
            loss = task.loss(forward_batch(model, batch), batch["y"])
            loss.backward()
            model.zero_grad(set_to_none=True)
            if index < warmup:
                continue
            elapsed = timer() - started
            costs.append(elapsed / len(batch["y"]))
            spent += elapsed
            if len(costs) >= steps or spent >= max_seconds:
                break
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    return statistics.median(costs) if costs else 0.0
