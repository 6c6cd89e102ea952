"""The domain CLI frame: verbs declared once, with the behaviour every command shares.

A domain declares its commands and gets, for free: ``list-models``, ``info``, ``--version``
(versions found through the installed distributions), ``--config FILE.yaml`` and
``--print-config`` on every verb, one-line errors with exit code 2, staged outputs that appear
only when a run succeeds, ``--overwrite``, the multi-seed layout (:mod:`panspectra_core.kit.runs`)
and model recipes merged under the user's flags::

    app = DomainCLI("audio-classify", "Classify recordings.", domain="audio", model_tag="classify",
                    default_model="kwt_tiny")

    @app.verb("train", options=[*DATA, *COMMON_OPTIONS, *TRAINING_OPTIONS], output="dir")
    def train(cfg: RunConfig, out: Path) -> dict: ...

    main = app.main
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from panspectra_core.errors import UserError
from panspectra_core.io import OutputDir, check_output_file
from panspectra_core.kit.components import ComponentRegistry
from panspectra_core.kit.options import Option, RunConfig, load_config_file, resolve
from panspectra_core.kit.runs import run_seeds
from panspectra_core.runtime import configure_logging, package_versions, set_threads

log = logging.getLogger("panspectra")

Output = Literal["dir", "file"] | None
Handler = Callable[[RunConfig, Path | None], Any]


@dataclass
class Verb:
    """One command of a domain CLI.

    Attributes:
        name: the sub-command (``train``).
        handler: ``(cfg, out) → metrics dict`` (``out``: the staging folder of ``output="dir"``
            verbs, the checked file path of ``output="file"`` verbs, else ``None``).
        options: the verb's options by name.
        help: one line for the command list.
        output: ``"dir"`` (staged folder, seeds, metrics.json, config.yaml), ``"file"``
            (a single output file, checked before any work) or ``None``.
        context: ``resolved values → recipe context`` (default: the values themselves; a
            recipe function receives only the keys it names).
        data_defaults: ``values → option values the data prescribe`` (see
            :func:`~panspectra_core.kit.options.resolve`).
    """

    name: str
    handler: Handler
    options: dict[str, Option]
    help: str
    output: Output = None
    context: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    description: str = ""
    data_defaults: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None


@dataclass
class DomainCLI:
    """A domain's command-line program (see the module docstring).

    Args:
        prog: the program name (``hsi-classify``).
        description: one paragraph for ``--help``.
        domain: the model-registry domain (``list-models`` and recipes look there).
        model_tag: only models carrying this tag are listed / accepted (one domain, several
            programs: ``audio-classify`` vs ``audio-enhance``).
        default_model: the model used without ``--model``: a name, or a function of the
            resolved values returning a name or ``(name, option values)``; those values are
            applied like the default's recipe (over the model's recipe, under the user's flags).
        components: registries shown by ``info`` (``{"split protocols": PROTOCOLS}``).
        datasets_domain: the manifest folder ``info`` lists (default: ``domain``).
        standalone: a program with a single command and no verbs (``hsi-unmix --cube …``):
            the one declared verb's options are the program's own.
    """

    prog: str
    description: str
    domain: str
    model_tag: str | None = None
    default_model: str | Callable[[dict[str, Any]], str | tuple[str, dict]] | None = None
    components: dict[str, ComponentRegistry] = field(default_factory=dict)
    datasets_domain: str | None = None
    standalone: bool = False
    verbs: dict[str, Verb] = field(default_factory=dict)

    # -- declaration ------------------------------------------------------------------------

    def verb(
        self,
        name: str,
        *,
        options: Iterable[Option],
        help: str,
        output: Output = None,
        context: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        description: str = "",
        data_defaults: Callable[[dict[str, Any]], Mapping[str, Any]] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Decorator declaring ``handler`` as the verb ``name``."""
        by_name: dict[str, Option] = {}
        for opt in options:
            if opt.name in by_name:
                raise ValueError(f"{self.prog} {name}: option {opt.name!r} declared twice")
            by_name[opt.name] = opt

        def decorator(handler: Handler) -> Handler:
            self.verbs[name] = Verb(
                name, handler, by_name, help, output, context, description, data_defaults
            )
            return handler

        return decorator

    # -- running ----------------------------------------------------------------------------

    def main(self, argv: Sequence[str] | None = None) -> int:
        """Entry point: parse, run, and turn a :class:`UserError` into one line + exit 2."""
        _exit_cleanly_on_sigterm()
        try:
            result = self._dispatch(argv)
            return result if isinstance(result, int) else 0
        except UserError as exc:
            message = " ".join(str(exc).split())  # one line, always
            print(f"{self.prog}: error: {message}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{self.prog}: interrupted", file=sys.stderr)
            return 130

    def run(self, verb: str, values: Mapping[str, Any]) -> Any:
        """Run ``verb`` from Python with option ``values`` (as if given as flags)."""
        chosen = self.verbs[verb]
        explicit = {k: chosen.options[k].convert(v) for k, v in values.items()}
        return self._execute(chosen, self.resolve(chosen, explicit))

    def resolve(
        self, verb: Verb, explicit: Mapping[str, Any], from_config: Mapping | None = None
    ) -> RunConfig:
        """Resolve a verb's options, applying the default model and its recipe."""
        return resolve(
            verb.options,
            explicit,
            from_config=from_config,
            recipe=self._recipe(verb),
            data_defaults=verb.data_defaults,
        )

    def _recipe(self, verb: Verb) -> Callable[[dict[str, Any]], Mapping[str, Any]] | None:
        if "model" not in verb.options:
            return None

        def recipe(values: dict[str, Any]) -> Mapping[str, Any]:
            from panspectra_core.registry import MODELS

            extra: dict[str, Any] = {}
            if values.get("model") is None:
                values["model"], extra = _name_and_values(self._default_model(values))
            name = values["model"]
            if name is None:
                return {}
            self.check_model(name)
            context = verb.context(values) if verb.context else values
            recipe_values = {**MODELS.get(name).recipe_for(**context), **extra}
            recipe_values["model"] = name
            return recipe_values

        return recipe

    def _default_model(self, values: dict[str, Any]) -> str | None:
        if callable(self.default_model):
            return self.default_model(values)
        return self.default_model

    def check_model(self, name: str) -> None:
        """Raise :class:`UserError` unless ``name`` is a model of this program."""
        names = self.model_names()
        if name not in names:
            raise UserError(f"--model {name!r}: expected one of {', '.join(names)}")

    def model_names(self) -> list[str]:
        from panspectra_core.registry import list_models

        return list_models(domain=self.domain, tag=self.model_tag)

    def _dispatch(self, argv: Sequence[str] | None) -> Any:
        parser = self.parser()
        args = parser.parse_args(argv)
        if args.command == "list-models" and "list-models" not in self.verbs:
            return self._list_models(args.pattern)
        if args.command == "info" and "info" not in self.verbs:
            return self.describe()
        verb = self.verbs[args.command]
        explicit = {
            key: verb.options[key].convert(value)
            for key, value in vars(args).items()
            if key in verb.options
        }
        from_config = load_config_file(args.config, verb.options) if args.config else None
        cfg = self.resolve(verb, explicit, from_config)
        if args.print_config:
            print(cfg.to_yaml(), end="")
            return 0
        return self._execute(verb, cfg)

    def _execute(self, verb: Verb, cfg: RunConfig) -> Any:
        """Apply the run-time options, stage the outputs and call the handler; returns its
        result (for ``output="dir"``: the metrics written to ``metrics.json``)."""
        configure_logging(bool(cfg.get("quiet", False)))
        set_threads(cfg.get("threads"))
        if verb.output == "dir":
            with OutputDir(
                cfg.output, overwrite=cfg.get("overwrite", False), resume=cfg.get("resume", False)
            ) as staging:
                result = run_seeds(cfg, staging, verb.handler)
            log.info("wrote %s", cfg.output)
            return result
        if verb.output == "file":
            return verb.handler(cfg, check_output_file(cfg.output, cfg.get("overwrite", False)))
        return verb.handler(cfg, None)

    # -- the parser -------------------------------------------------------------------------

    def parser(self) -> argparse.ArgumentParser:
        parser = _OneLineParser(prog=self.prog, description=self.description)
        parser.add_argument("--version", action="version", version=self.version_line())
        if self.standalone:  # one command, no verbs: its options are the program's
            (verb,) = self.verbs.values()
            _add_verb_arguments(parser, verb)
            parser.set_defaults(command=verb.name)
            return parser
        sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
        for verb in self.verbs.values():
            p = sub.add_parser(verb.name, help=verb.help, description=verb.description or verb.help)
            _add_verb_arguments(p, verb)
        if "list-models" not in self.verbs:
            models = sub.add_parser("list-models", help="registered models with their tags")
            models.add_argument("pattern", nargs="?", default="*", help="glob, e.g. '*mamba*'")
        if "info" not in self.verbs:
            sub.add_parser("info", help="datasets, choices, versions and the CPU")
        return parser

    def version_line(self) -> str:
        versions = package_versions()
        versions.pop("python", None)
        return f"{self.prog} (" + " ".join(f"{k}={v}" for k, v in versions.items()) + ")"

    # -- built-in verbs -----------------------------------------------------------------------

    def _list_models(self, pattern: str) -> int:
        from panspectra_core.registry import list_models, model_entry

        names = list_models(pattern, domain=self.domain, tag=self.model_tag)
        default = _name_and_values(self._default_model({}))[0]  # a plain run's default
        for name in names:
            entry = model_entry(name)
            marks = ",".join(t for t in entry.tags if t != self.model_tag)
            star = " (default)" if name == default else ""
            recipe = "recipe" if entry.recipe is not None else "-"
            print(f"{name:<28} {marks:<28} {recipe:<7} {entry.doc}{star}")
        return 0

    def describe(self) -> int:
        """Print the built-in `info`: named datasets, the registered choices, the models,
        versions and the CPU (a domain's own `info` verb may fall back to it)."""
        from panspectra_core.datasets import list_datasets, load_manifest
        from panspectra_core.runtime import cpu_description

        print(f"{self.prog}: {self.description}")
        domain = self.datasets_domain or self.domain
        print("\nnamed datasets:")
        for name in list_datasets(domain):
            manifest = load_manifest(domain, name)
            print(f"  {name:<24} {manifest.title}")
        for title, registry in self.components.items():
            print(f"\n{title}:")
            for key, text in registry.describe():
                print(f"  {key:<24} {text}")
        print("\nmodels: " + ", ".join(self.model_names()))
        print("\n" + self.version_line())
        print(f"cpu: {cpu_description()}")
        return 0


