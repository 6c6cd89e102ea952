"""Softmax attention: SDPA path vs explicit softmax, MultiHeadAttention / CrossAttention vs an
independent explicit forward from their weights (outputs and gradients), RoPE properties."""

import math

import pytest
import torch

from panspectra_core.attention import (
    CrossAttention,
    MultiHeadAttention,
    RotaryEmbedding,
    apply_rotary,
    softmax_attention,
    softmax_attention_ref,
)

DTYPE = torch.float64


def explicit_attention(q, k, v, keep):
    """softmax(q kᵀ/√d) v with a bool keep mask; all-masked rows give zeros."""
    scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.shape[-1])
    scores = scores.masked_fill(~keep, -1e300)
    probs = torch.softmax(scores, dim=-1) * keep
    return torch.einsum("bhqk,bhkd->bhqd", probs, v)


def rope_complex(x, base=10_000.0):
    """RoPE as complex multiplication of pairs (x[i], x[i + d/2]) by exp(i·pos·base^(-2i/d))."""
    length, d = x.shape[-2], x.shape[-1]
    z = torch.complex(x[..., : d // 2], x[..., d // 2 :])
    freqs = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angle = torch.arange(length, dtype=torch.float64)[:, None] * freqs[None]
    z = z * torch.polar(torch.ones_like(angle), angle)
    return torch.cat((z.real, z.imag), dim=-1)


def rms(x, weight, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def heads(x, h):
    b, l, c = x.shape
    return x.reshape(b, l, h, c // h).permute(0, 2, 1, 3)


def mha_explicit(m: MultiHeadAttention, x, key_padding_mask):
    q, k, v = (x @ m.qkv.weight.T + m.qkv.bias).split(m.dim, dim=-1)
    q, k, v = heads(q, m.num_heads), heads(k, m.num_heads), heads(v, m.num_heads)
    if m.q_norm is not None:
        q, k = rms(q, m.q_norm.weight), rms(k, m.k_norm.weight)
    if m.rotary is not None:
        q, k = rope_complex(q), rope_complex(k)
    length = x.shape[1]
    keep = torch.ones(x.shape[0], 1, length, length, dtype=torch.bool)
    if key_padding_mask is not None:
        keep = keep & key_padding_mask[:, None, None, :]
    if m.causal:
        keep = keep & torch.ones(length, length, dtype=torch.bool).tril()
    out = explicit_attention(q, k, v, keep).permute(0, 2, 1, 3).reshape(x.shape)
    return out @ m.out.weight.T + m.out.bias


def grads(loss, tensors):
    return torch.autograd.grad(loss, tensors)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_softmax_attention_matches_reference(causal, masked):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 9, 8, generator=g, dtype=DTYPE, requires_grad=True) for _ in "qkv")
    mask = (torch.rand(2, 1, 1, 9, generator=g) > 0.3) if masked else None
    out = softmax_attention(q, k, v, attn_mask=mask, causal=causal)
    ref = softmax_attention_ref(q, k, v, attn_mask=mask, causal=causal)
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(out)
    for a, b in zip(grads((out * w).sum(), (q, k, v)), grads((ref * w).sum(), (q, k, v))):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("masked", [False, True])
def test_additive_bias_matches_reference_outputs_and_grads(masked):
    g = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(2, 3, 9, 8, generator=g, dtype=DTYPE, requires_grad=True) for _ in "qkv")
    bias = torch.randn(3, 9, 9, generator=g, dtype=DTYPE, requires_grad=True)
    mask = (torch.rand(2, 1, 9, 9, generator=g) > 0.3) if masked else None
    if masked:
        mask[0, 0, 4] = False  # one query row without keys: zeros, finite gradients
    out = softmax_attention(q, k, v, attn_mask=mask, attn_bias=bias)
    ref = softmax_attention_ref(q, k, v, attn_mask=mask, attn_bias=bias)
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(out)
    inputs = (q, k, v, bias)
    for a, b in zip(grads((out * w).sum(), inputs), grads((ref * w).sum(), inputs)):
        torch.testing.assert_close(a, b)
    plain = softmax_attention(q, k, v, attn_mask=mask)
    assert not torch.allclose(out, plain)  # the bias changed the attention


def test_fully_masked_rows_are_zero_and_finite():
    q, k, v = (torch.randn(1, 2, 4, 8, dtype=DTYPE, requires_grad=True) for _ in "qkv")
    mask = torch.tensor([[[[False, False, False, False]]]])
    out = softmax_attention(q, k, v, attn_mask=mask)
    assert torch.equal(out, torch.zeros_like(out))
    out.sum().backward()
    assert torch.isfinite(q.grad).all()


@pytest.mark.parametrize(
    ("causal", "rope", "qk_norm"),
    [(False, False, False), (True, False, False), (False, True, True), (True, True, True)],
)
def test_multihead_attention_matches_explicit(causal, rope, qk_norm):
    torch.manual_seed(1)
    m = MultiHeadAttention(24, 3, causal=causal, rope=rope, qk_norm=qk_norm).to(DTYPE)
    if qk_norm:
        with torch.no_grad():
            m.q_norm.weight.uniform_(0.5, 1.5)
            m.k_norm.weight.uniform_(0.5, 1.5)
    x = torch.randn(2, 11, 24, dtype=DTYPE, requires_grad=True)
    keep = torch.rand(2, 11) > 0.25
    keep[:, 0] = True  # every causal row has a key
    out = m(x, keep)
    ref = mha_explicit(m, x, keep)
    torch.testing.assert_close(out, ref)
    params = [x, *m.parameters()]
    w = torch.randn_like(out)
    for a, b in zip(grads((out * w).sum(), params), grads((ref * w).sum(), params)):
        torch.testing.assert_close(a, b)


def test_causal_self_attention_ignores_future():
    torch.manual_seed(2)
    m = MultiHeadAttention(16, 2, causal=True, rope=True).to(DTYPE)
    x = torch.randn(1, 12, 16, dtype=DTYPE)
    y = x.clone()
    y[:, 7:] = torch.randn(1, 5, 16, dtype=DTYPE)
    torch.testing.assert_close(m(x)[:, :7], m(y)[:, :7])
    assert not torch.allclose(m(x)[:, 7:], m(y)[:, 7:])


def test_key_padding_mask_ignores_padded_content():
    torch.manual_seed(3)
    m = MultiHeadAttention(16, 4).to(DTYPE)
    x = torch.randn(2, 10, 16, dtype=DTYPE)
    keep = torch.ones(2, 10, dtype=torch.bool)
    keep[:, 6:] = False
    y = x.clone()
    y[:, 6:] = 100 * torch.randn(2, 4, 16, dtype=DTYPE)
    torch.testing.assert_close(m(x, keep)[:, :6], m(y, keep)[:, :6])


def test_cross_attention_matches_explicit():
    torch.manual_seed(4)
    m = CrossAttention(16, 2, context_dim=6, qk_norm=True).to(DTYPE)
    x = torch.randn(2, 5, 16, dtype=DTYPE, requires_grad=True)
    ctx = torch.randn(2, 7, 6, dtype=DTYPE, requires_grad=True)
    keep = torch.rand(2, 7) > 0.4
    keep[:, 0] = True
    out = m(x, ctx, keep)
    q = heads(x @ m.q.weight.T + m.q.bias, 2)
    k, v = (heads(t, 2) for t in (ctx @ m.kv.weight.T + m.kv.bias).split(16, dim=-1))
    q, k = rms(q, m.q_norm.weight), rms(k, m.k_norm.weight)
    attn = explicit_attention(q, k, v, keep[:, None, None, :].expand(2, 1, 5, 7))
    ref = attn.permute(0, 2, 1, 3).reshape(2, 5, 16) @ m.out.weight.T + m.out.bias
    torch.testing.assert_close(out, ref)
    params = [x, ctx, *m.parameters()]
    w = torch.randn_like(out)
    for a, b in zip(grads((out * w).sum(), params), grads((ref * w).sum(), params)):
        torch.testing.assert_close(a, b)


def test_rope_matches_complex_rotation_and_is_relative():
    rotary = RotaryEmbedding(8)
    x = torch.randn(2, 6, 8, dtype=DTYPE)
    cos, sin = rotary(6, dtype=DTYPE)
    torch.testing.assert_close(apply_rotary(x, cos, sin), rope_complex(x), rtol=1e-6, atol=1e-6)
    # q_m · k_n depends only on m - n: shifting both positions by 3 keeps the score.
    q, k = torch.randn(8, dtype=DTYPE), torch.randn(8, dtype=DTYPE)
    cos, sin = rotary(10, dtype=DTYPE)

    def score(m, n):
        return apply_rotary(q, cos[m], sin[m]) @ apply_rotary(k, cos[n], sin[n])

    torch.testing.assert_close(score(5, 2), score(8, 5), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(score(5, 2), score(5, 4))
