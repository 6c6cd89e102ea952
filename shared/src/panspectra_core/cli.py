"""The argparse frame of the hsi and ts CLIs: common flags, one-line errors, ``--version``.

New domains declare their CLI with :mod:`panspectra_core.kit` instead. The run-time helpers
(seeds, devices, logging, versions) live in :mod:`panspectra_core.runtime` and the metrics files
in :mod:`panspectra_core.reporting`; they are re-exported here for the existing callers.

Conventions (the same in every domain):

- verb subcommands ``train | evaluate | predict | list-models | info``;
- common flags ``--output DIR``, ``--overwrite``, ``--seed``, ``--quiet``, ``--device``;
- a user mistake raises :class:`UserError` → ``prog: error: <one line>`` on stderr, exit 2;
- every run writes ``metrics.json`` (:func:`write_metrics`) with the package versions, the
  command line and the seed, next to its other outputs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from panspectra_core.errors import UserError
from panspectra_core.io import OutputDir, atomic_write, check_output_file, write_json
from panspectra_core.reporting import parse_seed_list, summarize_seeds, write_metrics
from panspectra_core.runtime import (
    apply_lightning_log_level,
    configure_logging,
    cpu_description,
    package_versions,
    resolve_device,
    seed_everything,
    set_threads,
)

__all__ = [
    "OutputDir",
    "UserError",
    "add_common_args",
    "apply_common_args",
    "apply_lightning_log_level",
    "atomic_write",
    "build_parser",
    "check_output_file",
    "configure_logging",
    "cpu_description",
    "package_versions",
    "parse_seeds",
    "resolve_device",
    "run_main",
    "seed_everything",
    "summarize_seeds",
    "write_json",
    "write_metrics",
]

log = logging.getLogger("panspectra")


def build_parser(
    prog: str, description: str, package: str
) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """A top-level parser with ``--version`` and a required subcommand."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    versions = " ".join(
        f"{k}={v}" for k, v in package_versions((package, "panspectra-core", "torch")).items()
    )
    parser.add_argument("--version", action="version", version=f"{prog} ({versions})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    return parser, sub


def add_common_args(parser: argparse.ArgumentParser, *, output_required: bool = True) -> None:
    """Add ``--output``, ``--overwrite``, ``--seed``, ``--quiet``, ``--device`` and ``--threads``
    (act on them with :func:`apply_common_args`)."""
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        required=output_required,
        metavar="PATH",
        help="where to write results (refused if it exists, unless --overwrite)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print only errors and the result"
    )
    parser.add_argument(
        "--device",
        default="auto",
        metavar="DEV",
        help="auto (CUDA when present, else CPU), cpu, cuda or cuda:N (default: auto)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="CPU threads for torch (default: torch's; 1 is much faster on a busy machine)",
    )


def apply_common_args(args: argparse.Namespace) -> None:
    """Act on the common flags every command shares: logging (``--quiet``) and ``--threads``.

    Raises:
        UserError: ``--threads`` is below 1.
    """
    configure_logging(getattr(args, "quiet", False))
    threads = getattr(args, "threads", None)
    if threads is not None and threads < 1:
        raise UserError(f"--threads {threads}: must be at least 1")
    set_threads(threads)


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-4"`` → list of ints (UserError naming ``--seeds`` otherwise)."""
    try:
        return parse_seed_list(text)
    except UserError:
        raise UserError(
            f"--seeds {text!r}: expected a list like 0,1,2 or a range like 0-4"
        ) from None


def run_main(
    main: Callable[[Sequence[str] | None], int | None], argv: Sequence[str] | None = None
) -> int:
    """Run a CLI body; turn :class:`UserError` into ``prog: error: msg`` and exit code 2.

    Unexpected exceptions keep their traceback (they are bugs, not user mistakes).
    """
    prog = Path(sys.argv[0]).name or "panspectra"
    try:
        code = main(argv)
    except UserError as exc:
        message = " ".join(str(exc).split())  # one line, always
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)
