"""Guards against non-finite results: no run exits 0 with a NaN metric or NaN weights.

:func:`check_finite_parameters` refuses a model (or a state dict) holding NaN/inf, naming the
parameter; :func:`check_finite_values` refuses NaN/inf metrics, naming the key path. Training
glue calls them after fitting (:func:`panspectra_core.training.fit` does), before any
``metrics.json`` or checkpoint is written; ``panspectra_core.checkpoint.save_checkpoint``
refuses non-finite parameters on its own too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import torch

from panspectra_core.errors import UserError

_HINT = "the data or the learning rate made training diverge; nothing was written"


def _named_tensors(
    weights: torch.nn.Module | Mapping[str, torch.Tensor],
) -> Iterable[tuple[str, torch.Tensor]]:
    if isinstance(weights, torch.nn.Module):
        yield from weights.named_parameters()
        yield from weights.named_buffers()
    else:
        yield from weights.items()


def non_finite_parameters(
    weights: torch.nn.Module | Mapping[str, torch.Tensor],
) -> list[tuple[str, int]]:
    """``[(name, count of NaN/inf entries)]`` of the floating-point tensors in ``weights``."""
    bad = []
    for name, tensor in _named_tensors(weights):
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point():
            count = int((~torch.isfinite(tensor.detach())).sum())
            if count:
                bad.append((name, count))
    return bad


def check_finite_parameters(
    weights: torch.nn.Module | Mapping[str, torch.Tensor], what: str = "the trained model"
) -> None:
    """Raise :class:`UserError` if a floating-point parameter or buffer holds NaN or inf.

    The message names ``what`` and the first parameters, e.g. ``"the trained model: parameter
    'head.weight' holds 12 NaN/inf value(s) ..."``.
    """
    bad = non_finite_parameters(weights)
    if bad:
        names = ", ".join(f"{name!r} ({count})" for name, count in bad[:3])
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise UserError(f"{what}: parameter(s) {names}{more} hold NaN/inf values; {_HINT}")


def _non_finite_paths(value: Any, path: str) -> Iterable[str]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if hasattr(value, "item") and not isinstance(value, torch.Tensor):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _non_finite_paths(item, f"{path}.{key}" if path else str(key))


def check_finite_values(values: Mapping[str, Any], what: str = "metrics") -> None:
    """Raise :class:`UserError` naming every NaN/inf number in ``values`` (nested mappings
    searched; None means "not computed" and passes)."""
    bad = list(_non_finite_paths(dict(values), ""))
    if bad:
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise UserError(f"{what}: {', '.join(bad[:5])}{more} not finite (NaN/inf); {_HINT}")
