"""Measure what one training sample costs, before training, to fit a recipe to a time budget.

:func:`seconds_per_sample` runs a few forward + backward passes of a task's model and loss on
real batches and returns the seconds per sample on the budget's clock (wall or process CPU
time, :mod:`panspectra_core.training.clock`). Gradients are cleared afterwards and no optimizer
step is taken, so the weights the run starts from are unchanged.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Mapping

import torch

from panspectra_core.training.batch import forward_batch


def seconds_per_sample(
    task: torch.nn.Module,
    batches: Iterable[Mapping[str, torch.Tensor]],
    *,
    clock: str = "wall",
    steps: int = 2,
) -> float:
    """Seconds one training sample costs: forward, loss and backward, optimizer excluded.

    Args:
        task: a :class:`~panspectra_core.training.tasks.BaseTask` (``task.model``,
            ``task.loss``); batches are dicts with ``"x"`` and ``"y"``.
        batches: an iterable of batches (a non-shuffling loader: iterating a shuffling one
            would move its random order).
        clock: ``"wall"`` (``time.perf_counter``) or ``"cpu"`` (``time.process_time``).
        steps: timed batches, after one untimed warm-up batch.

    Returns:
        Seconds per sample (0.0 when there was no batch to time).
    """
    timer = time.process_time if clock == "cpu" else time.perf_counter
    model = task.model
    was_training = model.training
    model.train()
    elapsed, samples = 0.0, 0
    try:
        for index, batch in enumerate(itertools.islice(batches, steps + 1)):
            started = timer()
            loss = task.loss(forward_batch(model, batch), batch["y"])
            loss.backward()
            if index > 0 or steps == 0:
                elapsed += timer() - started
                samples += len(batch["y"])
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
    return elapsed / samples if samples else 0.0