def _name_and_values(choice: Any) -> tuple[str | None, dict[str, Any]]:
    """A default-model choice (a name, or ``(name, option values)``) → ``(name, values)``."""
    if isinstance(choice, tuple):
        name, values = choice
        return name, dict(values)
    return choice, {}


def _exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM (``kill``, a batch scheduler's time limit) into ``SystemExit(143)`` so that
    staged outputs are removed as on any failure; resumable progress stays in ``DIR/.progress``.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


class _OneLineParser(argparse.ArgumentParser):
    """argparse whose usage errors are :class:`UserError` (one line, exit 2) instead of a
    usage block, and which takes no abbreviated flags (``--data`` must not become
    ``--dataset`` on a program that has only the latter)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        raise UserError(
            f"{self.prog.split(' ', 1)[-1]}: {message}" if " " in self.prog else message
        )


def _add_verb_arguments(parser: argparse.ArgumentParser, verb: Verb) -> None:
    """A verb's options plus ``--config`` and ``--print-config``."""
    _add_options(parser, verb.options.values())
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE.yaml",
        help="option values from a file (a run's config.yaml reproduces it)",
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the resolved options as YAML and exit"
    )


def _add_options(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    groups: dict[str, Any] = {}
    for opt in options:
        if not opt.cli:
            continue
        group = groups.get(opt.group)
        if group is None:
            group = groups[opt.group] = parser.add_argument_group(opt.group)
        text = opt.help
        choices = opt.valid_choices() if not callable(opt.choices) else None
        if choices:
            text = f"{text} [{', '.join(str(c) for c in choices)}]"
        if opt.default is not None and not opt.is_switch and not opt.recipe:
            text = f"{text} (default: {opt.default})"
        flags = [opt.flag, *opt.aliases]
        if opt.is_switch:
            group.add_argument(
                *flags,
                dest=opt.name,
                action="store_const",
                const=True,
                default=argparse.SUPPRESS,
                help=text,
            )
            if opt.off_flags:
                group.add_argument(
                    *opt.off_flags,
                    dest=opt.name,
                    action="store_const",
                    const=False,
                    default=argparse.SUPPRESS,
                    help=f"turn {opt.flag} off",
                )
        else:
            group.add_argument(
                *flags,
                dest=opt.name,
                default=argparse.SUPPRESS,
                help=text,
                metavar=opt.metavar or opt.name.upper(),
            )
