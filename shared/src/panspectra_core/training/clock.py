"""Training budgets measured on the wall clock or in the process's CPU time.

Lightning's ``Timer`` (``Trainer(max_time=...)``) measures wall-clock time, so the same
``--max-train-minutes`` buys less training on a busy machine than on a quiet one and a
benchmark row depends on what else ran beside it. :class:`CPUTimer` is the same callback
measured with :func:`time.process_time` (the CPU time of every thread of this process): a
budget of M CPU-minutes is the same amount of compute wherever it runs. Data-loader worker
processes are not counted; the domains train from in-memory tensors with workers off on CPU.

:func:`budget_timer` picks one for a :class:`~panspectra_core.training.config.TrainConfig`.
"""

from __future__ import annotations

import time
from typing import Any

from lightning.pytorch.callbacks import Timer
from lightning.pytorch.trainer.states import RunningStage

from panspectra_core.training.config import BUDGET_CLOCKS


class CPUTimer(Timer):
    """Lightning's ``Timer`` on the process's CPU time instead of ``time.monotonic``.

    Same arguments, stop rule (checked after every optimizer step), ``time_elapsed`` /
    ``time_remaining`` queries and ``state_dict`` (so ``--resume`` carries the CPU time
    already spent), all in CPU seconds.
    """

    clock = staticmethod(time.process_time)

    def time_elapsed(self, stage: str = RunningStage.TRAINING) -> float:
        start, end = self.start_time(stage), self.end_time(stage)
        offset = self._offset if RunningStage(stage) == RunningStage.TRAINING else 0
        if start is None:
            return offset
        return (self.clock() if end is None else end) - start + offset

    def _mark(self, table: dict, stage: RunningStage) -> None:
        table[stage] = self.clock()

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._mark(self._start_time, RunningStage.TRAINING)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._mark(self._end_time, RunningStage.TRAINING)

    def on_validation_start(self, trainer: Any, pl_module: Any) -> None:
        self._mark(self._start_time, RunningStage.VALIDATING)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        self._mark(self._end_time, RunningStage.VALIDATING)

    def on_test_start(self, trainer: Any, pl_module: Any) -> None:
        self._mark(self._start_time, RunningStage.TESTING)

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        self._mark(self._end_time, RunningStage.TESTING)


def budget_timer(max_time: str | None, clock: str) -> Timer | None:
    """The callback enforcing ``max_time`` ("DD:HH:MM:SS") on ``clock``; None when there is no
    budget or the clock is ``wall`` (the Trainer's own ``max_time`` handles that case).

    Raises:
        ValueError: ``clock`` is not one of :data:`BUDGET_CLOCKS`.
    """
    if clock not in BUDGET_CLOCKS:
        raise ValueError(f"budget clock must be one of {BUDGET_CLOCKS}, got {clock!r}")
    if max_time is None or clock == "wall":
        return None
    return CPUTimer(duration=max_time, interval="step")
