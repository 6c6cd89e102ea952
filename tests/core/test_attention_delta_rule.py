"""Delta rule: chunked (WY/UT transform) and fused numba kernels vs the token recurrence, outputs
and gradients of q, k, v, β (and the initial state); streaming step == parallel; causality;
backend dispatch; DeltaNetLayer step == forward."""

import importlib

import pytest
import torch
import torch.nn.functional as F

from panspectra_core.attention import (
    DeltaNetLayer,
    delta_rule,
    delta_rule_recurrent,
    delta_rule_recurrent_with_state,
    delta_rule_step,
    delta_rule_with_state,
)
from panspectra_core.attention.triangular import (
    unit_lower_triangular_inverse,
    unit_lower_triangular_inverse_ref,
)

# the package exports a function of the module's name, so fetch the module itself
delta_rule_module = importlib.import_module("panspectra_core.attention.delta_rule")
DTYPE = torch.float64
FAST_BACKENDS = ["chunked"] + (["fused"] if delta_rule_module._load_fused() else [])


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


@pytest.mark.parametrize("backend", FAST_BACKENDS)
@pytest.mark.parametrize(("length", "chunk"), [(1, 4), (16, 4), (37, 8), (70, 32), (150, 32)])
def test_fast_backends_match_recurrence_outputs_and_grads(backend, length, chunk):
    inputs = random_inputs(length)
    out = delta_rule(*inputs, chunk_size=chunk, backend=backend)
    ref = delta_rule_recurrent(*inputs)
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(out)
    grads = torch.autograd.grad((out * w).sum(), inputs)
    ref_grads = torch.autograd.grad((ref * w).sum(), inputs)
    for name, a, b in zip("q k v beta".split(), grads, ref_grads):
        torch.testing.assert_close(a, b, msg=lambda m, name=name: f"grad {name}: {m}")


@pytest.mark.parametrize("backend", FAST_BACKENDS)
def test_initial_and_final_state_gradients_match_recurrence(backend):
    # 130 tokens: the fused backward recomputes across three checkpoint chunks of 64
    q, k, v, beta = random_inputs(130)
    s0 = torch.randn(2, 3, q.shape[-1], v.shape[-1], dtype=DTYPE, requires_grad=True)
    inputs = (q, k, v, beta, s0)
    out, last = delta_rule_with_state(q, k, v, beta, 16, initial_state=s0, backend=backend)
    ref, ref_last = delta_rule_recurrent_with_state(q, k, v, beta, initial_state=s0)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(last, ref_last)
    w, w_last = torch.randn_like(out), torch.randn_like(last)
    grads = torch.autograd.grad((out * w).sum() + (last * w_last).sum(), inputs)
    ref_grads = torch.autograd.grad((ref * w).sum() + (ref_last * w_last).sum(), inputs)
    for name, a, b in zip("q k v beta s0".split(), grads, ref_grads):
        torch.testing.assert_close(a, b, msg=lambda m, name=name: f"grad {name}: {m}")


@pytest.mark.parametrize("backend", ["ref", *FAST_BACKENDS])
def test_empty_sequence_keeps_the_initial_state(backend):
    q, k, v, beta = (t.detach() for t in random_inputs(0))
    s0 = torch.randn(2, 3, q.shape[-1], v.shape[-1], dtype=DTYPE)
    out, last = delta_rule_with_state(q, k, v, beta, initial_state=s0, backend=backend)
    assert out.shape == (2, 3, 0, v.shape[-1])
    torch.testing.assert_close(last, s0)


def test_backend_dispatch_and_env_var(monkeypatch):
    inputs = [t.detach() for t in random_inputs(9)]
    monkeypatch.setenv(delta_rule_module.BACKEND_ENV_VAR, "bogus")
    with pytest.raises(ValueError, match="unknown delta-rule backend 'bogus'"):
        delta_rule(*inputs)
    monkeypatch.setenv(delta_rule_module.BACKEND_ENV_VAR, "ref")
    calls = []
    real = delta_rule_module.delta_rule_recurrent_with_state
    monkeypatch.setattr(
        delta_rule_module,
        "delta_rule_recurrent_with_state",
        lambda *a, **kw: calls.append("ref") or real(*a, **kw),
    )
    delta_rule(*inputs)
    assert calls == ["ref"]
    delta_rule(*inputs, backend="chunked")  # the keyword wins over the variable
    assert calls == ["ref"]


def test_unnormalised_keys_still_exact():
    # the pinned math has no normalisation inside; small-norm keys keep it well conditioned
    q, k, v, beta = (t.detach() for t in random_inputs(40))
    k = 0.5 * k * torch.rand_like(k[..., :1])
    for backend in FAST_BACKENDS:
        out = delta_rule(q, k, v, beta, 16, backend=backend)
        torch.testing.assert_close(out, delta_rule_recurrent(q, k, v, beta))


@pytest.mark.parametrize("backend", FAST_BACKENDS)
def test_float32_within_dtype_tolerance(backend):
    inputs = [t.detach() for t in random_inputs(80, dk=16, dv=16)]
    ref = delta_rule_recurrent(*inputs)
    out = delta_rule(*(t.float() for t in inputs), backend=backend)
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


@pytest.mark.parametrize("backend", FAST_BACKENDS)
def test_initial_state_continues_the_sequence(backend):
    q, k, v, beta = (t.detach() for t in random_inputs(50))
    full = delta_rule(q, k, v, beta, chunk_size=8, backend=backend)
    head = (t[:, :, :20] for t in (q, k, v, beta))
    _, state = delta_rule_with_state(*head, 8, backend=backend)
    tail = (t[:, :, 20:] for t in (q, k, v, beta))
    rest, _ = delta_rule_with_state(*tail, 8, initial_state=state, backend=backend)
    torch.testing.assert_close(rest, full[:, :, 20:])


@pytest.mark.parametrize("backend", FAST_BACKENDS)
def test_future_inputs_do_not_change_past_outputs(backend):
    q, k, v, beta = (t.detach() for t in random_inputs(45))
    base = delta_rule(q, k, v, beta, chunk_size=16, backend=backend)
    k2, v2, beta2 = k.clone(), v.clone(), beta.clone()
    k2[:, :, 30:] = F.normalize(torch.randn_like(k2[:, :, 30:]), dim=-1)
    v2[:, :, 30:] += 1.0
    beta2[:, :, 30:] = 0.9
    changed = delta_rule(q, k2, v2, beta2, chunk_size=16, backend=backend)
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
