"""Haar DWT (1D and 2D): layout, exact inversion, Parseval, references, PyWavelets oracle."""

from __future__ import annotations

import pytest
import torch

from panspectra_core.spectral import (
    haar_dwt,
    haar_dwt2d,
    haar_dwt2d_ref,
    haar_dwt_ref,
    haar_idwt,
    haar_idwt2d,
    haar_matrix,
)


def _randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _energy_1d(coeffs):
    return sum(c.square().sum() for c in coeffs)


def _energy_2d(coeffs):
    return coeffs[0].square().sum() + sum(b.square().sum() for bands in coeffs[1:] for b in bands)


def test_haar_dwt_layout_and_values_on_a_small_signal():
    x = torch.tensor([1.0, 3.0, 5.0, 9.0], dtype=torch.float64)
    approx, detail_2, detail_1 = haar_dwt(x, levels=2)
    s2 = 2.0**0.5
    torch.testing.assert_close(detail_1, torch.tensor([-2.0, -4.0], dtype=torch.float64) / s2)
    level1_approx = torch.tensor([4.0, 14.0], dtype=torch.float64) / s2
    torch.testing.assert_close(detail_2, ((level1_approx[0] - level1_approx[1]) / s2).reshape(1))
    torch.testing.assert_close(approx, torch.tensor([18.0 / 2.0], dtype=torch.float64))


@pytest.mark.parametrize("levels", [1, 2, 4])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_haar_dwt_round_trip_parseval_and_reference(levels, dtype):
    x = _randn(3, 2, 48, seed=levels, dtype=dtype)
    coeffs = haar_dwt(x, levels)
    assert [c.shape[-1] for c in coeffs] == [48 // 2**levels] + [
        48 // 2**j for j in range(levels, 0, -1)
    ]
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(haar_idwt(coeffs), x, atol=tol, rtol=tol)
    torch.testing.assert_close(_energy_1d(coeffs), x.square().sum(), atol=tol * 100, rtol=tol)
    for fast, ref in zip(coeffs, haar_dwt_ref(x, levels)):
        torch.testing.assert_close(fast, ref, atol=tol, rtol=tol)


@pytest.mark.parametrize("levels", [1, 3])
def test_haar_dwt2d_round_trip_parseval_and_reference(levels):
    x = _randn(2, 3, 16, 24, seed=levels)
    coeffs = haar_dwt2d(x, levels)
    assert len(coeffs) == levels + 1
    assert coeffs[0].shape == (2, 3, 16 // 2**levels, 24 // 2**levels)
    assert all(b.shape == (2, 3, 8, 12) for b in coeffs[-1])  # finest level
    torch.testing.assert_close(haar_idwt2d(coeffs), x)
    torch.testing.assert_close(_energy_2d(coeffs), x.square().sum())
    ref = haar_dwt2d_ref(x, levels)
    torch.testing.assert_close(coeffs[0], ref[0])
    for bands, ref_bands in zip(coeffs[1:], ref[1:]):
        for band, ref_band in zip(bands, ref_bands):
            torch.testing.assert_close(band, ref_band)


def test_haar_dwt2d_band_naming():
    # a pattern varying only along H (rows alternate) is a pure LH ("horizontal") detail
    rows = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    x = rows[:, None].expand(4, 4).clone()
    ll, (lh, hl, hh) = haar_dwt2d(x, 1)
    assert lh.abs().sum() > 0
    for zero in (ll, hl, hh):
        assert zero.abs().max() < 1e-12
    # and its transpose (varies only along W) is a pure HL ("vertical") detail
    ll, (lh, hl, hh) = haar_dwt2d(x.T.contiguous(), 1)
    assert hl.abs().sum() > 0 and lh.abs().max() < 1e-12 and hh.abs().max() < 1e-12


def test_haar_matrix_is_orthonormal():
    m = haar_matrix(8)
    torch.testing.assert_close(m @ m.T, torch.eye(8, dtype=torch.float64))


def test_haar_gradients_flow_and_match_reference():
    x = _randn(2, 16, seed=3).requires_grad_(True)
    weights = [_randn(*c.shape, seed=10 + i) for i, c in enumerate(haar_dwt(x, 2))]

    def loss(coeffs):
        return sum((c * w).sum() for c, w in zip(coeffs, weights))

    (grad_fast,) = torch.autograd.grad(loss(haar_dwt(x, 2)), x)
    (grad_ref,) = torch.autograd.grad(loss(haar_dwt_ref(x, 2)), x)
    torch.testing.assert_close(grad_fast, grad_ref)
    # orthonormal transform: the gradient of <W x, w> is W^T w = idwt(w)
    torch.testing.assert_close(grad_fast, haar_idwt(weights))
    x2 = _randn(1, 8, 8, seed=4).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: haar_idwt2d(haar_dwt2d(t, 2)), (x2,), fast_mode=True)


def test_haar_rejects_indivisible_lengths():
    with pytest.raises(ValueError):
        haar_dwt(torch.randn(2, 12), levels=3)
    with pytest.raises(ValueError):
        haar_dwt2d(torch.randn(8, 6), levels=2)
    with pytest.raises(ValueError):
        haar_dwt(torch.randn(8), levels=0)


def test_haar_matches_pywavelets():
    pywt = pytest.importorskip("pywt")
    x = _randn(3, 64, seed=5)
    for fast, oracle in zip(haar_dwt(x, 3), pywt.wavedec(x.numpy(), "haar", level=3, axis=-1)):
        torch.testing.assert_close(fast, torch.from_numpy(oracle))
    image = _randn(2, 16, 32, seed=6)
    coeffs = haar_dwt2d(image, 2)
    oracle = pywt.wavedec2(image.numpy(), "haar", level=2, axes=(-2, -1))
    torch.testing.assert_close(coeffs[0], torch.from_numpy(oracle[0]))
    for bands, oracle_bands in zip(coeffs[1:], oracle[1:]):  # (LH, HL, HH) == (cH, cV, cD)
        for band, oracle_band in zip(bands, oracle_bands):
            torch.testing.assert_close(band, torch.from_numpy(oracle_band))
