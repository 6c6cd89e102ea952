"""Recipes that adapt to the data and to the budget.

A paper recipe is written for its benchmark: xPatch's batch 2048 and 100 epochs for ETTh1's
8 449 training windows and 7 variables. On a 600-window weekly file that recipe takes one
optimizer step per epoch and early-stops on noise; on a 50 000-row, 21-variable file each epoch
costs three times ETTh1's per window and a CPU budget cuts the run after a few epochs. Two
functions adapt a recipe, each keeping it unchanged where the data (or the budget) match the
paper's, never touching a value the user set, and reporting every change:

- :func:`adapt_to_data` (number of training samples): shrinks the batch so an epoch has at
  least ``min_steps`` optimizer steps, and lengthens a run that would end after fewer than
  ``min_total_steps`` steps (more epochs, patience scaled with them, so early stopping waits for
  the same share of the run).
- :func:`fit_to_budget` (measured cost per sample, which grows with the number of variables,
  and the time budget): when the recipe's epochs cannot fit the budget, shrinks the batch so
  the epochs the budget affords still take the recipe's number of optimizer steps.

Whenever the batch changes, the learning rate is scaled by the square root of the batch ratio
(Krizhevsky 2014, *One weird trick for parallelizing convolutional neural networks*; Hoffer et
al. 2017, *Train longer, generalize better*). Below the critical batch size, the number of
optimizer steps rather than the number of samples seen sets how far training gets (McCandlish
et al. 2018, *An empirical model of large-batch training*), which is why the budget is spent
on more, smaller steps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

#: optimizer steps an epoch should have at least: the fewest a benchmark recipe runs with
#: (xPatch on ETTh1: 8449 windows at batch 2048, 4 full steps), so paper recipes on the data
#: they were written for are kept as they are
MIN_STEPS_PER_EPOCH = 4
#: optimizer steps a whole run should have at least: the fewest a registered recipe takes on
#: its own benchmark (xPatch on ETTh1: 4 steps × 100 epochs)
MIN_TOTAL_STEPS = 400
#: the smallest batch the adaptation goes down to
MIN_BATCH = 8
#: validation costs about a third of training per sample (forward only)
EVAL_COST_SHARE = 1 / 3


def steps_per_epoch(num_train: int, batch_size: int) -> int:
    """Full optimizer steps of an epoch (the training loaders drop a last partial batch)."""
    return max(1, num_train // batch_size) if num_train > batch_size else 1


def _power_of_two_at_most(value: float) -> int:
    return max(MIN_BATCH, 2 ** int(math.log2(max(value, 1))))


def _shrink_batch(
    out: dict[str, Any], changes: dict[str, Any], new_batch: int, fixed: set[str]
) -> None:
    """Set ``out["batch_size"] = new_batch`` and scale ``lr`` by the square root, recording both."""
    batch = int(out["batch_size"])
    changes["batch_size"] = {"recipe": changes.get("batch_size", {}).get("recipe", batch)}
    changes["batch_size"]["adapted"] = new_batch
    out["batch_size"] = new_batch
    if "lr" not in fixed and out.get("lr"):
        new_lr = float(out["lr"]) * math.sqrt(new_batch / batch)
        changes["lr"] = {"recipe": changes.get("lr", {}).get("recipe", out["lr"])}
        changes["lr"]["adapted"] = new_lr
        out["lr"] = new_lr


def _add_reason(changes: dict[str, Any], reason: str) -> None:
    changes["reason"] = f"{changes['reason']}; {reason}" if changes.get("reason") else reason


def adapt_to_data(
    settings: Mapping[str, Any],
    num_train: int,
    *,
    fixed: Iterable[str] = (),
    min_steps: int = MIN_STEPS_PER_EPOCH,
    min_total_steps: int = MIN_TOTAL_STEPS,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Adapt ``batch_size`` (and with it ``lr``), ``epochs`` and ``patience`` to ``num_train``.

    Args:
        settings: training settings with ``batch_size`` and ``lr``; ``epochs`` and
            ``patience`` when present.
        num_train: training samples (windows, pixels, molecules) per epoch.
        fixed: keys the user set explicitly: left as they are.
        min_steps: optimizer steps an epoch must have at least.
        min_total_steps: optimizer steps the run must be able to take at least.

    Returns:
        ``(settings, changes)``: the adapted copy and ``{key: {"recipe": old, "adapted":
        new}}`` plus ``reason`` (empty when nothing changed).
    """
    out = dict(settings)
    fixed = set(fixed)
    changes: dict[str, Any] = {}
    batch = int(out.get("batch_size") or 0)
    if batch <= 0 or num_train <= 0:
        return out, changes
    if "batch_size" not in fixed and math.ceil(num_train / batch) < min_steps:
        new_batch = _power_of_two_at_most(max(MIN_BATCH, num_train // min_steps))
        if new_batch < batch:
            _shrink_batch(out, changes, new_batch, fixed)
            _add_reason(
                changes,
                f"{num_train} training samples: batch {batch} gave "
                f"{math.ceil(num_train / batch)} step(s) per epoch, fewer than {min_steps}",
            )
    epochs = int(out.get("epochs") or 0)
    per_epoch = steps_per_epoch(num_train, int(out["batch_size"]))
    if epochs > 0 and "epochs" not in fixed and epochs * per_epoch < min_total_steps:
        new_epochs = math.ceil(min_total_steps / per_epoch)
        changes["epochs"] = {"recipe": epochs, "adapted": new_epochs}
        out["epochs"] = new_epochs
        patience = int(out.get("patience") or 0)
        if patience > 0 and "patience" not in fixed:
            new_patience = math.ceil(patience * new_epochs / epochs)
            changes["patience"] = {"recipe": patience, "adapted": new_patience}
            out["patience"] = new_patience
        _add_reason(
            changes,
            f"{epochs} epochs of {per_epoch} step(s) are {epochs * per_epoch} optimizer steps, "
            f"fewer than {min_total_steps}",
        )
    return out, changes


def fit_to_budget(
    settings: Mapping[str, Any],
    num_train: int,
    *,
    sample_seconds: float,
    budget_seconds: float,
    num_eval: int = 0,
    fixed: Iterable[str] = (),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Shrink the batch when the recipe's epochs do not fit ``budget_seconds``.

    The recipe plans ``epochs × steps_per_epoch`` optimizer steps. At ``sample_seconds`` per
    training sample (measured, e.g. with :func:`panspectra_core.training.seconds_per_sample`;
    it grows with the number of variables and the model's size) the budget affords
    ``budget / epoch_seconds`` epochs; the batch is divided by the same ratio so those epochs
    still take the planned number of steps. The schedule then spans the budget
    (:mod:`panspectra_core.training.schedules`).

    Args:
        settings: training settings with ``batch_size``, ``epochs`` and ``lr``.
        num_train: training samples per epoch.
        sample_seconds: seconds (on the budget's clock) one training sample costs.
        budget_seconds: the training budget.
        num_eval: validation samples scored after every epoch (counted at
            :data:`EVAL_COST_SHARE` of a training sample each).
        fixed: keys the user set explicitly: left as they are.

    Returns:
        ``(settings, changes)`` as :func:`adapt_to_data`; ``changes`` also holds
        ``sample_seconds``, ``planned_seconds`` and ``affordable_epochs`` when it is not
        empty.
    """
    out = dict(settings)
    batch = int(out.get("batch_size") or 0)
    epochs = int(out.get("epochs") or 0)
    if batch <= 0 or epochs <= 0 or num_train <= 0 or "batch_size" in set(fixed):
        return out, {}
    if not (sample_seconds > 0 and budget_seconds > 0):
        return out, {}
    epoch_seconds = sample_seconds * (num_train + EVAL_COST_SHARE * num_eval)
    planned = epochs * epoch_seconds
    if planned <= budget_seconds:
        return out, {}
    affordable = budget_seconds / epoch_seconds
    new_batch = _power_of_two_at_most(batch * affordable / epochs)
    if new_batch >= batch:
        return out, {}
    changes: dict[str, Any] = {}
    _shrink_batch(out, changes, new_batch, set(fixed))
    changes["sample_seconds"] = sample_seconds
    changes["planned_seconds"] = round(planned, 1)
    changes["affordable_epochs"] = round(affordable, 2)
    _add_reason(
        changes,
        f"the recipe's {epochs} epochs need ~{planned:.0f} s, the budget of {budget_seconds:.0f} s "
        f"affords ~{affordable:.1f}: batch {batch} -> {new_batch} keeps its optimizer steps",
    )
    return out, changes


def member_seed(seed: int, index: int) -> int:
    """The seed of run ``index`` of a sequence of runs trained from one run's ``seed``
    (ensemble members, mixed-ensemble members): ``seed + 1000 * index``, so member 0 is the run
    itself and the members of seeds 0, 1, 2 … never share a seed."""
    return seed + 1000 * index


def share_in_order(budget_seconds: float, spent_seconds: float, runs_left: int) -> float:
    """One run's share of a budget that several runs (ensemble members, ``--select``
    candidates) spend one after the other: what is left divided by the runs still to go (1 s
    once the budget is spent, so every run still takes a step), so time an early run does not
    use goes to the later ones and an overrun is taken from them."""
    return max(budget_seconds - spent_seconds, 0.0) / max(runs_left, 1) or 1.0


def merge_changes(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """The changes of two adaptations applied one after the other: a key changed by both keeps
    the first's ``recipe`` value and the second's ``adapted`` value; reasons are joined."""
    out = {k: dict(v) if isinstance(v, Mapping) else v for k, v in first.items()}
    for key, value in second.items():
        if key == "reason":
            _add_reason(out, value)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key]["adapted"] = value["adapted"]
        else:
            out[key] = dict(value) if isinstance(value, Mapping) else value
    return out
