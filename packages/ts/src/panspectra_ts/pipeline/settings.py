"""A run's training settings and data source, read off its resolved options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from panspectra_ts.options import SETTINGS_KEYS
from panspectra_ts.pipeline.source import SourceOptions


def settings_of(cfg: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> dict:
    """The training settings of a resolved run (``SETTINGS_KEYS``) and where they came from:
    ``source`` is ``"recipe"`` when the model's recipe set them, else ``"generic"``.

    Args:
        cfg: resolved option values (a :class:`~panspectra_core.kit.RunConfig` or a dict).
        sources: where each value came from (``RunConfig.sources``).
    """
    settings = {key: cfg[key] for key in SETTINGS_KEYS}
    settings["model_kwargs"] = dict(settings["model_kwargs"] or {})
    from_recipe = sources is not None and "recipe" in {sources.get(k) for k in SETTINGS_KEYS}
    settings["source"] = "recipe" if from_recipe or cfg.get("recipe_source") else "generic"
    if cfg.get("recipe_source"):
        settings["recipe_source"] = cfg["recipe_source"]
    return settings


def source_options(cfg: Mapping[str, Any]) -> SourceOptions:
    """The :class:`SourceOptions` named by a run's data options (same names)."""
    values = {f.name: cfg.get(f.name) for f in fields(SourceOptions)}
    values["data"] = None if values["data"] is None else str(values["data"])
    values["covariates"] = values["covariates"] or []
    values["fill"] = values["fill"] or "error"
    values["duplicates"] = values["duplicates"] or "error"
    return SourceOptions(**values)
