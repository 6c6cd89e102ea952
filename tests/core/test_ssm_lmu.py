"""LMU: ZOH discretisation, parallel == recurrence, Legendre delay reconstruction."""

from __future__ import annotations

import math

import torch

from panspectra_core.ssm import (
    LMU,
    discretize_zoh,
    impulse_response,
    legendre_decoder,
    legendre_delay_system,
    lmu_memory_ref,
)


def test_zoh_matches_fine_euler_integration():
    A, B = legendre_delay_system(4, theta=5.0)
    Ad, Bd = discretize_zoh(A, B, dt=1.0)
    # integrate x' = A x + B (constant input 1) from 0 over one step with tiny Euler steps
    x = torch.zeros(4, dtype=torch.float64)
    steps = 20000
    for _ in range(steps):
        x = x + (A @ x + B) / steps
    torch.testing.assert_close(Bd, x, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(Ad, torch.linalg.matrix_exp(A))


def test_impulse_response_is_powers():
    Ad, Bd = discretize_zoh(*legendre_delay_system(5, theta=10.0))
    H = impulse_response(Ad, Bd, 13)
    expected = torch.stack([torch.linalg.matrix_power(Ad, k) @ Bd for k in range(13)], dim=1)
    torch.testing.assert_close(H, expected)


def test_parallel_memory_equals_recurrence_and_step():
    torch.manual_seed(0)
    lmu = LMU(input_size=3, hidden_size=5, order=6, theta=8.0, memory_channels=2).double()
    x = torch.randn(2, 25, 3, dtype=torch.float64)
    u = lmu.encoder(x)
    torch.testing.assert_close(lmu.memory(u), lmu_memory_ref(u, lmu.Ad, lmu.Bd))
    y = lmu(x)
    state, outs = None, []
    for t in range(x.shape[1]):
        h, state = lmu.step(x[:, t], state)
        outs.append(h)
    torch.testing.assert_close(torch.stack(outs, 1), y)


def test_causal():
    torch.manual_seed(0)
    lmu = LMU(3, 4, order=4, theta=5.0).double()
    x = torch.randn(1, 16, 3, dtype=torch.float64)
    x2 = x.clone()
    x2[:, 9:] = -x2[:, 9:]
    torch.testing.assert_close(lmu(x)[:, :9], lmu(x2)[:, :9], rtol=1e-12, atol=1e-12)


def test_memory_reconstructs_delayed_input():
    """Legendre property: u(t - rθ) ≈ Σ_i P_i(2r - 1) m_i(t) for a smooth input."""
    order, theta = 12, 100.0
    Ad, Bd = discretize_zoh(*legendre_delay_system(order, theta))
    t = torch.arange(600, dtype=torch.float64)
    u = torch.sin(2 * math.pi * t / 250) + 0.5 * torch.cos(2 * math.pi * t / 170)
    m = lmu_memory_ref(u.view(1, -1, 1), Ad, Bd)[0, :, 0]  # (L, order)
    for r in (0.0, 0.5, 1.0):
        delay = round(r * theta)
        decoded = m[300:] @ legendre_decoder(order, r)
        target = u[300 - delay : len(u) - delay]
        assert (decoded - target).abs().max() < 0.05, r
    # and it is a real delay, not the current input
    decoded_half = m[300:] @ legendre_decoder(order, 0.5)
    assert (decoded_half - u[300:]).abs().max() > 0.5
