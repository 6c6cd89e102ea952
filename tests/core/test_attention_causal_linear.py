"""Causal linear attention: chunked and fused numba backends vs token recurrence vs masked
quadratic (outputs and gradients, incl. initial/final state), streaming step == parallel,
causality, backend dispatch; normalised LinearAttention layer vs explicit kernels."""

import importlib
import math

import pytest
import torch

from panspectra_core.attention import (
    LinearAttention,
    PositiveRandomFeatures,
    causal_linear_attention,
    causal_linear_attention_quadratic,
    causal_linear_attention_recurrent,
    causal_linear_attention_recurrent_with_state,
    causal_linear_attention_step,
    causal_linear_attention_with_state,
    linear_attention_ref,
)

# the package exports a function of the module's name, so fetch the module itself
causal_linear_module = importlib.import_module("panspectra_core.attention.causal_linear")
DTYPE = torch.float64
FAST_BACKENDS = ["chunked"] + (["fused"] if causal_linear_module._load_fused() else [])


def random_qkv(length, dk=6, dv=5, dtype=DTYPE, seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = ((2, 3, length, dk), (2, 3, length, dk), (2, 3, length, dv))
    return [torch.randn(s, generator=g, dtype=dtype).requires_grad_() for s in shapes]


def assert_same_outputs_and_grads(fn_a, fn_b, inputs, **tol):
    out_a, out_b = fn_a(*inputs), fn_b(*inputs)
    torch.testing.assert_close(out_a, out_b, **tol)
    w = torch.randn_like(out_a)
    grads_a = torch.autograd.grad((out_a * w).sum(), inputs)
    grads_b = torch.autograd.grad((out_b * w).sum(), inputs)
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(a, b, **tol)


@pytest.mark.parametrize("backend", FAST_BACKENDS)
@pytest.mark.parametrize(("length", "chunk"), [(1, 4), (16, 4), (37, 8), (64, 64), (70, 64)])
def test_fast_backends_match_recurrence(backend, length, chunk):
    qkv = random_qkv(length)
    assert_same_outputs_and_grads(
        lambda q, k, v: causal_linear_attention(q, k, v, chunk_size=chunk, backend=backend),
        causal_linear_attention_recurrent,
        qkv,
    )


@pytest.mark.parametrize("backend", FAST_BACKENDS)
def test_initial_and_final_state_gradients_match_recurrence(backend):
    q, k, v = random_qkv(45)
    s0 = torch.randn(2, 3, q.shape[-1], v.shape[-1], dtype=DTYPE, requires_grad=True)
    out, last = causal_linear_attention_with_state(q, k, v, 16, initial_state=s0, backend=backend)
    ref, ref_last = causal_linear_attention_recurrent_with_state(q, k, v, initial_state=s0)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(last, ref_last)
    w, w_last = torch.randn_like(out), torch.randn_like(last)
    inputs = (q, k, v, s0)
    grads = torch.autograd.grad((out * w).sum() + (last * w_last).sum(), inputs)
    ref_grads = torch.autograd.grad((ref * w).sum() + (ref_last * w_last).sum(), inputs)
    for name, a, b in zip("q k v s0".split(), grads, ref_grads):
        torch.testing.assert_close(a, b, msg=lambda m, name=name: f"grad {name}: {m}")


@pytest.mark.parametrize("backend", ["ref", *FAST_BACKENDS])
def test_empty_sequence_keeps_the_initial_state(backend):
    q, k, v = (t.detach() for t in random_qkv(0))
    s0 = torch.randn(2, 3, q.shape[-1], v.shape[-1], dtype=DTYPE)
    out, last = causal_linear_attention_with_state(q, k, v, initial_state=s0, backend=backend)
    assert out.shape == (2, 3, 0, v.shape[-1])
    torch.testing.assert_close(last, s0)


def test_backend_env_var_is_read_and_checked(monkeypatch):
    q, k, v = (t.detach() for t in random_qkv(5))
    monkeypatch.setenv(causal_linear_module.BACKEND_ENV_VAR, "bogus")
    with pytest.raises(ValueError, match="unknown causal-linear-attention backend 'bogus'"):
        causal_linear_attention(q, k, v)
    monkeypatch.setenv(causal_linear_module.BACKEND_ENV_VAR, "ref")
    calls = []
    real = causal_linear_module.causal_linear_attention_recurrent_with_state
    monkeypatch.setattr(
        causal_linear_module,
        "causal_linear_attention_recurrent_with_state",
        lambda *a, **kw: calls.append("ref") or real(*a, **kw),
    )
    causal_linear_attention(q, k, v)
    causal_linear_attention(q, k, v, backend="chunked")  # the keyword wins over the variable
    assert calls == ["ref"]


def test_quadratic_reference_matches_recurrence():
    assert_same_outputs_and_grads(
        causal_linear_attention_quadratic, causal_linear_attention_recurrent, random_qkv(23)
    )


@pytest.mark.parametrize("backend", FAST_BACKENDS)
def test_float32_within_dtype_tolerance(backend):
    q, k, v = (t.detach() for t in random_qkv(100, dk=32, dv=32))
    ref = causal_linear_attention_recurrent(q, k, v)
    out = causal_linear_attention(q.float(), k.float(), v.float(), backend=backend)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out.double(), ref, rtol=1e-4, atol=1e-3)


