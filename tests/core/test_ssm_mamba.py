"""MambaBlock / BiMambaBlock: shapes, init, causality, step == step_chunk == parallel (values,
states and gradients), backends agree."""

from __future__ import annotations

import itertools
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


def _streamed(block, x, bounds):
    """step_chunk over x[:, a:b] for consecutive (a, b), state carried → outputs, last state."""
    state, outs = None, []
    for a, b in itertools.pairwise(bounds):
        y, state = block.step_chunk(x[:, a:b], state)
        outs.append(y)
    return torch.cat(outs, dim=1), state


# chunks shorter than, equal to and longer than the conv window (d_conv = 3), one empty
CHUNKINGS = [[0, 1, 3, 3, 8, 11], [0, 11], [0, 2, 4, 6, 8, 10, 11]]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bounds", CHUNKINGS)
def test_step_chunk_equals_parallel_and_steps(backend, bounds):
    block = make_block(scan_backend=backend)
    x = torch.randn(2, 11, 8, dtype=torch.float64)
    streamed, state = _streamed(block, x, bounds)
    step_state, stepped = None, []
    for t in range(x.shape[1]):
        y_t, step_state = block.step(x[:, t], step_state)
        stepped.append(y_t)
    torch.testing.assert_close(streamed, block(x), rtol=0, atol=1e-10)
    torch.testing.assert_close(streamed, torch.stack(stepped, dim=1), rtol=0, atol=1e-10)
    torch.testing.assert_close(state.ssm, step_state.ssm, rtol=0, atol=1e-10)
    torch.testing.assert_close(state.conv, step_state.conv, rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_step_chunk_gradients_equal_parallel(backend):
    """Gradients through the carried state (conv inputs and h0) equal the offline ones."""
    block = make_block(scan_backend=backend)
    x = torch.randn(2, 11, 8, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(2, 11, 8, dtype=torch.float64)
    params = [x, *block.parameters()]
    offline = torch.autograd.grad((block(x) * weight).sum(), params)
    streamed = torch.autograd.grad((_streamed(block, x, [0, 2, 7, 11])[0] * weight).sum(), params)
    for g_stream, g_off in zip(streamed, offline):
        torch.testing.assert_close(g_stream, g_off, rtol=1e-9, atol=1e-10)


def test_step_chunk_from_a_nonzero_state_adds_the_decayed_state():
    """h0 enters y_t as C_t · exp(A ⊙ Σ_{s≤t} Δ_s) h0: the difference between streaming from a
    random SSM state and from zero is exactly that term (gated), and the final states differ by
    the decayed h0."""
    block = make_block()
    x = torch.randn(1, 5, 8, dtype=torch.float64)
    zero = block.init_state(1)
    h0 = torch.randn_like(zero.ssm)
    y_zero, s_zero = block.step_chunk(x, zero)
    y_h0, s_h0 = block.step_chunk(x, zero._replace(ssm=h0))
    ref_state, ref = zero._replace(ssm=h0), []
    for t in range(5):
        y_t, ref_state = block.step(x[:, t], ref_state)
        ref.append(y_t)
    torch.testing.assert_close(y_h0, torch.stack(ref, dim=1), rtol=0, atol=1e-10)
    torch.testing.assert_close(s_h0.ssm, ref_state.ssm, rtol=0, atol=1e-10)
    assert not torch.allclose(y_h0, y_zero)
    assert not torch.allclose(s_h0.ssm, s_zero.ssm)


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
