import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from panspectra_core.training import ForecastingTask, TrainConfig, fit
from panspectra_core.training.schedules import (
    BudgetedOneCycle,
    BudgetedTriangle,
    budget_epoch,
    cosine_factor,
    one_cycle_values,
    triangle_values,
)
from panspectra_core.training.tasks import sigmoid_lr_factor


def _optimizer(kind: str = "adamw") -> torch.optim.Optimizer:
    params = [nn.Parameter(torch.zeros(3))]
    if kind == "sgd":
        return torch.optim.SGD(params, lr=0.1, momentum=0.9)
    return torch.optim.AdamW(params, lr=0.1)


@pytest.mark.parametrize("kind", ["adamw", "sgd"])
@pytest.mark.parametrize("total", [1, 7, 100])
def test_budgeted_one_cycle_without_budget_equals_torch_one_cycle(kind, total):
    ours_opt, ref_opt = _optimizer(kind), _optimizer(kind)
    ours = BudgetedOneCycle(ours_opt, max_lr=0.3, total_steps=total)
    ref = torch.optim.lr_scheduler.OneCycleLR(ref_opt, max_lr=0.3, total_steps=total)
    key = "betas" if kind == "adamw" else "momentum"
    for _ in range(total):
        assert ours_opt.param_groups[0]["lr"] == pytest.approx(ref_opt.param_groups[0]["lr"])
        assert ours_opt.param_groups[0][key] == pytest.approx(ref_opt.param_groups[0][key])
        ours_opt.step(), ref_opt.step()
        ours.step(), ref.step()


def test_budget_fraction_moves_the_schedule_ahead():
    spent = {"fraction": 0.0}
    optimizer = _optimizer()
    schedule = BudgetedOneCycle(optimizer, 0.3, 1000, budget_fraction=lambda: spent["fraction"])
    spent["fraction"] = 0.5
    optimizer.step(), schedule.step()  # step 1 by count, 499.5 by budget
    lr, _ = one_cycle_values(0.5 * 999, 1000, 0.3)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(lr)
    spent["fraction"] = 1.0
    optimizer.step(), schedule.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.3 / 25 / 1e4)


def test_triangle_matches_airbench94_schedule():
    """airbench94's get_lr: 0.2 → 1 linearly over int(0.23 T) steps, then 1 → 0.07 (ours
    reaches 0.07 at the last step, T − 1, airbench's at T)."""
    total = 1000
    warm = int(total * 0.23)

    def airbench(step: int) -> float:
        if step < warm:
            frac = step / warm
            return 0.2 * (1 - frac) + 1.0 * frac
        frac = (step - warm) / (total - 1 - warm)
        return 1.0 * (1 - frac) + 0.07 * frac

    for step in (0, 1, 100, warm - 1, warm, 500, 999):
        assert triangle_values(step, total, 2.0) == pytest.approx(2.0 * airbench(step))
    optimizer = _optimizer("sgd")
    schedule = BudgetedTriangle(optimizer, 2.0, total)
    for _ in range(10):
        optimizer.step(), schedule.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(2.0 * airbench(10))
    assert optimizer.param_groups[0]["momentum"] == 0.9  # momentum left as set


def test_triangle_follows_the_budget():
    spent = {"fraction": 0.0}
    optimizer = _optimizer("sgd")
    schedule = BudgetedTriangle(optimizer, 1.0, 100, budget_fraction=lambda: spent["fraction"])
    spent["fraction"] = 1.0
    optimizer.step(), schedule.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.07)


def test_cosine_factor_warms_up_then_reaches_zero():
    assert [cosine_factor(e, 10, 2) for e in (0, 1)] == pytest.approx([1 / 3, 2 / 3])
    assert cosine_factor(2, 10, 2) == pytest.approx(1.0)
    assert cosine_factor(6, 10, 2) == pytest.approx(0.5)
    assert cosine_factor(10, 10, 2) == pytest.approx(0.0)
    assert cosine_factor(5, 10) == pytest.approx(0.5 * (1 + math.cos(math.pi / 2)))


class _Offset(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -2:, :] + self.bias


class _StepLrRecorder(ForecastingTask):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lrs: list[float] = []

    def on_train_batch_end(self, *args) -> None:
        self.lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])


def test_one_cycle_anneals_within_a_time_budget(tmp_path):
    """Stopped by a 2-second budget after a small share of its 100 000 planned steps, the
    one-cycle run still reaches its peak and ends annealed (without the budget it would stop
    in its warm-up, below max_lr / 20)."""
    data = [{"x": torch.randn(4, 1), "y": torch.randn(2, 1)} for _ in range(4)]
    loader = DataLoader(data, batch_size=4)
    task = _StepLrRecorder(_Offset(), loss="mse", lr=0.5, scheduler="onecycle")
    config = TrainConfig(
        accelerator="cpu", devices=1, progress_bar=False, max_epochs=100_000, max_time="00:00:00:02"
    )
    result = fit(task, loader, None, config, tmp_path)
    assert result.time_limit_reached and result.epochs < 100_000 * 0.5
    assert max(task.lrs) > 0.9 * 0.5
    assert task.lrs[-1] < 0.01 * 0.5


def test_budget_epoch_follows_the_budget_only_when_it_is_ahead():
    assert budget_epoch(3, 100, 0.0) == 3.0
    assert budget_epoch(3, 100, 0.5) == pytest.approx(49.5)
    assert budget_epoch(60, 100, 0.5) == 60.0
    assert budget_epoch(2, 100, 7.0) == 99.0  # clipped to the last epoch
    assert budget_epoch(2, 1, 0.9) == 2.0


@pytest.mark.parametrize(
    ("scheduler", "plain", "at_half_budget"),
    [
        ("sigmoid", sigmoid_lr_factor(1), sigmoid_lr_factor(49.5)),
        ("halving", 0.5, 0.5**49.5),
        ("decay90", 1.0, 0.9 ** (49.5 - 3)),
    ],
)
def test_per_epoch_schedules_follow_the_spent_budget(scheduler, plain, at_half_budget):
    """After one epoch of 100 a per-epoch schedule is at epoch 1 without a budget and at epoch
    49.5 when half the budget is spent (xPatch's sigmoid: out of its warm-up instead of at
    1 % of the rate; halving and decay90: far down their decay)."""
    task = ForecastingTask(_Offset(), loss="mse", lr=1.0, scheduler=scheduler)
    task._trainer = SimpleNamespace(max_epochs=100)  # configure_optimizers reads max_epochs
    for spent, expected in ((0.0, plain), (0.5, at_half_budget)):
        task.budget_fraction = lambda spent=spent: spent
        config = task.configure_optimizers()
        optimizer, schedule = config["optimizer"], config["lr_scheduler"]["scheduler"]
        optimizer.step(), schedule.step()
        assert optimizer.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_a_group_lr_scale_multiplies_the_schedules_rate():
    params = [nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2))]
    optimizer = torch.optim.SGD(
        [{"params": params[:1]}, {"params": params[1:], "lr_scale": 64.0}], lr=0.1, momentum=0.9
    )
    for kind in (BudgetedOneCycle, BudgetedTriangle):
        schedule = kind(optimizer, 1.0, 100)
        plain, scaled = (group["lr"] for group in optimizer.param_groups)
        assert scaled == pytest.approx(64.0 * plain) and plain > 0
        assert schedule.progress() == 0.0
