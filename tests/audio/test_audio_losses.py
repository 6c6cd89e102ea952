"""SI-SNR oracle values and the permutation-invariant loss."""

from __future__ import annotations

import itertools
import math

import torch

from panspectra_audio.losses import pit_loss, pit_si_snr, pit_si_snr_ref, reorder, si_snr


def test_si_snr_of_known_noise_level():
    g = torch.Generator().manual_seed(0)
    ref = torch.randn(4, 16000, generator=g)
    noise = torch.randn(4, 16000, generator=g)
    noise = noise - noise.mean(-1, keepdim=True)
    ref = ref - ref.mean(-1, keepdim=True)
    # make the noise orthogonal to the reference so the SNR is exact
    noise = noise - (noise * ref).sum(-1, keepdim=True) / ref.pow(2).sum(-1, keepdim=True) * ref
    for snr in (-5.0, 0.0, 10.0):
        scale = torch.sqrt(ref.pow(2).sum(-1) / noise.pow(2).sum(-1) / 10 ** (snr / 10))
        est = ref + scale[:, None] * noise
        assert torch.allclose(si_snr(est, ref), torch.full((4,), snr), atol=1e-3)


def test_si_snr_scale_and_offset_invariant_and_perfect_estimate_is_high():
    ref = torch.randn(2, 8000)
    est = ref + 0.1 * torch.randn(2, 8000)
    assert torch.allclose(si_snr(3.0 * est + 0.5, ref), si_snr(est, ref), atol=1e-4)
    assert (si_snr(ref, ref) > 60).all()
    assert math.isclose(float(si_snr(-ref, ref)[0]), float(si_snr(ref, ref)[0]), rel_tol=1e-6)


def test_pit_matches_reference_and_ignores_source_order():
    ref = torch.randn(3, 3, 4000)
    est = ref + 0.3 * torch.randn(3, 3, 4000)
    best, perm = pit_si_snr(est, ref)
    assert torch.allclose(best, pit_si_snr_ref(est, ref), atol=1e-5)
    assert (perm == torch.arange(3)).all()
    for p in itertools.permutations(range(3)):
        shuffled = est[:, list(p)]
        best_p, perm_p = pit_si_snr(shuffled, ref)
        assert torch.allclose(best_p, best, atol=1e-5)
        assert torch.allclose(reorder(shuffled, perm_p), est)


def test_pit_loss_gradient_flows_to_the_matched_estimates():
    ref = torch.randn(2, 2, 2000)
    est = ref.flip(1).clone().requires_grad_(True)
    pit_loss(est, ref).backward()
    assert est.grad is not None and torch.isfinite(est.grad).all()
    assert float(pit_loss(est.detach(), ref)) < -60
