"""The vectorisable exp used by the numba kernels against NumPy's float64 exp."""

from __future__ import annotations

import math

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from panspectra_core.numba_math import exp_vectorisable  # noqa: E402


@numba.njit
def _exp_all(values):
    out = np.empty_like(values)
    for i in range(values.size):
        out[i] = exp_vectorisable(values[i])
    return out


def test_float32_exp_is_within_one_ulp_over_its_range():
    x = np.linspace(-87.3, 88.3, 400_001).astype(np.float32)
    exact = np.exp(x.astype(np.float64))
    ulp = np.spacing(exact.astype(np.float32)).astype(np.float64)
    error_in_ulp = np.abs(_exp_all(x).astype(np.float64) - exact) / ulp
    assert error_in_ulp.max() < 1.0


def test_float32_exp_edges():
    x = np.array([np.nan, -np.inf, -1000.0, 0.0, 88.5, np.inf], dtype=np.float32)
    out = _exp_all(x)
    assert out.dtype == np.float32
    assert np.isnan(out[0])
    smallest_normal = np.finfo(np.float32).tiny
    assert out[1] == out[2] == pytest.approx(smallest_normal, rel=1e-6)
    assert out[3] == 1.0
    assert np.isinf(out[4]) and np.isinf(out[5])


def test_float64_is_libm_exp():
    x = np.array([-700.0, -3.25, 0.5, 700.0])
    assert _exp_all(x).tolist() == [math.exp(v) for v in x]
