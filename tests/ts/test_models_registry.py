"""Registry-driven contract tests over every registered ts model.

Contract with the pipeline: ``create_model(name, lookback=L, horizon=H, num_channels=C)`` maps
x (batch, L, C) float32 -> (batch, H, C).
"""

from __future__ import annotations

import pytest
import torch

import panspectra_ts.models  # noqa: F401  (registers the models)
from panspectra_core.registry import create_model, list_models, model_entry
from panspectra_core.training.batch import forward_batch

LOOKBACK, HORIZON, CHANNELS, BATCH = 48, 12, 3, 4
# the learned models (the parameter-free naive baselines have tests of their own)
TS_MODELS = [  # models a run trains (the naive baselines and the forecast mean are built)
    n for n in list_models(domain="ts") if not {"baseline", "ensemble"} & set(model_entry(n).tags)
]
# small overrides so every model builds and runs in milliseconds
SMALL = {
    "patchtst": {"d_model": 8, "num_heads": 2, "d_ff": 16, "num_layers": 1},
    "itransformer": {"d_model": 16, "num_heads": 2, "d_ff": 16, "num_layers": 1},
    "s_mamba": {"d_model": 16, "d_ff": 16, "num_layers": 1},
}


def build(name: str, seed: int = 0, **kwargs) -> torch.nn.Module:
    torch.manual_seed(seed)
    args = {"lookback": LOOKBACK, "horizon": HORIZON, "num_channels": CHANNELS}
    return create_model(name, **{**args, **SMALL.get(name, {}), **kwargs})


def forecast(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model`` on ``x`` plus the batch entries it asks for (CycleNet: each window's absolute
    step; arbitrary but distinct phases here)."""
    return forward_batch(model, {"x": x, "time_index": torch.arange(len(x)) * 5 + 3})


def test_all_paper_models_are_registered():
    expected = {"dlinear", "patchtst", "itransformer", "s_mamba", "tsmixer", "xpatch", "cyclenet"}
    assert expected <= set(TS_MODELS)
    for name in TS_MODELS:
        assert model_entry(name).domain == "ts"
        assert model_entry(name).doc, f"{name} has no docstring"


@pytest.mark.parametrize("name", TS_MODELS)
def test_forward_shape_and_backward(name):
    model = build(name)
    x = torch.randn(BATCH, LOOKBACK, CHANNELS)
    y = forecast(model, x)
    assert y.shape == (BATCH, HORIZON, CHANNELS)
    assert y.dtype == torch.float32 and torch.isfinite(y).all()
    y.square().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None for g in grads), f"{name}: parameter without gradient"
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", TS_MODELS)
def test_default_size_builds_with_paper_shapes(name):
    torch.manual_seed(0)
    model = create_model(name, lookback=96, horizon=96, num_channels=7).eval()
    with torch.no_grad():
        assert forecast(model, torch.randn(2, 96, 7)).shape == (2, 96, 7)


@pytest.mark.parametrize("name", TS_MODELS)
def test_deterministic_given_seed(name):
    x = torch.randn(BATCH, LOOKBACK, CHANNELS)
    a, b = build(name, seed=3).eval(), build(name, seed=3).eval()
    with torch.no_grad():
        torch.testing.assert_close(forecast(a, x), forecast(b, x), rtol=0, atol=0)
    c = build(name, seed=4).eval()
    with torch.no_grad():
        assert not torch.equal(forecast(a, x), forecast(c, x)), (
            "different seeds gave identical models"
        )


@pytest.mark.parametrize("name", TS_MODELS)
def test_output_depends_only_on_its_own_window(name):
    """Eval mode: a sample's forecast ignores the other samples of the batch and nothing but x
    feeds it (two calls agree)."""
    model = build(name).eval()
    x = torch.randn(BATCH, LOOKBACK, CHANNELS)
    other = x.clone()
    other[1:] = torch.randn(BATCH - 1, LOOKBACK, CHANNELS) * 5 + 3
    with torch.no_grad():
        y, y_other, y_alone = forecast(model, x), forecast(model, other), forecast(model, x[:1])
        y_again = forecast(model, x)
    torch.testing.assert_close(y[0], y_other[0], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(y[:1], y_alone, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(y, y_again, rtol=0, atol=0)


@pytest.mark.parametrize("name", TS_MODELS)
def test_output_uses_the_whole_lookback(name):
    """Perturbing the oldest step of the window changes the forecast (no truncation bug)."""
    model = build(name).eval()
    x = torch.randn(1, LOOKBACK, CHANNELS, requires_grad=True)
    forecast(model, x).sum().backward()
    assert x.grad[0, 0].abs().sum() > 0
    assert x.grad[0, -1].abs().sum() > 0


@pytest.mark.parametrize("name", TS_MODELS)
def test_scale_shift_equivariance_with_revin(name):
    """Models with RevIN forecast in the input's units: shifting and scaling the
    window shifts and scales the forecast when RevIN's affine parameters are at identity."""
    model = build(name).eval()
    if getattr(model, "revin", None) is None:
        pytest.skip(f"{name} has no RevIN by default")
    x = torch.randn(2, LOOKBACK, CHANNELS)
    with torch.no_grad():
        torch.testing.assert_close(
            forecast(model, 3.0 * x + 7.0), 3.0 * forecast(model, x) + 7.0, rtol=1e-4, atol=1e-3
        )
