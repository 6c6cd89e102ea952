"""Run a CLI entry point (``"module:function"``, ``function(argv) -> int``) and capture its exit
code and stderr: in this process, or in a child forked from a warm forkserver so that a
segfault or an endless loop fails one case instead of the whole test run."""

from __future__ import annotations

import contextlib
import importlib
import io
import multiprocessing
import os
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Outcome:
    """What a run did: exit code and stderr text."""

    code: int | None
    stderr: str


def _main(entry: str) -> Callable[[list[str]], int]:
    module, _, function = entry.partition(":")
    return getattr(importlib.import_module(module), function)


def _call(entry: str, argv: list[str]) -> int:
    """``main(argv)`` with argparse's ``SystemExit`` turned into its code; warnings (e.g. a
    domain package that failed to import elsewhere) are not part of the contract."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = _main(entry)(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return int(code or 0)


def run_in_process(entry: str, argv: list[str]) -> Outcome:
    """Call the CLI in this process, capturing stdout and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code: int | None = _call(entry, argv)
        except BaseException:
            traceback.print_exc(file=err)
            code = None
    return Outcome(code, err.getvalue())


def _child(entry: str, argv: list[str], err_path: str) -> None:
    fd = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 2)
    sys.stderr = open(2, "w", closefd=False)
    sys.stdout = io.StringIO()
    try:
        code = _call(entry, argv)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stderr.flush()
    os._exit(code)


#: heavy libraries the forkserver imports once (when this process has them), so each child
#: starts warm instead of importing torch again
_HEAVY = ("numpy", "scipy", "torch", "sklearn", "skops.io", "safetensors", "pandas", "rasterio")


def _preload(entry: str) -> list[str]:
    loaded = [m for m in sys.modules if m.startswith("panspectra_") and "." not in m]
    return [*[m for m in _HEAVY if m in sys.modules], *loaded, entry.partition(":")[0]]


def run_isolated(entry: str, argv: list[str], timeout: float) -> Outcome:
    """Run the CLI in a child forked from a warm forkserver (the entry's module preloaded),
    so a segfault or an endless loop is contained: ``code`` is ``-signal`` after a crash and
    ``None`` after ``timeout`` seconds (the child is killed)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preload(entry))
    with tempfile.NamedTemporaryFile(suffix=".stderr") as err:
        child = context.Process(target=_child, args=(entry, argv, err.name))
        child.start()
        child.join(timeout)
        if child.is_alive():
            child.kill()
            child.join()
            return Outcome(None, Path(err.name).read_text() + f"\n<killed after {timeout} s>")
        return Outcome(child.exitcode, Path(err.name).read_text())