def test_step_equals_parallel_and_prefill_then_step():
    q, k, v = (t.detach() for t in random_qkv(21))
    full = causal_linear_attention(q, k, v, chunk_size=8)
    state, outs = None, []
    for t in range(21):
        o_t, state = causal_linear_attention_step(q[:, :, t], k[:, :, t], v[:, :, t], state)
        outs.append(o_t)
    torch.testing.assert_close(torch.stack(outs, dim=2), full)
    # prefill 13 tokens in chunks, stream the rest from the returned state
    prefix, state = causal_linear_attention_with_state(q[:, :, :13], k[:, :, :13], v[:, :, :13], 4)
    torch.testing.assert_close(prefix, full[:, :, :13])
    for t in range(13, 21):
        o_t, state = causal_linear_attention_step(q[:, :, t], k[:, :, t], v[:, :, t], state)
        torch.testing.assert_close(o_t, full[:, :, t])


@pytest.mark.parametrize("backend", FAST_BACKENDS)
def test_future_inputs_do_not_change_past_outputs(backend):
    q, k, v = (t.detach() for t in random_qkv(40))
    base = causal_linear_attention(q, k, v, chunk_size=16, backend=backend)
    k2, v2 = k.clone(), v.clone()
    k2[:, :, 25:] += 3.0
    v2[:, :, 25:] -= 2.0
    changed = causal_linear_attention(q, k2, v2, chunk_size=16, backend=backend)
    torch.testing.assert_close(changed[:, :, :25], base[:, :, :25])
    assert not torch.allclose(changed[:, :, 25:], base[:, :, 25:])


@pytest.mark.parametrize("feature_map", ["elu", "favor"])
@pytest.mark.parametrize("causal", [False, True])
def test_linear_attention_layer_matches_explicit_kernel(feature_map, causal):
    torch.manual_seed(0)
    m = LinearAttention(16, 2, feature_map=feature_map, causal=causal).to(DTYPE)
    x = torch.randn(2, 19, 16, dtype=DTYPE, requires_grad=True)

    def explicit(x):
        phi_q, phi_k, v = m.features(x)
        out = linear_attention_ref(phi_q, phi_k, v, causal, m.eps)
        return m.out(out.transpose(1, 2).reshape(x.shape))

    params = [x, *m.parameters()]
    out, ref = m(x), explicit(x)
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(out)
    for a, b in zip(
        torch.autograd.grad((out * w).sum(), params), torch.autograd.grad((ref * w).sum(), params)
    ):
        torch.testing.assert_close(a, b)


def test_linear_attention_key_padding_mask_ignores_padding():
    torch.manual_seed(1)
    m = LinearAttention(16, 2).to(DTYPE)
    x = torch.randn(1, 12, 16, dtype=DTYPE)
    keep = torch.arange(12)[None] < 8
    y = x.clone()
    y[:, 8:] = torch.randn(1, 4, 16, dtype=DTYPE)
    torch.testing.assert_close(m(x, keep)[:, :8], m(y, keep)[:, :8])


@pytest.mark.parametrize("feature_map", ["elu", "favor"])
def test_linear_attention_step_equals_forward(feature_map):
    torch.manual_seed(2)
    m = LinearAttention(16, 2, feature_map=feature_map, causal=True).to(DTYPE).eval()
    x = torch.randn(2, 10, 16, dtype=DTYPE)
    full = m(x)
    state = None
    for t in range(10):
        y_t, state = m.step(x[:, t], state)
        torch.testing.assert_close(y_t, full[:, t])


def test_favor_features_approximate_softmax_kernel():
    torch.manual_seed(3)
    d = 8
    features = PositiveRandomFeatures(d, num_features=8192, seed=1).to(DTYPE)
    q = 0.5 * torch.randn(5, d, dtype=DTYPE)
    k = 0.5 * torch.randn(7, d, dtype=DTYPE)
    # unstabilised estimate of exp(q·k/√d): use the causal (no key stabiliser) path for keys and
    # undo the query's per-row stabiliser by comparing row-normalised attention matrices
    approx = features(q, is_query=True) @ features(k, is_query=False, causal=True).T
    exact = torch.exp(q @ k.T / math.sqrt(d))
    approx_rows = approx / approx.sum(-1, keepdim=True)
    exact_rows = exact / exact.sum(-1, keepdim=True)
    torch.testing.assert_close(approx_rows, exact_rows, atol=0.02, rtol=0)


def test_orthogonal_features_have_unbiased_directions():
    # Un-sign-corrected QR gives directions with a mean of ~0.04 per coordinate (biased kernel);
    # Haar directions average to ~N(0, 1/(8·8192)), i.e. ~0.004.
    rows = PositiveRandomFeatures(8, num_features=8192, seed=0).projection.double()
    directions = rows / rows.norm(dim=1, keepdim=True)
    assert directions.mean(0).abs().max() < 0.02


def test_favor_redraw_changes_projection_in_training_only():
    features = PositiveRandomFeatures(4, num_features=8, redraw_interval=2)
    first = features.projection.clone()
    features.eval()
    for _ in range(3):
        features.maybe_redraw()
    assert torch.equal(features.projection, first)
    features.train()
    features.maybe_redraw()
    assert torch.equal(features.projection, first)
    features.maybe_redraw()
    assert not torch.equal(features.projection, first)
    # orthogonal blocks: rows of one block are mutually orthogonal
    rows = features.projection[:4].double()
    gram = rows @ rows.T
    torch.testing.assert_close(gram - torch.diag(gram.diag()), torch.zeros(4, 4, dtype=DTYPE))
