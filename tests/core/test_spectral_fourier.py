"""FNet mixing, GFNet global filters and FFT long convolution against direct references."""

from __future__ import annotations

import pytest
import torch

from panspectra_core.spectral import (
    FNetMixing,
    GlobalFilter1d,
    GlobalFilter2d,
    circular_conv_ref,
    fft_conv,
    fft_conv_ref,
    fnet_mixing,
    fnet_mixing_ref,
)

TOLERANCES = {torch.float64: 1e-10, torch.float32: 1e-4}


def _outputs_and_grads(fn, *inputs):
    """Output of ``fn`` and the gradients of ``<output, fixed random cotangent>`` w.r.t. inputs."""
    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    out = fn(*leaves)
    cotangent = torch.randn(out.shape, generator=torch.Generator().manual_seed(7), dtype=out.dtype)
    grads = torch.autograd.grad((out * cotangent).sum(), leaves)
    return out.detach(), grads


def _assert_match(fast, ref, *inputs, tol):
    out_fast, grads_fast = _outputs_and_grads(fast, *inputs)
    out_ref, grads_ref = _outputs_and_grads(ref, *inputs)
    torch.testing.assert_close(out_fast, out_ref, atol=tol, rtol=tol)
    for g_fast, g_ref in zip(grads_fast, grads_ref):
        torch.testing.assert_close(g_fast, g_ref, atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fnet_matches_dft_matrix_reference(dtype):
    x = torch.randn(2, 12, 10, generator=torch.Generator().manual_seed(0), dtype=dtype)
    _assert_match(fnet_mixing, fnet_mixing_ref, x, tol=TOLERANCES[dtype] * 10)


def test_fnet_module_real_output_and_known_value():
    layer = FNetMixing()
    x = torch.zeros(1, 4, 3)
    x[0, 0, 0] = 1.0  # a delta: its 2D DFT is all ones
    torch.testing.assert_close(layer(x), torch.ones(1, 4, 3))
    assert not layer(torch.randn(2, 5, 6)).is_complex()
    assert layer(torch.randn(2, 5, 6, dtype=torch.bfloat16)).dtype == torch.bfloat16


def test_global_filter_1d_is_circular_convolution_with_its_kernel():
    torch.manual_seed(0)
    layer = GlobalFilter1d(seq_len=10, dim=3, init_std=1.0).double()
    x = torch.randn(2, 10, 3, dtype=torch.float64)
    kernel = layer.spatial_kernel()
    assert kernel.shape == (10, 3)
    torch.testing.assert_close(layer(x), circular_conv_ref(x, kernel, dims=(1,)))


@pytest.mark.parametrize("width", [8, 7])  # even and odd widths (odd: no Nyquist bin)
def test_global_filter_2d_is_circular_convolution_with_its_kernel(width):
    torch.manual_seed(0)
    layer = GlobalFilter2d(height=5, width=width, dim=2, init_std=1.0).double()
    x = torch.randn(2, 5, width, 2, dtype=torch.float64)
    expected = circular_conv_ref(x, layer.spatial_kernel(), dims=(1, 2))
    torch.testing.assert_close(layer(x), expected)
    # flattened (batch, H*W, dim) tokens give the same answer, flattened
    torch.testing.assert_close(layer(x.flatten(1, 2)), expected.flatten(1, 2))


@pytest.mark.parametrize("layer_cls", ["1d", "2d"])
def test_global_filter_gradients_match_circular_conv_reference(layer_cls):
    torch.manual_seed(1)
    if layer_cls == "1d":
        layer, shape, dims = GlobalFilter1d(9, 2, init_std=1.0).double(), (2, 9, 2), (1,)
    else:
        layer, shape, dims = GlobalFilter2d(4, 6, 2, init_std=1.0).double(), (2, 4, 6, 2), (1, 2)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    cotangent = torch.randn(shape, dtype=torch.float64)
    params = (x, layer.complex_weight)
    grads = torch.autograd.grad((layer(x) * cotangent).sum(), params)
    ref_out = circular_conv_ref(x, layer.spatial_kernel(), dims=dims)
    grads_ref = torch.autograd.grad((ref_out * cotangent).sum(), params)
    for grad, grad_ref in zip(grads, grads_ref):
        torch.testing.assert_close(grad, grad_ref)


def test_global_filter_gradients_reach_the_complex_weight():
    torch.manual_seed(0)
    layer = GlobalFilter2d(4, 4, 3)
    layer(torch.randn(2, 4, 4, 3)).square().sum().backward()
    assert layer.complex_weight.grad is not None
    assert layer.complex_weight.grad.abs().sum() > 0
    assert not layer.complex_weight.is_complex()  # stored as a real view
    with pytest.raises(ValueError):
        layer(torch.randn(2, 5, 4, 3))


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("kernel_len", [1, 5, 32])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fft_conv_matches_direct_conv1d(causal, kernel_len, dtype):
    gen = torch.Generator().manual_seed(kernel_len)
    x = torch.randn(2, 3, 32, generator=gen, dtype=dtype)
    kernel = torch.randn(3, kernel_len, generator=gen, dtype=dtype)

    def fast(a, k):
        return fft_conv(a, k, causal=causal)

    def ref(a, k):
        return fft_conv_ref(a, k, causal=causal)

    _assert_match(fast, ref, x, kernel, tol=TOLERANCES[dtype])


def test_fft_conv_per_sample_kernel_and_gradcheck():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 2, 8, generator=gen, dtype=torch.float64, requires_grad=True)
    kernel = torch.randn(2, 2, 8, generator=gen, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(fft_conv(x, kernel), fft_conv_ref(x, kernel))
    torch.testing.assert_close(fft_conv(x, kernel, False), fft_conv_ref(x, kernel, False))
    for causal in (True, False):
        assert torch.autograd.gradcheck(
            lambda a, k, c=causal: fft_conv(a, k, causal=c), (x, kernel), fast_mode=True
        )


def test_fft_conv_is_causal():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(1, 4, 40, generator=gen)
    kernel = torch.randn(4, 40, generator=gen)
    changed = x.clone()
    changed[..., 25:] = torch.randn(1, 4, 15, generator=gen)
    y, y_changed = fft_conv(x, kernel), fft_conv(changed, kernel)
    torch.testing.assert_close(y[..., :25], y_changed[..., :25])
    assert not torch.allclose(y[..., 25:], y_changed[..., 25:])


def test_fft_conv_circular_wraps_around():
    x = torch.zeros(1, 1, 8)
    x[..., 7] = 1.0  # last sample
    kernel = torch.tensor([[0.0, 2.0]])  # delay by one step
    circular = fft_conv(x, kernel, causal=False)
    assert circular[0, 0, 0] == pytest.approx(2.0)  # wrapped to the start
    assert fft_conv(x, kernel)[0, 0].abs().sum() == pytest.approx(0.0, abs=1e-6)  # truncated


def test_fft_conv_half_precision_and_shape_errors():
    x = torch.randn(2, 3, 16, dtype=torch.bfloat16)
    kernel = torch.randn(3, 4, dtype=torch.bfloat16)
    assert fft_conv(x, kernel).dtype == torch.bfloat16
    with pytest.raises(ValueError):
        fft_conv(x, torch.randn(4, 4))  # wrong channel count
    with pytest.raises(ValueError):
        fft_conv(x.float(), torch.randn(3, 17), causal=False)  # K > L in circular mode
