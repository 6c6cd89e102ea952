"""Unit tests of the ts model building blocks: decompositions vs their references (values and
gradients), RevIN round trip, patch counts, xPatch's depthwise conv, DLinear's linear maps."""

from __future__ import annotations

import pytest
import torch

from panspectra_ts.models import (
    DLinear,
    EMADecomposition,
    MovingAverageDecomposition,
    PatchTST,
    RevIN,
    XPatch,
    exponential_moving_average,
    exponential_moving_average_ref,
    moving_average,
    moving_average_ref,
)
from panspectra_ts.models.xpatch import PatchwiseDepthwiseConv


def _series(length: int = 80, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(2, length, 3, generator=gen, dtype=dtype).requires_grad_(True)


@pytest.mark.parametrize("kernel_size", [1, 4, 25])
def test_moving_average_matches_reference_values_and_gradients(kernel_size):
    x = _series()
    fast, ref = moving_average(x, kernel_size), moving_average_ref(x, kernel_size)
    torch.testing.assert_close(fast, ref)
    weights = torch.randn_like(fast)
    (g_fast,) = torch.autograd.grad((fast * weights).sum(), x)
    (g_ref,) = torch.autograd.grad((ref * weights).sum(), x)
    torch.testing.assert_close(g_fast, g_ref)


@pytest.mark.parametrize(("alpha", "length"), [(0.3, 80), (0.3, 700), (0.95, 300), (1.0, 10)])
def test_ema_matches_reference_values_and_gradients(alpha, length):
    x = _series(length)
    fast, ref = exponential_moving_average(x, alpha), exponential_moving_average_ref(x, alpha)
    torch.testing.assert_close(fast, ref)
    weights = torch.randn_like(fast)
    (g_fast,) = torch.autograd.grad((fast * weights).sum(), x)
    (g_ref,) = torch.autograd.grad((ref * weights).sum(), x)
    torch.testing.assert_close(g_fast, g_ref)


def test_ema_float32_stays_close_to_float64_reference():
    x = _series(600).detach()
    fast = exponential_moving_average(x.float(), 0.3)
    assert fast.dtype == torch.float32
    reference = exponential_moving_average_ref(x, 0.3)
    torch.testing.assert_close(fast.double(), reference, atol=1e-5, rtol=1e-5)


def test_ema_is_causal():
    x = _series(50).detach()
    changed = x.clone()
    changed[:, 30:] += 10.0
    a, b = exponential_moving_average(x, 0.3), exponential_moving_average(changed, 0.3)
    torch.testing.assert_close(a[:, :30], b[:, :30])
    assert not torch.allclose(a[:, 30:], b[:, 30:])


def test_moving_average_of_constant_and_linear_series():
    t = torch.arange(40, dtype=torch.float64).view(1, -1, 1)
    const = torch.full_like(t, 2.5)
    torch.testing.assert_close(moving_average(const, 25), const)
    # away from the replicated borders a centred odd window reproduces a line exactly
    torch.testing.assert_close(moving_average(t, 5)[:, 2:-2], t[:, 2:-2])


@pytest.mark.parametrize("decomposition", [MovingAverageDecomposition(25), EMADecomposition(0.3)])
def test_decompositions_reconstruct_the_input(decomposition):
    x = _series(96, dtype=torch.float32).detach()
    seasonal, trend = decomposition(x)
    torch.testing.assert_close(seasonal + trend, x)
    assert trend.diff(dim=1).abs().mean() < x.diff(dim=1).abs().mean()  # trend is smoother


@pytest.mark.parametrize("subtract_last", [False, True])
def test_revin_round_trip_and_statistics(subtract_last):
    torch.manual_seed(0)
    revin = RevIN(3, subtract_last=subtract_last)
    with torch.no_grad():
        revin.weight.uniform_(0.5, 2.0)
        revin.bias.normal_()
    x = torch.randn(4, 64, 3) * 10 + 5
    normed = revin.normalize(x)
    torch.testing.assert_close(revin.denormalize(normed), x, rtol=1e-5, atol=1e-4)
    plain = RevIN(3, affine=False)
    z = plain.normalize(x)
    torch.testing.assert_close(z.mean(dim=1), torch.zeros(4, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(z.std(dim=1, unbiased=False), torch.ones(4, 3), atol=1e-4, rtol=0)


def test_revin_denormalize_before_normalize_raises():
    with pytest.raises(RuntimeError):
        RevIN(2).denormalize(torch.zeros(1, 3, 2))


@pytest.mark.parametrize(("lookback", "expected"), [(96, 12), (336, 42), (512, 64)])
def test_patch_counts_match_the_paper(lookback, expected):
    # PatchTST: N = (L - P) / S + 2 with end padding; 42 patches at L=336 and 64 at L=512.
    assert PatchTST(lookback, 24, 2).num_patches == expected
    model = XPatch(lookback, 24, 2)
    assert model.seasonal.patch_embed.num_patches(lookback) == expected


def test_dlinear_shared_vs_individual():
    torch.manual_seed(0)
    shared, individual = DLinear(32, 8, 3), DLinear(32, 8, 3, individual=True)
    assert sum(p.numel() for p in individual.parameters()) == 3 * sum(
        p.numel() for p in shared.parameters()
    )
    # shared weights: permuting the channels permutes the forecast
    x = torch.randn(2, 32, 3)
    perm = torch.tensor([2, 0, 1])
    torch.testing.assert_close(shared(x[..., perm]), shared(x)[..., perm])


def test_dlinear_equals_explicit_linear_maps():
    torch.manual_seed(0)
    model = DLinear(32, 8, 2, kernel_size=5, individual=True)
    x = torch.randn(3, 32, 2)
    seasonal, trend = MovingAverageDecomposition(5)(x)
    expected = torch.stack(
        [
            seasonal[..., c] @ model.seasonal.weight[c].T
            + model.seasonal.bias[c]
            + trend[..., c] @ model.trend.weight[c].T
            + model.trend.bias[c]
            for c in range(2)
        ],
        dim=-1,
    )
    torch.testing.assert_close(model(x), expected)


def test_patchwise_depthwise_conv_matches_grouped_conv1d():
    torch.manual_seed(0)
    conv = PatchwiseDepthwiseConv(num_patches=5, patch_len=4).double()
    x = torch.randn(3, 5, 16, dtype=torch.float64, requires_grad=True)
    fast, ref = conv(x), conv.reference(x)
    torch.testing.assert_close(fast, ref)
    weights = torch.randn_like(fast)
    grads_fast = torch.autograd.grad((fast * weights).sum(), [x, *conv.parameters()])
    grads_ref = torch.autograd.grad((ref * weights).sum(), [x, *conv.parameters()])
    for g_fast, g_ref in zip(grads_fast, grads_ref):
        torch.testing.assert_close(g_fast, g_ref)
