"""Delta rule: chunked (WY/UT transform) vs token recurrence, outputs and gradients of q, k, v, β;
streaming step == parallel; causality; DeltaNetLayer step == forward."""

import pytest
import torch
import torch.nn.functional as F

from panspectra_core.attention import (
    DeltaNetLayer,
    delta_rule,
    delta_rule_recurrent,
    delta_rule_step,
    delta_rule_with_state,
)
from panspectra_core.attention.triangular import (
    unit_lower_triangular_inverse,
    unit_lower_triangular_inverse_ref,
)

DTYPE = torch.float64


def random_inputs(length, dk=6, dv=5, dtype=DTYPE, seed=0):
    """q, k L2-normalised (stable recurrence), β in (0, 1)."""
    g = torch.Generator().manual_seed(seed)
    q = F.normalize(torch.randn(2, 3, length, dk, generator=g, dtype=dtype), dim=-1)
    k = F.normalize(torch.randn(2, 3, length, dk, generator=g, dtype=dtype), dim=-1)
    v = torch.randn(2, 3, length, dv, generator=g, dtype=dtype)
    beta = torch.rand(2, 3, length, generator=g, dtype=dtype)
    return [t.requires_grad_() for t in (q, k, v, beta)]


def naive_delta_rule(q, k, v, beta):
    """Independent scalar-loop restatement of the pinned math for one tiny case."""
    b, h, length, dk = q.shape
    out = torch.zeros(b, h, length, v.shape[-1], dtype=q.dtype)
    for bi in range(b):
        for hi in range(h):
            state = torch.zeros(dk, v.shape[-1], dtype=q.dtype)
            for t in range(length):
                kt, vt = k[bi, hi, t], v[bi, hi, t]
                state = state + torch.outer(kt, beta[bi, hi, t] * (vt - state.T @ kt))
                out[bi, hi, t] = state.T @ q[bi, hi, t]
    return out


def test_recurrent_reference_matches_naive_loop():
    inputs = [t.detach() for t in random_inputs(7)]
    torch.testing.assert_close(delta_rule_recurrent(*inputs), naive_delta_rule(*inputs))


@pytest.mark.parametrize(("length", "chunk"), [(1, 4), (16, 4), (37, 8), (70, 32)])
def test_chunked_matches_recurrence_outputs_and_grads(length, chunk):
    inputs = random_inputs(length)
    out = delta_rule(*inputs, chunk_size=chunk)
    ref = delta_rule_recurrent(*inputs)
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(out)
    grads = torch.autograd.grad((out * w).sum(), inputs)
    ref_grads = torch.autograd.grad((ref * w).sum(), inputs)
    for name, a, b in zip("q k v beta".split(), grads, ref_grads):
        torch.testing.assert_close(a, b, msg=lambda m, name=name: f"grad {name}: {m}")


def test_unnormalised_keys_still_exact():
    # the pinned math has no normalisation inside; small-norm keys keep it well conditioned
    q, k, v, beta = (t.detach() for t in random_inputs(40))
    k = 0.5 * k * torch.rand_like(k[..., :1])
    torch.testing.assert_close(delta_rule(q, k, v, beta, 16), delta_rule_recurrent(q, k, v, beta))


def test_float32_within_dtype_tolerance():
    inputs = [t.detach() for t in random_inputs(80, dk=16, dv=16)]
    ref = delta_rule_recurrent(*inputs)
    out = delta_rule(*(t.float() for t in inputs))
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), ref, rtol=1e-4, atol=1e-4)


def test_step_equals_parallel_and_prefill_then_step():
    q, k, v, beta = (t.detach() for t in random_inputs(23))
    full = delta_rule(q, k, v, beta, chunk_size=8)
    state, outs = None, []
    for t in range(23):
        o_t, state = delta_rule_step(q[:, :, t], k[:, :, t], v[:, :, t], beta[:, :, t], state)
        outs.append(o_t)
    torch.testing.assert_close(torch.stack(outs, dim=2), full)
    prefix, state = delta_rule_with_state(
        q[:, :, :11], k[:, :, :11], v[:, :, :11], beta[:, :, :11], chunk_size=4
    )
    torch.testing.assert_close(prefix, full[:, :, :11])
    for t in range(11, 23):
        o_t, state = delta_rule_step(q[:, :, t], k[:, :, t], v[:, :, t], beta[:, :, t], state)
        torch.testing.assert_close(o_t, full[:, :, t])


def test_chunked_with_initial_state_continues_the_sequence():
    q, k, v, beta = (t.detach() for t in random_inputs(50))
    full = delta_rule(q, k, v, beta, chunk_size=8)
    _, state = delta_rule_with_state(q[:, :, :20], k[:, :, :20], v[:, :, :20], beta[:, :, :20], 8)
    rest, _ = delta_rule_with_state(
        q[:, :, 20:], k[:, :, 20:], v[:, :, 20:], beta[:, :, 20:], 8, initial_state=state
    )
    torch.testing.assert_close(rest, full[:, :, 20:])


def test_future_inputs_do_not_change_past_outputs():
    q, k, v, beta = (t.detach() for t in random_inputs(45))
    base = delta_rule(q, k, v, beta, chunk_size=16)
    k2, v2, beta2 = k.clone(), v.clone(), beta.clone()
    k2[:, :, 30:] = F.normalize(torch.randn_like(k2[:, :, 30:]), dim=-1)
    v2[:, :, 30:] += 1.0
    beta2[:, :, 30:] = 0.9
    changed = delta_rule(q, k2, v2, beta2, chunk_size=16)
    torch.testing.assert_close(changed[:, :, :30], base[:, :, :30])
    assert not torch.allclose(changed[:, :, 30:], base[:, :, 30:])


def test_deltanet_layer_step_equals_forward_and_has_gradients():
    torch.manual_seed(0)
    layer = DeltaNetLayer(16, 2, chunk_size=4).to(DTYPE)
    x = torch.randn(2, 11, 16, dtype=DTYPE, requires_grad=True)
    full = layer(x)
    state = None
    for t in range(11):
        y_t, state = layer.step(x[:, t].detach(), state)
        torch.testing.assert_close(y_t, full[:, t])
    full.square().mean().backward()
    for name, p in [("x", x), *layer.named_parameters()]:
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("n", [2, 5, 37, 64])
def test_unit_lower_triangular_inverse_matches_lapack(n):
    g = torch.Generator().manual_seed(n)
    lower = (0.3 * torch.randn(2, 3, n, n, generator=g, dtype=DTYPE)).requires_grad_()
    out = unit_lower_triangular_inverse(lower)
    ref = unit_lower_triangular_inverse_ref(lower.tril(-1))
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(out)
    (grad,) = torch.autograd.grad((out * w).sum(), lower)
    (ref_grad,) = torch.autograd.grad((ref * w).sum(), lower)
    torch.testing.assert_close(grad, ref_grad)
