"""One definition per run option, from which everything else is derived.

An :class:`Option` is declared once (name, type, default, help, group, whether a model recipe
may set it, validation); the CLI flag, the merge of a model's recipe with the user's values,
``--config run.yaml``, the benchmarks' ``--set key=value``, the ``config`` block of
``metrics.json``, the ``config.yaml`` written beside every run and a checkpoint's config are
all views of it.

Precedence when a run is resolved (:func:`resolve`): command-line flag > ``--config`` file >
the model's recipe (only for options with ``recipe=True``) > the option's default.

Why not jsonargparse: the recipe layer needs to know which values the user chose explicitly
(a recipe must not override them, and a default must not override a recipe); argparse with
suppressed defaults gives exactly that in a few lines, and keeps the ``--help`` of the existing
CLIs unchanged.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError
from panspectra_core.kit.components import ComponentRegistry

__all__ = [
    "Option",
    "RunConfig",
    "assignments",
    "fraction",
    "json_dict",
    "load_config_file",
    "name_list",
    "non_negative",
    "positive",
    "resolve",
]

Converter = Callable[[Any], Any]
Validator = Callable[[Any], str | None]


# ----------------------------------------------------------------- converters and validators


def name_list(value: Any) -> list[str] | None:
    """``"a,b,c"`` (or a list) → ``["a", "b", "c"]``; empty → ``None``."""
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    names = [str(v).strip() for v in items if str(v).strip()]
    return names or None


def json_dict(value: Any) -> dict[str, Any]:
    """A JSON object given as text (``'{"depth": 2}'``) or already a mapping."""
    if isinstance(value, Mapping):
        return dict(value)
    parsed = json.loads(str(value))
    if not isinstance(parsed, dict):
        raise ValueError('expected a JSON object like {"depth": 2}')
    return parsed


def seed_list(value: Any) -> list[int] | None:
    """``"0,1,2"``, ``"0-4"`` or a list → distinct ints."""
    from panspectra_core.reporting import parse_seed_list

    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return parse_seed_list(str(value))


def positive(value: Any) -> str | None:
    return None if value is None or value > 0 else "must be positive"


def non_negative(value: Any) -> str | None:
    return None if value is None or value >= 0 else "must be zero or positive"


def fraction(value: Any) -> str | None:
    return None if value is None or 0 < value < 1 else "expected a fraction in (0, 1)"


def probability(value: Any) -> str | None:
    return None if value is None or 0 <= value <= 1 else "expected a probability in [0, 1]"


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


# ------------------------------------------------------------------------------ the option


@dataclass(frozen=True)
class Option:
    """A run option.

    Args:
        name: Python name (``batch_size``); the flag is ``--batch-size``.
        type: converter from text or a config-file value (``int``, ``float``, ``Path``,
            :func:`name_list`, :func:`json_dict`, …); ``bool`` makes a ``store_true`` switch.
        default: the value when neither the user nor a recipe sets it.
        help: one line for ``--help``.
        group: ``--help`` section.
        recipe: a model's recipe may set it (the user's explicit value always wins).
        choices: the valid values: a sequence, a :class:`ComponentRegistry` or a function
            returning names (evaluated when validating, so registries may fill late).
        validate: ``value → error text or None`` for values that pass the type.
        required: the run cannot start without it (from the flag or the config file).
        aliases: extra flags, e.g. ``("-o",)``.
        merge: dict options: the user's dict is merged over the recipe's instead of
            replacing it (``model_kwargs``).
        record: written to ``config.yaml`` / ``metrics.json`` (not for ``output``,
            ``overwrite`` and other switches that do not change the result).
        cli: offered as a command-line flag (``False``: config file and recipes only).
        off_flags: switches only: flags that set it to ``False`` (``("--no-augment",)``), for
            options whose default (or recipe) may be ``True``.
    """

    name: str
    type: Converter = str
    default: Any = None
    help: str = ""
    group: str = "options"
    recipe: bool = False
    choices: Sequence[str] | ComponentRegistry | Callable[[], Iterable[str]] | None = None
    validate: Validator | None = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    metavar: str | None = None
    merge: bool = False
    record: bool = True
    cli: bool = True
    off_flags: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def is_switch(self) -> bool:
        return self.type is bool

    def valid_choices(self) -> list[str] | None:
        if self.choices is None:
            return None
        if isinstance(self.choices, ComponentRegistry):
            return self.choices.names()
        if callable(self.choices):
            return list(self.choices())
        return list(self.choices)

    def convert(self, raw: Any, where: str = "") -> Any:
        """``raw`` (text from a flag, or a config-file value) → the option's type.

        Raises:
            UserError: naming the option (and ``where`` it came from) and what was expected.
        """
        if raw is None:
            return None
        converter = _to_bool if self.is_switch else self.type
        try:
            value = converter(raw)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            expected = getattr(self.type, "__name__", "value")
            detail = str(exc).splitlines()[0] if str(exc) else f"expected {expected}"
            raise UserError(f"{where}{self.flag} {raw!r}: {detail}") from None
        except UserError as exc:
            raise UserError(f"{where}{exc}") from None
        if isinstance(value, float) and math.isnan(value):
            raise UserError(f"{where}{self.flag} {raw!r}: expected a number, not NaN")
        return value

    def check(self, value: Any) -> None:
        """Validate a converted value against ``choices`` and ``validate``."""
        if value is None:
            return
        choices = self.valid_choices()
        if choices is not None and value not in choices:
            valid = ", ".join(str(c) for c in choices)
            raise UserError(f"{self.flag} {value!r}: expected one of {valid}")
        if self.validate is not None:
            problem = self.validate(value)
            if problem:
                raise UserError(f"{self.flag} {value!r}: {problem}")

    def with_default(self, default: Any) -> Option:
        """A copy with another default (a domain adapting a shared option)."""
        return replace(self, default=default)


# --------------------------------------------------------------------------- the run config


@dataclass
class RunConfig(Mapping[str, Any]):
    """The resolved value of every option of a verb, and where each came from
    (``"user"``, ``"config"``, ``"recipe"``, ``"default"``). Read as ``cfg.lr`` or
    ``cfg["lr"]``."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    options: dict[str, Option] = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(f"run option {name!r} is not declared by this verb") from None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def explicit(self, exclude: Iterable[str] = ()) -> dict[str, Any]:
        """The values the user set (a flag or the config file), less the keys in ``exclude``:
        what a run derived from this one keeps (an ensemble member, a ``--select``
        candidate), and the settings data adaptation must leave alone."""
        skip = set(exclude)
        return {
            key: value
            for key, value in self.values.items()
            if self.sources.get(key) in ("user", "config") and key not in skip
        }

    def replace(self, **changes: Any) -> RunConfig:
        values = {**self.values, **changes}
        sources = {**self.sources, **dict.fromkeys(changes, "runner")}
        return RunConfig(values, sources, self.options)

    def recorded(self) -> dict[str, Any]:
        """The values that decide the result (``record=True``), JSON/YAML-ready."""
        return {
            k: _plain(v)
            for k, v in self.values.items()
            if k not in self.options or self.options[k].record
        }

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.recorded(), sort_keys=False, default_flow_style=False)


