"""The STFT-domain enhancer (exact analysis/synthesis, bounded gains, identity start) and the
compressed spectral loss."""

from __future__ import annotations

import torch

from panspectra_audio.losses import compressed_spectral_loss, enhancement_loss, si_snr
from panspectra_audio.models.stft_masker import SpectralGainNet, STFTMasker
from panspectra_core.registry import create_model


class _Ones(torch.nn.Module):
    def forward(self, spec):
        return torch.ones(spec.shape[0], 1, *spec.shape[1:])


def test_unit_gains_reproduce_the_input_exactly():
    for window, stride in ((256, 64), (64, 32), (96, 16)):
        model = STFTMasker(_Ones(), window=window, stride=stride)
        x = torch.randn(2, 1111)
        assert torch.allclose(model(x), x, atol=1e-5)


def test_gains_stay_within_the_floor_and_one():
    torch.manual_seed(0)
    net = SpectralGainNet(33, dim=16, depth=1, kind="gru", floor_db=-20.0)
    with torch.no_grad():
        net.out[1].weight.mul_(1000.0)  # saturate the sigmoid both ways
        net.out[1].bias.zero_()
        spec = torch.fft.rfft(torch.randn(2, 40, 64) * 10, dim=-1).transpose(1, 2)
        gains = net(spec)
    assert gains.shape == (2, 1, 33, 40)
    assert gains.min() >= 0.1 - 1e-6 and gains.max() <= 1.0
    assert gains.min() < 0.11 and gains.max() > 0.99


def test_complex_masks_stay_inside_the_unit_circle_and_reach_every_phase():
    torch.manual_seed(0)
    net = SpectralGainNet(33, dim=16, depth=1, kind="gru", mask="complex")
    with torch.no_grad():
        net.out[1].weight.mul_(1000.0)  # saturate the modulus
        spec = torch.fft.rfft(torch.randn(2, 40, 64) * 10, dim=-1).transpose(1, 2)
        masks = net(spec)
    assert masks.shape == (2, 1, 33, 40) and masks.is_complex()
    assert masks.abs().max() <= 1.0 + 1e-6 and masks.abs().max() > 0.99
    angles = masks.angle().flatten()
    assert (angles > 2.5).any() and (angles < -2.5).any() and (angles.abs() < 0.5).any()


def test_a_complex_mask_corrects_the_phase_a_real_gain_cannot():
    # a mask of −1 (phase π) inverts the signal: reachable only by the complex mask
    class _Minus(torch.nn.Module):
        def forward(self, spec):
            return -torch.ones(spec.shape[0], 1, *spec.shape[1:], dtype=spec.dtype)

    x = torch.randn(2, 1111)
    assert torch.allclose(STFTMasker(_Minus(), window=64, stride=16)(x), -x, atol=1e-5)


def test_only_the_unidirectional_gain_net_is_causal():
    from panspectra_audio.models.tasnet import StreamingEnhancer

    assert SpectralGainNet(33, dim=16, depth=1, mask="complex").causal
    assert create_model("crm_stft_enhance", dim=16, depth=1).causal
    model = create_model("crm_stft_enhance", dim=16, depth=1, bidirectional=True)
    assert not model.causal
    try:
        StreamingEnhancer(model)
    except ValueError as err:
        assert "not causal" in str(err)
    else:
        raise AssertionError("a bidirectional model streamed")


def test_fresh_models_start_near_identity_and_keep_length():
    torch.manual_seed(0)
    x = torch.randn(1, 3001) * 0.1
    # the complex mask starts with a small random phase: near the identity, less close
    for name, floor_db in (
        ("mamba_stft_enhance", 15),
        ("gru_stft_enhance", 15),
        ("crm_stft_enhance", 10),
    ):
        model = create_model(name, dim=16, depth=1).eval()
        with torch.no_grad():
            y = model(x)
        assert y.shape == x.shape
        assert float(si_snr(y, x)) > floor_db


def test_compressed_spectral_loss_is_level_free_and_orders_noise():
    torch.manual_seed(0)
    clean = torch.randn(2, 4000) * 0.1
    noise = torch.randn(2, 4000) * 0.1
    assert float(compressed_spectral_loss(clean, clean)) < 1e-6
    near, far = clean + 0.1 * noise, clean + noise
    assert compressed_spectral_loss(near, clean) < compressed_spectral_loss(far, clean)
    assert torch.allclose(
        compressed_spectral_loss(near * 3, clean * 3), compressed_spectral_loss(near, clean)
    )
    assert enhancement_loss(near, clean) < enhancement_loss(far, clean)


def test_signal_loader_takes_a_step_even_when_an_epoch_is_smaller_than_a_batch():
    from panspectra_audio.pipeline.signals import signal_loader

    def items(n):
        return [{"x": torch.zeros(4), "y": torch.zeros(4)} for _ in range(n)]

    assert len(signal_loader(items(3), 8)) == 1
    assert len(signal_loader(items(20), 8)) == 2  # the partial third batch is dropped
