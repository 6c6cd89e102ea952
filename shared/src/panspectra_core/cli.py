"""Helpers shared by every domain CLI: common flags, error handling, devices, metrics, seeds.

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
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from panspectra_core.errors import UserError
from panspectra_core.io import OutputDir, atomic_write, check_output_file, write_json

__all__ = [
    "OutputDir",
    "UserError",
    "add_common_args",
    "apply_common_args",
    "atomic_write",
    "build_parser",
    "check_output_file",
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

_VERSIONED = ("panspectra-core", "panspectra-hsi", "panspectra-ts", "torch", "lightning", "numpy")


def package_versions(names: Iterable[str] = _VERSIONED) -> dict[str, str]:
    """Installed versions of ``names`` (missing packages are omitted)."""
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    out["python"] = sys.version.split()[0]
    return out


def cpu_description() -> str:
    """The CPU model and its bf16 matrix units, e.g. ``"Intel(R) Xeon(R) Processor (amx_bf16,
    avx512_bf16)"``: CPU-seconds of the same training differ about twofold between machines,
    and ``--precision bf16-mixed`` pays only with such units, so runs and benchmarks record it.
    Falls back to :func:`platform.processor` where ``/proc/cpuinfo`` is missing (not Linux)."""
    import platform

    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
                break  # the first processor describes them all
    except OSError:
        return model
    units = [flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags]
    return f"{model} ({', '.join(units) or 'no bf16 units'})"


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
    if threads is not None:
        if threads < 1:
            raise UserError(f"--threads {threads}: must be at least 1")
        import torch

        torch.set_num_threads(threads)


def resolve_device(name: str = "auto"):
    """``"auto"`` → CUDA if available else CPU; otherwise validate ``cpu``/``cuda[:N]``/``mps``."""
    import torch

    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"--device {name!r}: expected auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"--device {name}: CUDA is not available on this machine; use --device cpu")
    return device


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch (all devices); optionally force deterministic algorithms."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 (seeds legacy global-state users too)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-4"`` → list of ints (UserError otherwise)."""
    try:
        if "-" in text and "," not in text:
            lo, hi = (int(p) for p in text.split("-"))
            return list(range(lo, hi + 1))
        return [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise UserError(
            f"--seeds {text!r}: expected a list like 0,1,2 or a range like 0-4"
        ) from None


def write_metrics(
    directory: str | os.PathLike[str],
    metrics: dict[str, Any],
    *,
    command: Sequence[str] | None = None,
    seed: int | None = None,
) -> Path:
    """Write ``metrics.json`` = ``metrics`` plus a ``run`` block (versions, CPU, command, seed,
    time)."""
    payload = dict(metrics)
    payload["run"] = {
        "command": list(command) if command is not None else sys.argv,
        "seed": seed,
        "versions": package_versions(),
        "cpu": cpu_description(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return write_json(Path(directory) / "metrics.json", payload)


def summarize_seeds(
    runs: Sequence[dict[str, Any]], keys: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Mean ± sample std of scalar ``keys`` over several runs (one dict per seed)."""
    summary = {}
    for key in keys:
        values = [float(r[key]) for r in runs if r.get(key) is not None]
        if not values:
            continue
        mean = sum(values) / len(values)
        std = (
            math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
            if len(values) > 1
            else 0.0
        )
        summary[key] = {"mean": mean, "std": std, "values": values}
    return summary


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


_LIGHTNING_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning")
#: the level :func:`configure_logging` chose for Lightning's loggers (None: never called)
_lightning_level: int | None = None


def configure_logging(quiet: bool) -> None:
    """INFO-level progress messages on stderr unless ``--quiet``; Lightning's own INFO chatter
    (accelerator banners, tips, "fit stopped") is hidden, and with ``--quiet`` its warnings too.
    """
    global _lightning_level
    level = logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    _lightning_level = logging.ERROR if quiet else logging.WARNING
    apply_lightning_log_level()


def apply_lightning_log_level() -> None:
    """Re-apply the level :func:`configure_logging` chose to Lightning's loggers.

    Importing Lightning sets its loggers back to INFO, and the CLIs import it lazily (after
    logging is configured), so the trainer factory calls this before building a trainer.
    A no-op when :func:`configure_logging` was never called (library use keeps Lightning's
    defaults).
    """
    if _lightning_level is None:
        return
    for name in _LIGHTNING_LOGGERS:
        logging.getLogger(name).setLevel(_lightning_level)
