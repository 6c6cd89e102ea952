"""One generic, typed model registry shared by every domain (after timm's ``register_model``).

Each model variant is a small builder function registered under a unique name with its domain::

    @register_model(domain="hsi", tags=("transformer",))
    def spectralformer(num_bands: int, num_classes: int, **overrides) -> nn.Module: ...

    model = create_model("spectralformer", num_bands=200, num_classes=16)
    list_models("*former*", domain="hsi")

Discovery is lazy: domain packages announce a module in the ``panspectra.models`` entry-point
group and it is imported on the first lookup. A domain whose import fails (e.g. a broken optional
dependency) is skipped with a warning, so it cannot break the other domains. Duplicate names are
errors.
"""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: training settings attached to a model: option values, or a function of the task context
Recipe = Mapping[str, Any] | Callable[..., Mapping[str, Any]]

ENTRY_POINT_GROUP = "panspectra.models"


class RegistryError(KeyError):
    """An unknown or duplicate name in a registry."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Entry(Generic[T]):
    """A registered builder with its name, domain, tags and docstring."""

    name: str
    domain: str
    builder: Callable[..., T]
    tags: tuple[str, ...] = ()
    doc: str = field(default="", compare=False)
    recipe: Recipe | None = field(default=None, compare=False)

    def recipe_for(self, **context: Any) -> dict[str, Any]:
        """The training settings this model's recipe gives for ``context`` (``{}`` without one).

        A recipe is a dict of option values, or a function of the task context returning one
        (e.g. of ``horizon`` and ``dataset`` for forecasting); the function receives only the
        context keys it names, and unknown or ``None``-valued context is not passed.
        """
        if self.recipe is None:
            return {}
        if not callable(self.recipe):
            return dict(self.recipe)
        params = inspect.signature(self.recipe).parameters
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        chosen = {k: v for k, v in context.items() if v is not None and (takes_all or k in params)}
        return dict(self.recipe(**chosen))


class Registry(Generic[T]):
    """A name → builder mapping with glob listing and lazy entry-point discovery.

    Args:
        kind: what is registered (used in error messages), e.g. ``"model"``.
        entry_point_group: entry-point group whose modules are imported on first lookup.
    """

    def __init__(self, kind: str, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._group = entry_point_group
        self._discovered = entry_point_group is None
        self.failed_domains: dict[str, str] = {}

    def register(
        self,
        name: str | None = None,
        *,
        domain: str,
        tags: Iterable[str] = (),
        recipe: Recipe | None = None,
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``fn`` under ``name`` (default: the function's name), with
        an optional training ``recipe`` (see :meth:`Entry.recipe_for`)."""

        def decorator(fn: Callable[..., T]) -> Callable[..., T]:
            key = name or fn.__name__
            if key in self._entries:
                existing = self._entries[key]
                raise RegistryError(
                    f"duplicate {self.kind} name {key!r}: already registered by "
                    f"{existing.builder.__module__}.{existing.builder.__qualname__}"
                )
            doc = (fn.__doc__ or "").strip().splitlines()
            self._entries[key] = Entry(key, domain, fn, tuple(tags), doc[0] if doc else "", recipe)
            return fn

        return decorator

    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        for ep in entry_points(group=self._group):
            try:
                importlib.import_module(ep.value.split(":")[0])
            except Exception as exc:  # one broken domain must not break the others
                self.failed_domains[ep.name] = f"{type(exc).__name__}: {exc}"
                warnings.warn(
                    f"panspectra: {self.kind}s of domain {ep.name!r} unavailable "
                    f"({type(exc).__name__}: {exc})",
                    RuntimeWarning,
                    stacklevel=3,
                )

    def get(self, name: str) -> Entry[T]:
        self._discover()
        try:
            return self._entries[name]
        except KeyError:
            close = fnmatch.filter(self._entries, f"*{name}*")
            hint = f"; similar: {', '.join(sorted(close)[:5])}" if close else ""
            raise RegistryError(
                f"unknown {self.kind} {name!r}{hint} (see list_models() for all names)"
            ) from None

    def create(self, name: str, **kwargs: Any) -> T:
        return self.get(name).builder(**kwargs)

    def list(
        self, pattern: str = "*", domain: str | None = None, tag: str | None = None
    ) -> list[str]:
        self._discover()
        return sorted(
            n
            for n, e in self._entries.items()
            if fnmatch.fnmatchcase(n, pattern)
            and (domain is None or e.domain == domain)
            and (tag is None or tag in e.tags)
        )

    def __contains__(self, name: str) -> bool:
        self._discover()
        return name in self._entries


MODELS: Registry[Any] = Registry("model", ENTRY_POINT_GROUP)


def register_model(
    name: str | None = None,
    *,
    domain: str,
    tags: Iterable[str] = (),
    recipe: Recipe | None = None,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Register a model builder in the global model registry (decorator).

    ``recipe`` attaches the model's training settings (timm's ``default_cfgs`` idea): a dict of
    option values (``{"epochs": 40, "lr": 1e-3}``) or a function of the task context returning
    one (``lambda horizon: {...}``), so adding a model is one edit in one file.
    """
    return MODELS.register(name, domain=domain, tags=tags, recipe=recipe)


def create_model(name: str, **kwargs: Any) -> Any:
    """Build the registered model ``name`` with keyword arguments ``kwargs``."""
    return MODELS.create(name, **kwargs)


def list_models(pattern: str = "*", domain: str | None = None, tag: str | None = None) -> list[str]:
    """Sorted names of registered models matching the glob ``pattern`` (and ``domain``, and
    carrying ``tag``)."""
    return MODELS.list(pattern, domain, tag)


def get_recipe(name: str, **context: Any) -> dict[str, Any]:
    """The training recipe of model ``name`` for the task ``context`` (``{}`` without one)."""
    return MODELS.get(name).recipe_for(**context)


def model_entry(name: str) -> Entry[Any]:
    """The registry entry (builder, domain, tags, one-line doc) of model ``name``."""
    return MODELS.get(name)
