"""Training settings: the paper recipe of a model (from ``panspectra_ts.models.recipes``) merged
with the user's explicit overrides. A model without a recipe gets Time-Series-Library-like
generic settings, stated in the run's metrics so nothing is hidden."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

DEFAULT_LOOKBACK = 96
FALLBACK_MODEL = "dlinear"


@dataclass(frozen=True)
class TrainSettings:
    """Everything that decides how one model is trained.

    Attributes mirror ``panspectra_ts.models.recipes.Recipe`` (epochs, lr, batch_size, patience,
    loss, scheduler, model_kwargs) plus ``lookback``, ``weight_decay`` and ``source`` (where the
    values came from: ``"recipe"`` or ``"generic"``).
    """

    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 32
    patience: int | None = 3
    loss: str = "mse"
    scheduler: str = "cosine"
    weight_decay: float = 0.0
    lookback: int = DEFAULT_LOOKBACK
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    source: str = "generic"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_model() -> str:
    """The benchmark winner named by ``panspectra_ts.models.recipes.DEFAULT_MODEL``."""
    try:
        from panspectra_ts.models.recipes import DEFAULT_MODEL
    except ImportError:
        return FALLBACK_MODEL
    return DEFAULT_MODEL


def recipe_settings(model: str, horizon: int, dataset: str | None = None) -> TrainSettings:
    """Settings from the model's paper recipe, or generic ones when it has none."""
    try:
        from panspectra_ts.models.recipes import get_recipe
    except ImportError:
        return TrainSettings()
    try:
        recipe = get_recipe(model, horizon, dataset)
    except (KeyError, ValueError, LookupError):
        return TrainSettings()
    names = {f.name for f in fields(TrainSettings)}
    values = {n: getattr(recipe, n) for n in names if hasattr(recipe, n)}
    values["model_kwargs"] = dict(getattr(recipe, "model_kwargs", {}) or {})
    values["source"] = "recipe"
    return TrainSettings(**values)


def resolve_settings(
    model: str, horizon: int, dataset: str | None = None, **overrides: Any
) -> TrainSettings:
    """Recipe settings with every non-``None`` override applied (``model_kwargs`` merged)."""
    settings = recipe_settings(model, horizon, dataset)
    extra_kwargs = overrides.pop("model_kwargs", None) or {}
    chosen = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(chosen) - {f.name for f in fields(TrainSettings)}
    if unknown:
        raise TypeError(f"unknown training settings: {sorted(unknown)}")
    settings = replace(settings, **chosen)
    if extra_kwargs:
        settings = replace(settings, model_kwargs={**settings.model_kwargs, **extra_kwargs})
    return settings
