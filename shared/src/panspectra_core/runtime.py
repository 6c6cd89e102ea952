"""The process a run lives in: seeds, devices, threads, logging, versions and the CPU.

Nothing here parses arguments; the domain CLIs (:mod:`panspectra_core.kit`) and library users
call these functions directly.
"""

from __future__ import annotations

import logging
import os
import random
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, distributions, version
from pathlib import Path

from panspectra_core.errors import UserError

__all__ = [
    "apply_lightning_log_level",
    "configure_logging",
    "cpu_description",
    "package_versions",
    "panspectra_distributions",
    "resolve_device",
    "seed_everything",
    "set_threads",
]

log = logging.getLogger("panspectra")

#: third-party packages whose versions every run records beside PanSpectra's own
_THIRD_PARTY = ("torch", "lightning", "numpy")


def panspectra_distributions() -> list[str]:
    """Names of the installed PanSpectra distributions (``panspectra-core``, ``panspectra-hsi``,
    …), found through the installed metadata: the core names no domain."""
    names = set()
    for dist in distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith("panspectra-"):
            names.add(name)
    return sorted(names)


def package_versions(names: Iterable[str] | None = None) -> dict[str, str]:
    """Installed versions of ``names`` (default: every PanSpectra distribution plus torch,
    Lightning and NumPy; missing packages are omitted) and the Python version."""
    if names is None:
        names = [*panspectra_distributions(), *_THIRD_PARTY]
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    out["python"] = sys.version.split()[0]
    return out


def _cpu_model_and_flags() -> tuple[str, set[str]]:
    """The CPU model name and its feature flags (the first processor of ``/proc/cpuinfo``;
    :func:`platform.processor` and no flags where it is missing, i.e. not Linux)."""
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
        pass
    return model, flags


def cpu_bf16_units() -> list[str]:
    """The CPU's bf16 dot-product/matrix units (``amx_bf16``, ``avx512_bf16``): with them bf16
    autocast is faster than float32; without them oneDNN emulates bf16, slower."""
    flags = _cpu_model_and_flags()[1]
    return [flag for flag in ("amx_bf16", "avx512_bf16") if flag in flags]


def cpu_description() -> str:
    """The CPU model and its bf16 matrix units, e.g. ``"Intel(R) Xeon(R) Processor (amx_bf16,
    avx512_bf16)"``: CPU-seconds of the same training differ about threefold between machines,
    and bf16 mixed precision pays only with such units, so runs and benchmarks record it."""
    model = _cpu_model_and_flags()[0]
    return f"{model} ({', '.join(cpu_bf16_units()) or 'no bf16 units'})"


def set_threads(threads: int | None) -> None:
    """Set the CPU thread count of torch and of the BLAS/OpenMP libraries NumPy, SciPy and
    scikit-learn call (through ``threadpoolctl``), ``None`` keeping the defaults: on a busy
    machine a small NumPy eigendecomposition spread over every core is several times slower
    than on one.

    Raises:
        UserError: ``threads`` is below 1.
    """
    if threads is None:
        return
    if threads < 1:
        raise UserError(f"threads={threads}: must be at least 1")
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)


def resolve_device(name: str | None = "auto"):
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


_LIGHTNING_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning")
#: the level :func:`configure_logging` chose for Lightning's loggers (None: never called)
_lightning_level: int | None = None


#: libraries whose log records repeat what they then raise (rasterio logs every GDAL error at
#: INFO, and GDAL's warnings about a damaged file at WARNING, before raising the error), so a
#: CLI's one-line error would come after copies of its cause
_RAISING_LOGGERS = ("rasterio",)


def configure_logging(quiet: bool) -> None:
    """INFO-level progress messages on stderr unless ``quiet``; Lightning's own INFO chatter
    (accelerator banners, tips, "fit stopped") is hidden, and when quiet its warnings too;
    rasterio's records of GDAL errors and warnings are hidden (an error is raised and reported
    in the CLI's one line).
    """
    global _lightning_level
    level = logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr, force=True)
    for name in _RAISING_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
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
