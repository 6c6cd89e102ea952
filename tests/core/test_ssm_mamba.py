"""MambaBlock / BiMambaBlock: shapes, init, causality, step == parallel, backends agree."""

from __future__ import annotations

import math

import pytest
import torch

from panspectra_core.ssm import BiMambaBlock, MambaBlock, numba_available

BACKENDS = ["ref", "chunked"] + (["fused"] if numba_available() else [])


def make_block(**kw):
    torch.manual_seed(0)
    return MambaBlock(d_model=8, d_state=4, d_conv=3, expand=2, **kw).double()


def test_shapes_and_init():
    block = make_block(dt_min=0.01, dt_max=0.05)
    x = torch.randn(2, 11, 8, dtype=torch.float64)
    assert block(x).shape == (2, 11, 8)
    assert block.dt_rank == math.ceil(8 / 16)
    dt = torch.nn.functional.softplus(block.dt_proj.bias)
    assert torch.all(dt >= 0.01 - 1e-9) and torch.all(dt <= 0.05 + 1e-9)
    torch.testing.assert_close(-torch.exp(block.A_log[0]), -torch.arange(1.0, 5.0).double())


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_agree_with_reference(backend):
    block = make_block(scan_backend=backend)
    x = torch.randn(2, 13, 8, dtype=torch.float64, requires_grad=True)
    y = block(x)
    (gx,) = torch.autograd.grad(y.square().sum(), x)
    block.scan_backend = "ref"
    y_ref = block(x)
    (gx_ref,) = torch.autograd.grad(y_ref.square().sum(), x)
    torch.testing.assert_close(y, y_ref)
    torch.testing.assert_close(gx, gx_ref)


def test_step_equals_parallel():
    block = make_block()
    x = torch.randn(2, 9, 8, dtype=torch.float64)
    y_parallel = block(x)
    state = None
    outs = []
    for t in range(x.shape[1]):
        y_t, state = block.step(x[:, t], state)
        outs.append(y_t)
    torch.testing.assert_close(torch.stack(outs, dim=1), y_parallel)


def test_causal():
    block = make_block()
    x = torch.randn(1, 12, 8, dtype=torch.float64)
    x2 = x.clone()
    x2[:, 7:] = torch.randn(1, 5, 8, dtype=torch.float64)
    y, y2 = block(x), block(x2)
    torch.testing.assert_close(y[:, :7], y2[:, :7], rtol=0, atol=0)
    assert not torch.allclose(y[:, 7:], y2[:, 7:])


def test_parameters_get_gradients():
    block = make_block()
    block(torch.randn(2, 6, 8, dtype=torch.float64)).sum().backward()
    for name, p in block.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("combine", ["sum", "concat"])
def test_bimamba_sees_both_directions(combine):
    torch.manual_seed(0)
    block = BiMambaBlock(8, combine=combine, d_state=4).double()
    x = torch.randn(1, 10, 8, dtype=torch.float64)
    y = block(x)
    assert y.shape == x.shape
    x2 = x.clone()
    x2[:, -1] += 1.0  # a change at the end reaches the start through the backward direction
    assert not torch.allclose(block(x2)[:, 0], y[:, 0])
    x3 = x.clone()
    x3[:, 0] += 1.0
    assert not torch.allclose(block(x3)[:, -1], y[:, -1])


def test_bimamba_sum_is_forward_plus_flipped_backward():
    torch.manual_seed(0)
    block = BiMambaBlock(8, combine="sum", d_state=4).double()
    x = torch.randn(2, 7, 8, dtype=torch.float64)
    expected = block.forward_block(x) + block.backward_block(x.flip(1)).flip(1)
    torch.testing.assert_close(block(x), expected)
    with pytest.raises(ValueError):
        BiMambaBlock(8, combine="max")
