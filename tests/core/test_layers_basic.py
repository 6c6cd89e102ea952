"""RMSNorm, GLU feed-forwards, DropPath and the probability ensemble against their formulas and
statistics."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from panspectra_core.layers import (
    GEGLU,
    DropPath,
    ProbabilityEnsemble,
    RMSNorm,
    SwiGLU,
    drop_path,
    glu_hidden_dim,
)


def _randn(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def test_rmsnorm_matches_formula_outputs_and_grads():
    torch.manual_seed(0)
    norm = RMSNorm(16, eps=1e-5).double()
    with torch.no_grad():
        norm.weight.copy_(torch.linspace(0.5, 2.0, 16, dtype=torch.float64))
    x = _randn(3, 5, 16, dtype=torch.float64).requires_grad_(True)
    y = norm(x)
    expected = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * norm.weight
    torch.testing.assert_close(y, expected)
    cotangent = _randn(3, 5, 16, seed=1, dtype=torch.float64)
    grads = torch.autograd.grad((y * cotangent).sum(), (x, norm.weight))
    grads_ref = torch.autograd.grad((expected * cotangent).sum(), (x, norm.weight))
    for g, g_ref in zip(grads, grads_ref):
        torch.testing.assert_close(g, g_ref)
    # unit root-mean-square when the gain is one
    plain = RMSNorm(16, elementwise_affine=False)
    out = plain(_randn(4, 16, seed=2) * 7.0)
    torch.testing.assert_close(out.pow(2).mean(-1), torch.ones(4), atol=1e-4, rtol=1e-4)
    assert plain.weight is None


def test_rmsnorm_matches_torch_and_keeps_half_dtype():
    x = _randn(2, 8, 32)
    torch.testing.assert_close(RMSNorm(32)(x), F.rms_norm(x, (32,), eps=1e-6))
    assert RMSNorm(32)(x.bfloat16()).dtype == torch.bfloat16


@pytest.mark.parametrize(
    ("dim", "hidden", "multiple", "expected"),
    [(64, None, 8, 176), (64, None, 64, 192), (30, 100, 16, 112), (48, 128, 8, 128)],
)
def test_glu_hidden_rounding(dim, hidden, multiple, expected):
    assert glu_hidden_dim(dim, hidden, multiple) == expected
    assert SwiGLU(dim, hidden_dim=hidden, multiple_of=multiple).hidden_dim == expected


@pytest.mark.parametrize(("cls", "activation"), [(SwiGLU, F.silu), (GEGLU, F.gelu)])
def test_glu_matches_explicit_formula(cls, activation):
    torch.manual_seed(0)
    ffn = cls(12, hidden_dim=20, multiple_of=4, bias=True, out_dim=6).double()
    x = _randn(2, 3, 12, dtype=torch.float64).requires_grad_(True)
    h = ffn.hidden_dim
    w, b = ffn.in_proj.weight, ffn.in_proj.bias
    gate = x @ w[:h].T + b[:h]
    up = x @ w[h:].T + b[h:]
    expected = (activation(gate) * up) @ ffn.out_proj.weight.T + ffn.out_proj.bias
    y = ffn(x)
    assert y.shape == (2, 3, 6)
    torch.testing.assert_close(y, expected)
    (grad,) = torch.autograd.grad(y.sum(), x)
    (grad_ref,) = torch.autograd.grad(expected.sum(), x)
    torch.testing.assert_close(grad, grad_ref)


def test_swiglu_and_geglu_differ():
    torch.manual_seed(0)
    swi, ge = SwiGLU(8), GEGLU(8)
    ge.load_state_dict(swi.state_dict())
    x = _randn(4, 8)
    assert not torch.allclose(swi(x), ge(x))


def test_drop_path_is_identity_in_eval_and_for_zero_probability():
    x = _randn(8, 4, 5)
    layer = DropPath(0.5).eval()
    assert torch.equal(layer(x), x)
    assert torch.equal(DropPath(0.0).train()(x), x)


def test_drop_path_statistics_in_train_mode():
    p, n = 0.3, 20_000
    x = torch.ones(n, 3)
    gen = torch.Generator().manual_seed(0)
    y = drop_path(x, p, training=True, generator=gen)
    dropped = (y == 0).all(dim=1)
    kept = ~dropped
    # whole samples are dropped or kept; survivors are scaled by 1 / (1 - p)
    assert torch.all((y == 0).any(dim=1) == dropped)
    torch.testing.assert_close(y[kept], torch.full_like(y[kept], 1 / (1 - p)))
    # drop rate ~ p (binomial std ≈ 0.003) and the expectation is preserved
    assert abs(dropped.float().mean().item() - p) < 0.015
    assert abs(y.mean().item() - 1.0) < 0.03
    unscaled = drop_path(x, p, training=True, scale_by_keep=False, generator=gen)
    assert set(unscaled.unique().tolist()) == {0.0, 1.0}


def test_drop_path_gradient_and_invalid_probability():
    x = _randn(6, 4).requires_grad_(True)
    torch.manual_seed(3)
    y = DropPath(0.5).train()(x)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y / x).detach())  # gradient is the per-sample mask
    with pytest.raises(ValueError):
        DropPath(1.0)


def test_probability_ensemble_returns_the_log_of_the_mean_member_probability():
    torch.manual_seed(0)
    members = [nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)) for _ in range(3)]
    x = torch.randn(4, 5, requires_grad=True)
    out = ProbabilityEnsemble(members)(x)
    expected = torch.stack([m(x).softmax(-1) for m in members]).mean(0)
    torch.testing.assert_close(out.exp(), expected)
    torch.testing.assert_close(
        ProbabilityEnsemble(members[:1])(x).softmax(-1), members[0](x).softmax(-1)
    )
    out.sum().backward()  # every member gets a gradient
    assert all(m[0].weight.grad is not None and m[0].weight.grad.abs().sum() > 0 for m in members)
    with pytest.raises(ValueError, match="at least one member"):
        ProbabilityEnsemble([])
