"""S4D: FFT-kernel path == explicit recurrence, step == parallel, causality, gradients."""

from __future__ import annotations

import pytest
import torch

from panspectra_core.ssm import S4D, S4DKernel, s4d_recurrence_ref


def make_layer():
    torch.manual_seed(0)
    return S4D(d_model=4, d_state=8, dt_min=0.01, dt_max=0.2).double()


def test_fft_kernel_equals_recurrence():
    layer = make_layer()
    u = torch.randn(2, 30, 4, dtype=torch.float64)
    dA, dB, C = layer.kernel.discrete()
    expected = s4d_recurrence_ref(u.transpose(1, 2), dA, dB, C).transpose(1, 2) + u * layer.D
    torch.testing.assert_close(layer.ssm(u), expected)


def test_gradients_match_recurrence():
    layer = make_layer()
    u = torch.randn(1, 12, 4, dtype=torch.float64)
    layer.ssm(u).square().sum().backward()
    fft_grads = [p.grad.clone() for p in layer.kernel.parameters()]
    layer.zero_grad()
    dA, dB, C = layer.kernel.discrete()
    s4d_recurrence_ref(u.transpose(1, 2), dA, dB, C).transpose(1, 2).add(
        u * layer.D
    ).square().sum().backward()
    for g, p in zip(fft_grads, layer.kernel.parameters()):
        torch.testing.assert_close(g, p.grad)


def test_step_equals_parallel():
    layer = make_layer()
    u = torch.randn(2, 15, 4, dtype=torch.float64)
    y = layer(u)
    state, outs = None, []
    for t in range(u.shape[1]):
        y_t, state = layer.step(u[:, t], state)
        outs.append(y_t)
    torch.testing.assert_close(torch.stack(outs, 1), y)


def test_causal():
    layer = make_layer()
    u = torch.randn(1, 20, 4, dtype=torch.float64)
    u2 = u.clone()
    u2[:, 11:] += 3.0
    y, y2 = layer(u), layer(u2)
    torch.testing.assert_close(y[:, :11], y2[:, :11], rtol=1e-12, atol=1e-12)
    assert not torch.allclose(y[:, 11:], y2[:, 11:])


def test_kernel_init_and_errors():
    kernel = S4DKernel(3, d_state=6)
    dA, _, _ = kernel.discrete()
    assert dA.shape == (3, 3) and torch.all(dA.abs() < 1)  # stable: |exp(ΔA)| < 1
    with pytest.raises(ValueError):
        S4DKernel(3, d_state=5)
