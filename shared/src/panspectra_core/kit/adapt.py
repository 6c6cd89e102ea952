"""Recipes that adapt to the data: a paper recipe tuned on a large benchmark takes one optimizer
step per epoch on a small file (batch 2048 on 600 training windows) and early-stops on noise.

:func:`adapt_to_data` keeps every recipe value where the data are large enough for it, and
otherwise shrinks the batch so an epoch has at least ``min_steps`` optimizer steps, scaling the
learning rate by the square root of the batch ratio (Krizhevsky 2014, *One weird trick for
parallelizing convolutional neural networks*; Hoffer et al. 2017, *Train longer, generalize
better*). Values the user set explicitly are never changed, and every change is reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

#: optimizer steps an epoch should have at least: the fewest a benchmark recipe runs with
#: (xPatch on ETTh1: 8449 windows at batch 2048, 5 steps), so paper recipes on the data they
#: were written for are kept as they are
MIN_STEPS_PER_EPOCH = 4
#: the smallest batch the adaptation goes down to
MIN_BATCH = 8


def adapt_to_data(
    settings: Mapping[str, Any],
    num_train: int,
    *,
    fixed: Iterable[str] = (),
    min_steps: int = MIN_STEPS_PER_EPOCH,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Adapt ``batch_size`` (and with it ``lr``) to ``num_train`` training samples.

    Args:
        settings: training settings with ``batch_size`` and ``lr``.
        num_train: training samples (windows, pixels, molecules) per epoch.
        fixed: keys the user set explicitly: left as they are.
        min_steps: optimizer steps an epoch must have at least.

    Returns:
        ``(settings, changes)``: the adapted copy and ``{key: {"recipe": old, "adapted":
        new}}`` plus ``reason`` (empty when nothing changed).
    """
    out = dict(settings)
    fixed = set(fixed)
    batch = int(out.get("batch_size") or 0)
    if batch <= 0 or "batch_size" in fixed or num_train <= 0:
        return out, {}
    if math.ceil(num_train / batch) >= min_steps:
        return out, {}
    target = max(MIN_BATCH, num_train // min_steps)
    new_batch = max(MIN_BATCH, 2 ** int(math.log2(target)))  # a power of two, ≤ target
    if new_batch >= batch:
        return out, {}
    changes: dict[str, Any] = {"batch_size": {"recipe": batch, "adapted": new_batch}}
    out["batch_size"] = new_batch
    if "lr" not in fixed and out.get("lr"):
        new_lr = float(out["lr"]) * math.sqrt(new_batch / batch)
        changes["lr"] = {"recipe": out["lr"], "adapted": new_lr}
        out["lr"] = new_lr
    changes["reason"] = (
        f"{num_train} training samples: batch {batch} gave {math.ceil(num_train / batch)} "
        f"step(s) per epoch, fewer than {min_steps}"
    )
    return out, changes
