"""Orthonormal DCT-II / DCT-III (Makhoul FFT algorithm) against scipy and the matrix definition."""

from __future__ import annotations

import pytest
import torch

from panspectra_core.spectral import dct, dct_matrix, dct_ref, idct

scipy_fft = pytest.importorskip("scipy.fft")


def _randn(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("n", [1, 2, 5, 8, 31, 64])
@pytest.mark.parametrize("dct_type", [2, 3])
def test_dct_matches_scipy_ortho(n, dct_type):
    x = _randn(3, 4, n, seed=n)
    expected = scipy_fft.dct(x.numpy(), type=dct_type, norm="ortho", axis=-1)
    torch.testing.assert_close(dct(x, type=dct_type), torch.from_numpy(expected))
    expected_inverse = scipy_fft.idct(x.numpy(), type=dct_type, norm="ortho", axis=-1)
    torch.testing.assert_close(idct(x, type=dct_type), torch.from_numpy(expected_inverse))


@pytest.mark.parametrize("n", [7, 16])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_dct_round_trip_and_energy(n, dtype):
    x = _randn(5, n, seed=1, dtype=dtype)
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(idct(dct(x)), x, atol=tol, rtol=tol)
    torch.testing.assert_close(dct(idct(x)), x, atol=tol, rtol=tol)
    torch.testing.assert_close(dct(x).square().sum(), x.square().sum(), atol=tol * 10, rtol=tol)


def test_dct_matrix_is_orthonormal():
    c = dct_matrix(12)
    torch.testing.assert_close(c @ c.T, torch.eye(12, dtype=torch.float64))


@pytest.mark.parametrize("n", [6, 9])
@pytest.mark.parametrize("dct_type", [2, 3])
def test_dct_outputs_and_gradients_match_matrix_reference(n, dct_type):
    x = _randn(2, n, seed=2).requires_grad_(True)
    cotangent = _randn(2, n, seed=3)
    out_fast, out_ref = dct(x, dct_type), dct_ref(x, dct_type)
    torch.testing.assert_close(out_fast, out_ref)
    (grad_fast,) = torch.autograd.grad((out_fast * cotangent).sum(), x)
    (grad_ref,) = torch.autograd.grad((out_ref * cotangent).sum(), x)
    torch.testing.assert_close(grad_fast, grad_ref)


def test_dct_of_constant_is_dc_only_and_half_precision():
    x = torch.ones(10, dtype=torch.float64)
    coeffs = dct(x)
    torch.testing.assert_close(coeffs[0], torch.tensor(10**0.5, dtype=torch.float64))
    assert coeffs[1:].abs().max() < 1e-12
    assert dct(torch.randn(4, 8, dtype=torch.bfloat16)).dtype == torch.bfloat16
    with pytest.raises(NotImplementedError):
        dct(x, type=1)
