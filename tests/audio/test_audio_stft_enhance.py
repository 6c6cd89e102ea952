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


def test_fresh_models_start_near_identity_and_keep_length():
    x = torch.randn(1, 3001) * 0.1
    for name in ("mamba_stft_enhance", "gru_stft_enhance"):
        model = create_model(name, dim=16, depth=1).eval()
        with torch.no_grad():
            y = model(x)
        assert y.shape == x.shape
        assert float(si_snr(y, x)) > 15.0


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