def _plain(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------- resolution


def load_config_file(path: str | os.PathLike[str], options: Mapping[str, Option]) -> dict:
    """Option values from a YAML (or JSON) file such as a run's ``config.yaml``.

    Raises:
        UserError: unreadable file, not a mapping, or a key no option of the verb declares.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--config {path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" (line {line + 1})" if line is not None else ""
        raise UserError(f"--config {path}: not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"--config {path}: expected a mapping of option: value")
    unknown = sorted(set(data) - set(options))
    if unknown:
        raise UserError(f"--config {path}: unknown option(s) {', '.join(unknown)}")
    return {k: options[k].convert(v, where=f"--config {path}: ") for k, v in data.items()}


def assignments(pairs: Iterable[str], options: Mapping[str, Option]) -> dict[str, Any]:
    """``["lr=1e-3", "model=cnn"]`` (a benchmark's ``--set``) → converted option values."""
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in options:
            raise UserError(f"--set {pair!r}: expected NAME=VALUE with NAME one of the options")
        out[key] = options[key].convert(text)
    return out


def resolve(
    options: Mapping[str, Option],
    explicit: Mapping[str, Any],
    *,
    from_config: Mapping[str, Any] | None = None,
    recipe: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
    data_defaults: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
) -> RunConfig:
    """Resolve every option: flag > config file > data defaults > recipe > default, then
    validate.

    Args:
        options: the verb's options by name.
        explicit: converted values the user gave on the command line.
        from_config: converted values of ``--config``.
        recipe: ``values so far → recipe values``; keys of options without ``recipe=True``
            are ignored, unknown keys are an error (a recipe naming no option is a bug).
        data_defaults: ``values so far → values the data prescribe`` (a named dataset's
            protocol, e.g. its lookback and horizon); they fill what the user left unset,
            win over the recipe, and are known to the recipe as its context.
    """
    values = {name: opt.default for name, opt in options.items()}
    sources = dict.fromkeys(options, "default")
    for layer, label in ((from_config or {}, "config"), (explicit, "user")):
        for key, value in layer.items():
            values[key] = value
            sources[key] = label
    if data_defaults is not None:
        for key, value in data_defaults(dict(values)).items():
            if key in options and sources[key] == "default" and value is not None:
                values[key] = value
                sources[key] = "dataset"
    _check_required(options, values, recipe_fills=recipe is not None)  # the recipe's context
    if recipe is not None:
        _apply_recipe(options, values, sources, recipe(dict(values)))
    _check_required(options, values)
    for name, opt in options.items():
        opt.check(values[name])
    return RunConfig(values, sources, dict(options))


def _check_required(
    options: Mapping[str, Option], values: Mapping[str, Any], *, recipe_fills: bool = False
) -> None:
    """UserError naming the first required option without a value; with ``recipe_fills``
    only those a recipe cannot set (a recipe is computed from them)."""
    for name, opt in options.items():
        if opt.required and values[name] is None and not (recipe_fills and opt.recipe):
            raise UserError(f"{opt.flag} is required")


def _apply_recipe(
    options: Mapping[str, Option],
    values: dict[str, Any],
    sources: dict[str, str],
    recipe: Mapping[str, Any],
) -> None:
    unknown = sorted(set(recipe) - set(options))
    if unknown:
        raise KeyError(f"recipe sets undeclared option(s): {', '.join(unknown)}")
    for key, value in recipe.items():
        opt = options[key]
        if not opt.recipe:
            continue
        if sources[key] in ("user", "config", "dataset"):
            if opt.merge and isinstance(value, Mapping):
                values[key] = {**value, **(values[key] or {})}
            continue
        values[key] = dict(value) if isinstance(value, Mapping) else value
        sources[key] = "recipe"
