"""The Diebold–Mariano test behind the verdict against the naive baselines."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from panspectra_ts.eval.significance import diebold_mariano


def test_one_step_windows_reduce_to_a_paired_t_test():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 0.3, 200), rng.normal(1.05, 0.3, 200)
    result = diebold_mariano(a, b, horizon=1)
    expected = stats.ttest_1samp(a - b, 0.0, alternative="less")
    assert result.lag == 0 and result.windows == 200
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


def test_a_clear_winner_is_significant_and_equal_forecasters_are_not():
    rng = np.random.default_rng(1)
    base = rng.gamma(2.0, 0.5, 500)
    better = base * 0.7 + rng.normal(0, 0.01, 500)
    assert diebold_mariano(better, base, horizon=24).p_value < 1e-3
    assert diebold_mariano(base, better, horizon=24).p_value > 0.999
    same = diebold_mariano(base, base, horizon=24)
    assert same.statistic == 0.0 and same.p_value == 0.5


def test_overlapping_windows_widen_the_variance():
    # the loss differential of overlapping 48-step windows is a moving sum of shared errors:
    # treating it as independent would call a small advantage significant
    rng = np.random.default_rng(2)
    shocks = rng.normal(0, 1, 600 + 47)
    shared = np.convolve(shocks, np.ones(48) / 48, mode="valid")
    d = shared - shared.mean() - 0.02  # a small advantage, exactly
    naive = stats.ttest_1samp(d, 0.0, alternative="less").pvalue
    result = diebold_mariano(d, np.zeros_like(d), horizon=48)
    assert result.lag == 47
    assert naive < 0.01 < result.p_value


def test_mismatched_losses_are_refused():
    with pytest.raises(ValueError, match="equal 1-D"):
        diebold_mariano(np.ones(5), np.ones(4), horizon=1)


def test_windows_that_all_overlap_cannot_show_a_difference():
    result = diebold_mariano(np.array([0.1, 0.1]), np.array([0.9, 0.9]), horizon=96)
    assert not result.testable and result.p_value == 1.0 and result.windows == 2
