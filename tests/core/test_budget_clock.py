"""CPU-time training budgets (``--budget-clock cpu``): what the timer counts and that a fit
stops by it."""

import time

import pytest
import torch
from lightning.pytorch.callbacks import Timer
from torch import nn
from torch.utils.data import DataLoader

from panspectra_core.training import ForecastingTask, TrainConfig, fit
from panspectra_core.training.clock import CPUTimer, budget_timer
from panspectra_core.training.trainer import build_trainer


def _busy(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_cpu_timer_counts_cpu_time_not_sleep():
    timer = CPUTimer(duration="00:00:00:10")
    timer.on_train_start(None, None)
    time.sleep(0.3)
    slept = timer.time_elapsed()
    _busy(0.2)
    worked = timer.time_elapsed() - slept
    assert slept < 0.1
    assert worked >= 0.19
    assert timer.time_remaining() == pytest.approx(10 - timer.time_elapsed(), abs=0.05)
    timer.on_train_end(None, None)
    at_end = timer.time_elapsed()
    _busy(0.05)
    assert timer.time_elapsed() == at_end  # the budget stops counting when training ends


def test_cpu_timer_resumes_with_the_cpu_time_already_spent():
    first = CPUTimer(duration="00:00:01:00")
    first.on_train_start(None, None)
    _busy(0.1)
    first.on_train_end(None, None)
    second = CPUTimer(duration="00:00:01:00")
    second.load_state_dict(first.state_dict())
    assert second.time_elapsed() == pytest.approx(first.time_elapsed())


def test_budget_timer_only_for_a_cpu_budget():
    assert budget_timer(None, "cpu") is None
    assert budget_timer("00:00:01:00", "wall") is None
    assert isinstance(budget_timer("00:00:01:00", "cpu"), CPUTimer)
    with pytest.raises(ValueError, match="budget clock"):
        budget_timer("00:00:01:00", "gpu")


def test_trainer_gets_exactly_one_timer_of_the_chosen_clock(tmp_path):
    for clock, kind in (("wall", Timer), ("cpu", CPUTimer)):
        config = TrainConfig(accelerator="cpu", max_time="00:00:01:00", budget_clock=clock)
        trainer = build_trainer(config, tmp_path / clock)
        timers = [c for c in trainer.callbacks if isinstance(c, Timer)]
        assert len(timers) == 1 and type(timers[0]) is kind


class _SleepyOffset(nn.Module):
    """Sleeps in every forward: wall time passes, almost no CPU time does."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        time.sleep(0.04)
        return x[:, -2:, :] + self.bias


def test_a_cpu_budget_is_not_spent_by_waiting(tmp_path):
    """20 epochs of 4 sleeping steps take > 3.2 s of wall time but little CPU time: a 2-second
    wall budget stops the run, a 2-second CPU budget does not."""
    data = [{"x": torch.randn(4, 1), "y": torch.randn(2, 1)} for _ in range(4)]
    loader = DataLoader(data, batch_size=1)
    results = {}
    for clock in ("wall", "cpu"):
        task = ForecastingTask(_SleepyOffset(), loss="mse", lr=0.01, scheduler="none")
        config = TrainConfig(
            accelerator="cpu",
            progress_bar=False,
            max_epochs=20,
            max_time="00:00:00:02",
            budget_clock=clock,
        )
        results[clock] = fit(task, loader, None, config, tmp_path / clock)
    assert results["wall"].time_limit_reached and results["wall"].epochs < 20
    assert not results["cpu"].time_limit_reached and results["cpu"].epochs == 20
