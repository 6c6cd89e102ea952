"""Is one forecaster really better than another on the same windows? The Diebold–Mariano test.

Two forecasters scored on the same validation windows differ in mean squared error by chance
as well as by skill; with a few hundred windows (a daily or weekly file) a model can "beat"
repeating the last value by 3 % on validation and lose by 20 % on test. The Diebold–Mariano
test (Diebold & Mariano 1995, *Comparing predictive accuracy*, JBES 13(3)) asks whether the
mean of the per-window loss differential ``d_t = loss_a(t) − loss_b(t)`` is below zero, with
a long-run variance that allows for the dependence of overlapping H-step windows
(Newey–West/Bartlett weights up to lag H − 1) and the small-sample correction of Harvey,
Leybourne & Newbold (1997, *Testing the equality of prediction mean squared errors*, IJF 13)
compared against Student's t with n − 1 degrees of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats
from torch import nn

from panspectra_core.training.batch import forward_batch
from panspectra_ts.data.prepare import PreparedSeries
from panspectra_ts.data.windows import make_loader


@dataclass(frozen=True)
class DieboldMariano:
    """Result of :func:`diebold_mariano`: ``statistic`` (negative when ``a`` has the lower
    loss), the one-sided ``p_value`` of "``a`` is not better than ``b``", ``windows`` and the
    ``lag`` of the long-run variance."""

    statistic: float
    p_value: float
    windows: int
    lag: int
    testable: bool = True
    """False when the windows do not hold two non-overlapping forecasts (``windows ≤ H``):
    then nothing can be concluded and ``p_value`` is 1."""


def diebold_mariano(loss_a: np.ndarray, loss_b: np.ndarray, horizon: int) -> DieboldMariano:
    """One-sided Diebold–Mariano test of "forecaster ``a`` has lower expected loss than ``b``".

    Args:
        loss_a, loss_b: ``(windows,)`` per-window losses of the two forecasters on the same
            windows, in time order (consecutive windows overlap).
        horizon: forecast steps per window H; the loss differential is treated as MA(H − 1).

    Returns:
        :class:`DieboldMariano`; ``p_value`` near 0 means ``a`` is significantly better, 0.5
        that the two are equal on average, and it is 1.0 when the differential is constant
        and not negative (``a`` never better) or when there are no more windows than ``horizon``
        (``testable`` False).
    """
    if np.ndim(loss_a) != 1 or np.shape(loss_a) != np.shape(loss_b):
        raise ValueError(
            f"expected two equal 1-D loss vectors, got {np.shape(loss_a)} and {np.shape(loss_b)}"
        )
    d = np.asarray(loss_a, dtype=np.float64) - np.asarray(loss_b, dtype=np.float64)
    n = len(d)
    if n <= horizon:  # every window overlaps every other: one forecast's worth of evidence
        return DieboldMariano(0.0, 1.0, n, max(n - 1, 0), testable=False)
    lag = horizon - 1  # n > horizon here, so every lag has pairs
    mean = d.mean()
    centered = d - mean
    variance = float(centered @ centered) / n
    for k in range(1, lag + 1):  # Newey–West: Bartlett weights keep the variance positive
        variance += 2 * (1 - k / (lag + 1)) * float(centered[k:] @ centered[:-k]) / n
    if variance <= 0:
        p_value = 0.0 if mean < 0 else (0.5 if mean == 0 else 1.0)
        return DieboldMariano(float("-inf") if mean < 0 else 0.0, p_value, n, lag)
    statistic = mean / math.sqrt(variance / n)
    h = lag + 1  # Harvey–Leybourne–Newbold small-sample correction
    correction = math.sqrt(max(n + 1 - 2 * h + h * (h - 1) / n, 1e-12) / n)
    statistic *= correction
    return DieboldMariano(float(statistic), float(stats.t.cdf(statistic, df=n - 1)), n, lag)


@torch.no_grad()
def window_losses(
    model: nn.Module, data: PreparedSeries, split: str = "val", batch_size: int = 256
) -> np.ndarray:
    """``(windows,)`` MSE of each window of ``split`` (normalized scale, over the horizon and
    the target channels), in time order: the per-window losses :func:`diebold_mariano` needs."""
    was_training = model.training
    model.eval()
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    losses = []
    for batch in make_loader(data.windows(split), batch_size):
        pred = forward_batch(model, batch, device)[..., : data.num_targets]
        error = (pred.double() - batch["y"].to(device).double()) ** 2
        losses.append(error.mean(dim=(1, 2)).cpu().numpy())
    model.train(was_training)
    return np.concatenate(losses) if losses else np.zeros(0)
