"""Small registries for the choices a run makes by name (chemprop v2's idea): split protocols,
smoothers, schedulers, losses, metrics. Their keys are the CLI choices; an unknown key is
refused in one place, in words that name the option and the valid keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from panspectra_core.errors import UserError

T = TypeVar("T")


@dataclass(frozen=True)
class Component(Generic[T]):
    """A registered choice: its key, the object it names and a one-line description."""

    name: str
    obj: T
    help: str


class ComponentRegistry(Generic[T]):
    """Name → object for one kind of choice (e.g. ``"split protocol"``).

    Usage::

        PROTOCOLS = ComponentRegistry("split protocol")

        @PROTOCOLS.register("random", help="stratified random pixels")
        def random_split(...): ...

        PROTOCOLS.register("none", None, help="no smoothing")   # a plain value
        PROTOCOLS.get("random")                                   # the function
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, Component[T]] = {}

    def register(self, name: str, obj: Any = ..., *, help: str = "") -> Any:
        """Register ``obj`` under ``name``; without ``obj``, a decorator that registers the
        decorated function (its docstring's first line is the default help)."""

        def add(value: T) -> T:
            if name in self._items:
                raise ValueError(f"duplicate {self.kind} {name!r}")
            doc = help or ((getattr(value, "__doc__", None) or "").strip().splitlines() or [""])[0]
            self._items[name] = Component(name, value, doc)
            return value

        if obj is ...:
            return add
        return add(obj)

    def get(self, name: str, *, option: str | None = None) -> T:
        """The object registered as ``name``.

        Raises:
            UserError: ``name`` is unknown; the message names ``option`` (default: the kind)
            and lists the valid keys.
        """
        self.check(name, option=option)
        return self._items[name].obj

    def check(self, name: str, *, option: str | None = None) -> None:
        """Raise :class:`UserError` unless ``name`` is registered."""
        if name not in self._items:
            label = option or self.kind
            raise UserError(f"{label}={name!r}: expected one of {', '.join(self.names())}")

    def names(self) -> list[str]:
        return list(self._items)

    def describe(self) -> list[tuple[str, str]]:
        """``(name, help)`` pairs in registration order (for ``info``)."""
        return [(c.name, c.help) for c in self._items.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def registry_of(values: dict[str, str], kind: str) -> ComponentRegistry[str]:
    """A registry whose objects are the keys themselves, from ``{key: help}``."""
    registry: ComponentRegistry[str] = ComponentRegistry(kind)
    for key, text in values.items():
        registry.register(key, key, help=text)
    return registry
