"""The mean of several trained forecasters, one of the predictions ``--select`` chooses from.

Averaging the forecasts of different models is the oldest dependable gain in forecasting
(Bates & Granger 1969, "The Combination of Forecasts", *Operational Research Quarterly* 20(4));
the plain mean is hard to beat with fitted weights (Smith & Wallis 2009, "A Simple Explanation
of the Forecast Combination Puzzle", *Oxford Bulletin of Economics and Statistics* 71(3)).
The members are trained separately, each with its own recipe (``ts-forecast train --select``);
this module only combines them::

    x: (batch, lookback, num_channels) -> mean_m member_m(x)  (batch, horizon, num_channels)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from panspectra_core.checkpoint_checks import check_model_kwargs
from panspectra_core.registry import create_model, model_entry, register_model
from panspectra_core.training.batch import batch_inputs


class ForecastMean(nn.Module):
    """Mean of the members' forecasts ``(batch, horizon, num_channels)``.

    Each member gets the extra batch entries it asks for (``batch_inputs``: CycleNet's
    ``time_index``); the module asks for the union of them.

    Args:
        members: forecasters with the ts contract ``(B, L, C) -> (B, H, C)``, same L, H, C.
    """

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"a forecast mean needs two or more members, got {len(members)}")
        self.members = nn.ModuleList(members)
        self.batch_inputs = tuple(dict.fromkeys(k for m in members for k in batch_inputs(m)))

    def forward(self, x: Tensor, **batch: Tensor) -> Tensor:
        forecasts = [m(x, **{k: batch[k] for k in batch_inputs(m)}) for m in self.members]
        return torch.stack(forecasts).mean(dim=0)


@register_model(domain="ts", tags=("ensemble",))
def forecast_mean(
    lookback: int,
    horizon: int,
    num_channels: int,
    members: list[dict[str, Any]] | None = None,
) -> ForecastMean:
    """The mean of ``members``, each ``{"model": name, "kwargs": {...}}`` built by the registry
    with the run's lookback, horizon and channels (``ts-forecast train --select`` trains them
    and keeps their mean when it has the lowest validation MSE)."""
    if not isinstance(members, list) or len(members) < 2:
        raise ValueError(
            "forecast_mean needs members=[{'model': name, 'kwargs': {...}}, ...] (two or more); "
            "ts-forecast train --select trains them and builds the mean"
        )
    built = []
    for index, member in enumerate(members):
        where = f"members[{index}]"
        if not isinstance(member, dict) or not isinstance(member.get("model"), str):
            raise ValueError(f"{where}: expected {{'model': name, 'kwargs': {{...}}}}")
        name, kwargs = member["model"], member.get("kwargs") or {}
        if not isinstance(kwargs, dict):
            raise ValueError(f"{where}.kwargs: expected a mapping")
        if "ensemble" in model_entry(name).tags:
            raise ValueError(f"{where}: {name!r} is itself a mean")
        kwargs = {**kwargs, "lookback": lookback, "horizon": horizon, "num_channels": num_channels}
        try:  # held to what a checkpoint's top-level model_kwargs are held to
            check_model_kwargs(name, kwargs)
            built.append(create_model(name, **kwargs))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} ({name}): {exc}") from None
    return ForecastMean(built)
