"""What a ts checkpoint's metadata must hold before any model is built from it (registered
with :func:`panspectra_core.checkpoint.register_checkpoint_validator`; see docs/checkpoints.md).
"""

from __future__ import annotations

from typing import Any

from panspectra_core.checkpoint import CheckpointMeta, register_checkpoint_validator

#: the longest lookback or horizon a checkpoint may declare
MAX_STEPS = 100_000


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def validate_ts_checkpoint(meta: CheckpointMeta, extra: Any) -> None:
    """Integer lookback/horizon agreeing with the model's arguments, named target and covariate
    columns, a scaler with one mean/std per column and a channel count to match.

    Raises:
        ValueError: naming the metadata field (the core turns it into a one-line refusal).
    """
    pre, kwargs = meta.preprocessing, meta.model_kwargs
    for key in ("lookback", "horizon"):
        if not _is_int(pre.get(key), 1, MAX_STEPS):
            raise ValueError(
                f"preprocessing.{key}={pre.get(key)!r}: expected an int in [1, {MAX_STEPS}]"
            )
        if key in kwargs and kwargs[key] != pre[key]:
            raise ValueError(f"preprocessing.{key}={pre[key]} but model_kwargs.{key}={kwargs[key]}")
    columns: list[str] = []
    for key in ("targets", "covariates"):
        value = pre.get(key, [] if key == "covariates" else None)
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise ValueError(f"preprocessing.{key}: expected a list of column names")
        columns += value
    if not pre["targets"]:
        raise ValueError("preprocessing.targets: empty")
    scaler = pre.get("scaler")
    if not isinstance(scaler, dict) or any(
        not isinstance(scaler.get(k), list) or len(scaler[k]) != len(columns)
        for k in ("mean", "std")
    ):
        raise ValueError(f"preprocessing.scaler: expected mean/std for the {len(columns)} columns")
    if kwargs.get("num_channels", len(columns)) != len(columns):
        raise ValueError(
            f"model_kwargs.num_channels={kwargs['num_channels']} for {len(columns)} columns"
        )


register_checkpoint_validator("ts", validate_ts_checkpoint)
