"""Run numba ``parallel=True`` kernels next to PyTorch without changing PyTorch's threading.

Numba's OpenMP threading layer, the first time it starts after PyTorch's OpenMP pool is up,
resets the OpenMP thread count of the calling thread: a user's ``torch.set_num_threads(1)`` then
silently becomes 2 on a 2-core machine, and PyTorch's ops run on a pool that competes with
numba's and with other processes. ``tools/bench/bench_numba_threads.py`` shows the changed
count and its cost for an S-Mamba-sized block.
:func:`with_torch_threads` wraps a kernel so that it runs on PyTorch's intra-op thread count
and leaves that count exactly as it found it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numba
import torch


def with_torch_threads(kernel: Callable[..., Any]) -> Callable[..., Any]:
    """``kernel`` run with ``numba.set_num_threads(torch.get_num_threads())`` (capped at numba's
    pool size), restoring ``torch.set_num_threads`` afterwards if numba changed it."""

    @functools.wraps(kernel)
    def run(*args: Any) -> Any:
        threads = torch.get_num_threads()
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        try:
            return kernel(*args)
        finally:
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)

    return run
