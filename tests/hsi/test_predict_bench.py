"""The predict benchmark measures the predict process's own peak memory, not its parent's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hsi_test_helpers import load_bench


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux procfs")
def test_bench_peak_rss_excludes_the_parents_peak():
    # On Linux a spawned child's ru_maxrss starts from the parent's resident size (the forked
    # address space is accounted to the child at exec), which made the bench's peak grow with
    # the scene its parent had just written; VmHWM is reset by exec.
    bench = load_bench("bench_hsi_predict")
    ballast = np.ones(256 * 2**20 // 8)  # 256 MiB resident in this (parent) process
    out = subprocess.run(
        [sys.executable, "-c", bench.PEAK_RSS + "print(*peak_rss_kib())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    del ballast
    own_mib, _ = (int(kib) / 1024 for kib in out.split())
    assert own_mib < 128, f"a bare interpreter reported a peak of {own_mib:.0f} MiB"
