"""Unmixing: FCLS solvers vs the scipy reference and their constraints, VCA / N-FINDR recovery
of known endmembers, matched metrics, the autoencoder unmixer."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from panspectra_hsi.unmixing import (
    fcls,
    fcls_exact,
    fcls_pgd,
    fcls_ref,
    fit_autoencoder,
    match_endmembers,
    nfindr,
    project_simplex,
    score_unmixing,
    spectral_angles,
    synthetic_mixture,
    unmix,
    vca,
)
from panspectra_hsi.unmixing.endmembers import simplex_volumes_replacing


@pytest.fixture(scope="module")
def noisy_mixture():
    # abundances off the simplex faces need noise-free FCLS to be exact; noise makes it realistic
    return synthetic_mixture(600, 4, 40, noise_std=0.01, seed=3)


def test_project_simplex_is_the_euclidean_projection():
    g = torch.Generator().manual_seed(0)
    v = torch.randn(200, 5, generator=g, dtype=torch.float64) * 2
    p = project_simplex(v)
    assert (p >= 0).all()
    torch.testing.assert_close(p.sum(-1), torch.ones(200, dtype=torch.float64))
    torch.testing.assert_close(project_simplex(p), p)  # idempotent
    # optimality: <v - p, q - p> <= 0 for every simplex point q (here: the vertices)
    for vertex in torch.eye(5, dtype=torch.float64):
        assert (((v - p) * (vertex - p)).sum(-1) <= 1e-10).all()


def test_fcls_exact_matches_reference_nnls_and_constraints(noisy_mixture):
    pixels, endmembers, _ = noisy_mixture
    perturbed = endmembers + 0.05  # so the true endmembers are not exact
    ref = fcls_ref(pixels[:150], perturbed, delta=1e4)
    exact = fcls_exact(pixels[:150], perturbed).numpy()
    np.testing.assert_allclose(exact, ref, atol=1e-5)
    assert exact.min() >= 0
    np.testing.assert_allclose(exact.sum(1), 1.0, atol=1e-12)
    objective = lambda a: ((a @ perturbed - pixels[:150]) ** 2).sum(1)  # noqa: E731
    feasible_ref = project_simplex(torch.as_tensor(ref)).numpy()  # ref is only ~sum-to-one
    assert (objective(exact) <= objective(feasible_ref) + 1e-12).all()


def test_fcls_pgd_matches_exact_and_dispatch(noisy_mixture):
    pixels, endmembers, _ = noisy_mixture
    exact = fcls_exact(pixels, endmembers)
    pgd = fcls_pgd(pixels, endmembers, tol=1e-10, max_iter=5000)
    torch.testing.assert_close(pgd, exact, atol=1e-4, rtol=0)
    torch.testing.assert_close(fcls(pixels, endmembers), exact)


def test_fcls_recovers_noise_free_abundances_and_keeps_dtype():
    pixels, endmembers, abundances = synthetic_mixture(300, 3, 30, seed=1)
    np.testing.assert_allclose(fcls(pixels, endmembers).numpy(), abundances, atol=1e-8)
    out32 = fcls(torch.as_tensor(pixels, dtype=torch.float32), endmembers)
    assert out32.dtype == torch.float32
    np.testing.assert_allclose(out32.numpy(), abundances, atol=1e-4)


def test_simplex_volume_update_matches_determinants():
    rng = np.random.default_rng(0)
    vertices, candidates = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    got = simplex_volumes_replacing(vertices, 2, candidates)
    for c, value in zip(candidates, got):
        replaced = vertices.copy()
        replaced[2] = c
        expected = abs(np.linalg.det(np.vstack([np.ones(4), replaced.T])))
        assert value == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("extract", [vca, nfindr])
def test_extractors_find_the_pure_pixels(extract):
    pixels, endmembers, abundances = synthetic_mixture(800, 4, 40, seed=5)
    found, indices = extract(pixels, 4, seed=0)
    assert sorted(indices.tolist()) == [0, 1, 2, 3]  # the pure pixels of synthetic_mixture
    scores = score_unmixing(found, endmembers, fcls(pixels, found).numpy(), abundances)
    assert scores.mean_sad < 1e-6 and scores.total_rmse < 1e-6


@pytest.mark.parametrize("method", ["vca", "nfindr", "autoencoder"])
def test_unmix_on_noisy_mixture(method, noisy_mixture):
    pixels, endmembers, abundances = noisy_mixture
    result = unmix(pixels, 4, method, seed=0, ae_epochs=25)
    assert result.abundances.shape == (600, 4) and result.endmembers.shape == (4, 40)
    assert result.abundances.min() >= 0
    np.testing.assert_allclose(result.abundances.sum(1), 1.0, atol=1e-5)
    scores = score_unmixing(result.endmembers, endmembers, result.abundances, abundances)
    assert scores.mean_sad < 0.08, scores.sad
    assert scores.total_rmse < 0.08, scores.rmse


def test_autoencoder_loss_decreases_and_decoder_stays_nonnegative(noisy_mixture):
    pixels = noisy_mixture[0]
    result = fit_autoencoder(pixels, 4, epochs=10, seed=0, init="random", loss="mse")
    assert result.losses[-1] < 0.95 * result.losses[0]
    assert result.endmembers.min() >= 0
    again = fit_autoencoder(pixels, 4, epochs=10, seed=0, init="random", loss="mse")
    np.testing.assert_allclose(again.endmembers, result.endmembers)  # seeded


def test_matching_and_spectral_angles():
    rng = np.random.default_rng(0)
    reference = rng.uniform(0.1, 1, size=(3, 20))
    for perm in itertools.permutations(range(3)):
        estimated = reference[list(perm)] * 2.5  # SAD ignores scale
        order = match_endmembers(estimated, reference)
        np.testing.assert_allclose(estimated[order] / 2.5, reference)
        np.testing.assert_allclose(
            spectral_angles(estimated[order], reference).diagonal(), 0, atol=1e-7
        )
    assert spectral_angles(np.eye(2), np.eye(2))[0, 1] == pytest.approx(np.pi / 2)
    with pytest.raises(ValueError):
        match_endmembers(reference[:2], reference)


def test_invalid_arguments():
    pixels = np.random.default_rng(0).random((50, 10))
    with pytest.raises(ValueError):
        vca(pixels, 1)
    with pytest.raises(ValueError):
        unmix(pixels, 3, "ica")
    with pytest.raises(ValueError):
        fcls(pixels, np.ones((3, 9)))
