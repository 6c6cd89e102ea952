"""Learning-rate schedules that finish inside a training budget.

A schedule sized in epochs or steps (one-cycle, cosine, halving, xPatch's sigmoid) assumes
training reaches its last step. Under a time budget (``TrainConfig.max_time``,
``--max-train-minutes``, on the wall or CPU clock) a slow model is stopped early: a one-cycle
run of 100 epochs stopped after 40 never anneals, and xPatch's sigmoid stopped after 8 of its
100 epochs never leaves its warm-up. Here a schedule's progress is the larger of the step
(epoch) fraction and the budget fraction already spent, so it passes through all its phases
by whichever end comes first. A run whose steps stay ahead of its budget (every run without
one) keeps the plain, deterministic schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


def _cos_anneal(start: float, end: float, fraction: float) -> float:
    """Cosine interpolation from ``start`` (fraction 0) to ``end`` (fraction 1)."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1.0)


def one_cycle_values(
    step: float,
    total_steps: int,
    max_lr: float,
    *,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
) -> tuple[float, float]:
    """Learning rate and momentum (Adam's β₁) of the two-phase cosine one-cycle policy at
    ``step`` (may be fractional) of ``total_steps`` (Smith & Topin 2019, "Super-Convergence";
    the formula of ``torch.optim.lr_scheduler.OneCycleLR`` with its defaults, which PatchTST
    trains with).

    Warm-up from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of the
    steps while momentum falls from ``max_momentum`` to ``base_momentum``; then anneal to
    ``max_lr / div_factor / final_div_factor`` while momentum rises back.
    """
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    warm_end = float(pct_start * total_steps) - 1.0
    last = float(total_steps - 1)
    if step <= warm_end:
        fraction = step / warm_end if warm_end > 0 else 1.0
        return (
            _cos_anneal(initial_lr, max_lr, fraction),
            _cos_anneal(max_momentum, base_momentum, fraction),
        )
    fraction = min(1.0, (step - warm_end) / (last - warm_end)) if last > warm_end else 1.0
    return (
        _cos_anneal(max_lr, min_lr, fraction),
        _cos_anneal(base_momentum, max_momentum, fraction),
    )


class BudgetedOneCycle(torch.optim.lr_scheduler.LRScheduler):
    """One-cycle per optimizer step whose progress also follows a time budget.

    At optimizer step s the schedule is evaluated at ``max(s, budget_fraction() · (T − 1))``
    for ``T = total_steps``, so it reaches its final rate when either the steps or the budget
    run out. With ``budget_fraction`` returning 0 it equals ``torch``'s ``OneCycleLR`` (tested).
    Momentum is cycled on ``betas[0]`` (Adam/AdamW) or ``momentum`` (SGD) like ``OneCycleLR``.
    A parameter group with an ``lr_scale`` entry gets the rate times it (e.g. airbench's larger
    rate for normalization parameters).

    Args:
        optimizer: the wrapped optimizer; its ``lr`` is replaced by the schedule.
        max_lr: peak learning rate.
        total_steps: optimizer steps of the full schedule.
        budget_fraction: callable returning the spent fraction of the time budget in [0, 1].
    """

    initial_fraction = 1 / 25.0  # the first step's rate over max_lr

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        max_lr: float,
        total_steps: int,
        budget_fraction: Callable[[], float] = lambda: 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.max_lr = max_lr
        self.total_steps = max(1, total_steps)
        self.budget_fraction = budget_fraction
        self._momentum_key = "betas" if "betas" in optimizer.defaults else "momentum"
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group["initial_lr"] = max_lr * self.initial_fraction
        super().__init__(optimizer, last_epoch)

    def effective_step(self) -> float:
        """The schedule position: optimizer steps or the budget's share, whichever is ahead."""
        by_budget = min(1.0, max(0.0, self.budget_fraction())) * (self.total_steps - 1)
        return max(float(self.last_epoch), by_budget)

    def progress(self) -> float:
        """The share of the schedule done, in [0, 1] (:meth:`effective_step` over the last)."""
        return min(1.0, self.effective_step() / max(1, self.total_steps - 1))

    def group_rates(self, lr: float) -> list[float]:
        """``lr`` for each parameter group, times the group's ``lr_scale`` when it has one."""
        return [lr * group.get("lr_scale", 1.0) for group in self.optimizer.param_groups]

    def get_lr(self) -> list[float]:
        lr, momentum = one_cycle_values(self.effective_step(), self.total_steps, self.max_lr)
        for group in self.optimizer.param_groups:
            if self._momentum_key == "betas":
                group["betas"] = (momentum, *group["betas"][1:])
            elif "momentum" in group:
                group["momentum"] = momentum
        return self.group_rates(lr)


