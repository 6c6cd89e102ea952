"""Temperature scaling (panspectra_core.calibration) on synthetic logits whose true temperature
is known: labels drawn from softmax(z / T0) make ``z`` mis-calibrated by exactly ``T0``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panspectra_core.calibration import (
    T_MAX,
    T_MIN,
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
)


def synthetic(true_t: float, n: int = 20_000, classes: int = 10, seed: int = 0):
    """(logits z (n, C), labels ~ softmax(z / true_t)) with a class-dependent offset, so the
    model is right more often than chance."""
    g = torch.Generator().manual_seed(seed)
    labels_hint = torch.randint(classes, (n,), generator=g)
    z = 2.0 * torch.randn(n, classes, generator=g)
    z[torch.arange(n), labels_hint] += 3.0
    labels = torch.multinomial((z / true_t).softmax(1), 1, generator=g).squeeze(1)
    return z, labels


@pytest.mark.parametrize("true_t", [0.5, 2.5])
def test_recovers_a_known_temperature(true_t):
    z, y = synthetic(true_t)
    assert fit_temperature(z, y) == pytest.approx(true_t, rel=0.05)


def test_calibrated_logits_keep_a_temperature_near_one():
    z, y = synthetic(1.0, seed=1)
    assert fit_temperature(z, y) == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("true_t", [0.4, 3.0])  # under-confident, over-confident
def test_scaling_fitted_on_validation_lowers_test_ece(true_t):
    z, y = synthetic(true_t, n=30_000, seed=2)
    val, test = slice(0, 10_000), slice(10_000, None)
    t = fit_temperature(z[val], y[val])
    before = expected_calibration_error(z[test].softmax(1).numpy(), y[test].numpy())
    after = expected_calibration_error(apply_temperature(z[test], t).numpy(), y[test].numpy())
    assert before > 0.05 and after < 0.02 and after < before / 4
    # the arg-max, hence accuracy, does not move
    assert torch.equal(apply_temperature(z[test], t).argmax(1), z[test].argmax(1))


def test_numpy_input_and_determinism():
    z, y = synthetic(2.0, n=2000, seed=3)
    first = fit_temperature(z.numpy(), y.numpy())
    assert first == fit_temperature(z, y) == fit_temperature(z.float(), y)
    assert first == pytest.approx(2.0, rel=0.15)


def test_empty_input_gives_one_and_separable_data_stays_in_range():
    assert fit_temperature(torch.zeros(0, 10), torch.zeros(0, dtype=torch.long)) == 1.0
    z = torch.tensor([[5.0, -5.0], [-5.0, 5.0]]).repeat(50, 1)
    y = torch.tensor([0, 1]).repeat(50)
    # right with margin: the NLL keeps falling as T -> 0; always wrong: T -> infinity
    assert T_MIN <= fit_temperature(z, y) < 1.0
    assert fit_temperature(z, 1 - y) == T_MAX


def test_bad_input_is_refused():
    z = torch.randn(4, 3)
    with pytest.raises(ValueError, match="labels"):
        fit_temperature(z, torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="expected"):
        fit_temperature(z, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="infinite"):
        fit_temperature(torch.tensor([[np.nan, 0.0]]), torch.tensor([0]))
    with pytest.raises(ValueError, match="temperature"):
        apply_temperature(z, 0.0)
