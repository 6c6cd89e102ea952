"""Post-hoc calibration of classifiers by temperature scaling.

Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks", §4.2) divides
every logit vector by one scalar ``T > 0`` fitted on held-out (validation) logits by minimising
the negative log-likelihood. ``T > 1`` softens over-confident probabilities, ``T < 1`` sharpens
under-confident ones; the arg-max, hence accuracy, is unchanged. The expected calibration error
used to judge it is the core's :func:`panspectra_core.metrics.expected_calibration_error`
(re-exported here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from panspectra_core.metrics.classification import expected_calibration_error

__all__ = ["apply_temperature", "expected_calibration_error", "fit_temperature"]

#: the fitted temperature is clipped to this range (a validation set the model separates
#: perfectly drives the NLL optimum towards T → 0)
T_MIN, T_MAX = 1e-2, 1e2


def _as_tensor(values: torch.Tensor | np.ndarray | Sequence, dtype: torch.dtype) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        return values.detach().to("cpu", dtype)
    return torch.as_tensor(np.asarray(values), dtype=dtype)


def fit_temperature(
    logits: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray | Sequence[int]
) -> float:
    """The temperature ``T`` minimising the mean NLL of ``softmax(logits / T)`` on ``labels``.

    Args:
        logits: ``(N, C)`` unnormalised scores (e.g. a model's validation logits, with the same
            test-time augmentation the temperature will later be applied to).
        labels: ``(N,)`` integer classes in ``[0, C)``.

    Returns:
        ``T`` in ``[1e-2, 1e2]``; ``1.0`` for empty input. Deterministic: L-BFGS (strong Wolfe
        line search) on ``log T`` from ``T = 1`` in float64. The NLL is convex in ``1 / T``, so
        the minimum found is the global one.

    Raises:
        ValueError: shapes disagree, a label is out of range, or a logit is not finite.
    """
    z = _as_tensor(logits, torch.float64)
    y = _as_tensor(labels, torch.int64).reshape(-1)
    if z.numel() == 0 or y.numel() == 0:
        return 1.0
    if z.ndim != 2 or z.shape[0] != y.shape[0]:
        shapes = f"logits {tuple(z.shape)}, labels {tuple(y.shape)}"
        raise ValueError(f"{shapes}: expected (N, C) and (N,)")
    if int(y.min()) < 0 or int(y.max()) >= z.shape[1]:
        raise ValueError(f"labels must lie in [0, {z.shape[1]})")
    if not torch.isfinite(z).all():
        raise ValueError("logits hold NaN or infinite values")
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    lo, hi = math.log(T_MIN), math.log(T_MAX)
    optimizer = torch.optim.LBFGS(
        [log_t], lr=1.0, max_iter=100, tolerance_grad=1e-10, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.clamp(lo, hi).exp(), y)
        loss.backward()
        return loss

    optimizer.step(closure)
    value = float(log_t.detach())
    if not math.isfinite(value):  # defensive: the clamp keeps the loss finite
        return 1.0
    return float(min(max(math.exp(value), T_MIN), T_MAX))


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Probabilities ``softmax(logits / temperature, dim=-1)`` of ``(..., C)`` logits."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be finite and > 0, got {temperature}")
    return (logits / temperature).softmax(-1)