def triangle_values(
    step: float,
    total_steps: int,
    max_lr: float,
    *,
    start: float = 0.2,
    peak_at: float = 0.23,
    end: float = 0.07,
) -> float:
    """Learning rate of the piecewise-linear warm-up/warm-down at ``step`` (may be fractional)
    of ``total_steps``: from ``start · max_lr`` up to ``max_lr`` over the first ``peak_at`` of
    the steps, then linearly down to ``end · max_lr`` at the last step ``total_steps − 1``
    (Page's ResNet-9 and airbench94's schedule, Jordan 2024, arXiv:2404.00498; the defaults
    are airbench94's, whose decay ends one step later, at ``total_steps``)."""
    warm = int(total_steps * peak_at)
    if step < warm:
        fraction = step / warm
        return max_lr * (start + (1.0 - start) * fraction)
    fraction = min(1.0, (step - warm) / max(1, total_steps - 1 - warm))
    return max_lr * (1.0 + (end - 1.0) * fraction)


class BudgetedTriangle(BudgetedOneCycle):
    """:func:`triangle_values` per optimizer step, budget-aware like :class:`BudgetedOneCycle`
    (its position is the step or the spent share of the budget, whichever is ahead); momentum
    is left as the optimizer has it."""

    initial_fraction = 0.2

    def get_lr(self) -> list[float]:
        return self.group_rates(
            triangle_values(self.effective_step(), self.total_steps, self.max_lr)
        )


def budget_epoch(epoch: int, max_epochs: int, spent: float = 0.0) -> float:
    """The (possibly fractional) epoch a per-epoch schedule is evaluated at under a budget:
    ``epoch``, or the spent share of the budget times ``max_epochs − 1`` when that is ahead.

    A schedule written for ``max_epochs`` epochs (halving, ``decay90``, xPatch's sigmoid) then
    passes through all its phases inside the budget instead of being cut early (xPatch's
    sigmoid warm-up alone spans ~20 of its 100 epochs). Without a budget (``spent`` 0) it is
    ``epoch``, so the schedule is unchanged.
    """
    return max(float(epoch), min(1.0, max(0.0, spent)) * max(0, max_epochs - 1))


def cosine_factor(epoch: int, max_epochs: int, warmup_epochs: int = 0, spent: float = 0.0) -> float:
    """Multiplier of the per-epoch cosine schedule: linear warm-up over ``warmup_epochs``, then
    cosine from 1 to 0 at ``max_epochs`` (Loshchilov & Hutter 2017, "SGDR", without restarts).
    After the warm-up the decay follows the larger of the epoch share and ``spent``, the used
    share of a time budget."""
    if epoch < warmup_epochs:
        return (epoch + 1) / (warmup_epochs + 1)
    progress = (epoch - warmup_epochs) / max(1, max_epochs - warmup_epochs)
    return cosine_progress_factor(max(progress, spent))


def cosine_progress_factor(progress: float) -> float:
    """Cosine multiplier at ``progress`` ∈ [0, 1] of the decay phase (1 → 0)."""
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, progress))))
