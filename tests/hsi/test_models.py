"""Registry-driven tests of every hsi model: contract shapes, gradients, re-heading, determinism,
plus per-architecture properties (tokenizer pixel-order invariance, group-wise embedding)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from panspectra_core.registry import create_model, list_models, model_entry
from panspectra_hsi.models.base import PatchClassifier

BANDS, CLASSES, PATCH, BATCH = 16, 5, 7, 3
# models of this package only (other test modules may register throw-away models)
ALL = [
    n
    for n in list_models(domain="hsi")
    if model_entry(n).builder.__module__.startswith("panspectra_hsi.models")
]
# the ensemble wraps other models (tested in test_ensemble.py), it is no PatchClassifier itself
TORCH_MODELS = [n for n in ALL if not {"sklearn", "ensemble"} & set(model_entry(n).tags)]
SKLEARN_MODELS = [n for n in ALL if "sklearn" in model_entry(n).tags]


def build(name: str, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    return create_model(name, num_bands=BANDS, num_classes=CLASSES, patch_size=PATCH, **kwargs)


def test_the_four_families_and_baselines_are_registered():
    for name in ("ssftt", "spectralformer", "ss_mamba", "lola_specvit", "svm", "rf"):
        assert name in ALL
    from panspectra_hsi.options import DISJOINT_DEFAULT, RANDOM_DEFAULT

    assert RANDOM_DEFAULT[0] in ALL and DISJOINT_DEFAULT[0] in ALL


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_forward_contract_and_backward(name):
    model = build(name)
    assert isinstance(model, PatchClassifier)
    x = torch.randn(BATCH, BANDS, PATCH, PATCH)
    features = model.forward_features(x)
    assert features.shape == (BATCH, model.num_features)
    logits = model(x)
    assert logits.shape == (BATCH, CLASSES) and logits.dtype == torch.float32
    model.eval()  # no head dropout: pre_logits is the embedding itself
    assert torch.equal(model.forward_head(features, pre_logits=True), features)
    model.train()
    logits.logsumexp(-1).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"parameters without gradient: {missing}"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_reset_head_keeps_features(name):
    model = build(name).eval()
    x = torch.randn(BATCH, BANDS, PATCH, PATCH)
    before = model.forward_features(x)
    model.reset_head(3)
    assert model(x).shape == (BATCH, 3) and model.num_classes == 3
    torch.testing.assert_close(model.forward_features(x), before)


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_deterministic_build_and_eval(name):
    x = torch.randn(BATCH, BANDS, PATCH, PATCH)
    a, b = build(name, seed=1).eval(), build(name, seed=1).eval()
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))
        torch.testing.assert_close(a(x), a(x))
    assert not torch.equal(build(name, seed=2).eval()(x), a(x))


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_wrong_input_shape_is_a_clear_error(name):
    with pytest.raises(ValueError, match="expects"):
        build(name)(torch.randn(2, BANDS + 1, PATCH, PATCH))


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_lora_trains_only_adapters_and_head(name):
    model = build(name).eval()
    x = torch.randn(BATCH, BANDS, PATCH, PATCH)
    with torch.no_grad():
        before = model(x)
    total = sum(p.numel() for p in model.parameters())
    trainable = model.enable_lora(rank=2)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all(n.endswith(("lora_A", "lora_B")) or n.startswith("head.") for n in names)
    assert any(n.endswith("lora_A") for n in names)
    assert trainable == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable < 0.5 * total
    with torch.no_grad():  # adapters start at zero: same function
        torch.testing.assert_close(model(x), before)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    model.train()
    model(x).logsumexp(-1).sum().backward()
    optimizer.step()
    for n, p in model.named_parameters():
        if n in frozen:
            assert torch.equal(p, frozen[n]), n


def test_ssftt_tokenizer_ignores_pixel_order():
    model = build("ssftt").eval()
    tokens = torch.randn(2, 25, model.num_features)
    perm = torch.randperm(25)
    torch.testing.assert_close(model.tokenizer(tokens), model.tokenizer(tokens[:, perm]))


def test_spectralformer_groupwise_embedding_matches_explicit_groups():
    model = build("spectralformer", window=1, group=3).eval()
    x = torch.randn(2, BANDS, 1, 1, dtype=torch.float64)
    embed = model.embed.double()
    spectra = x[:, :, 0, 0]
    padded = torch.cat([spectra[:, :1], spectra, spectra[:, -1:]], dim=1)
    expected = torch.stack(
        [embed.proj(padded[:, i : i + 3]) for i in range(BANDS)], dim=1
    )  # token i = bands i-1, i, i+1 (edges replicated)
    torch.testing.assert_close(embed(x), expected)


def test_ss_mamba_spectral_tokens_cover_all_bands():
    model = build("ss_mamba", group=5)  # 16 bands -> 4 tokens, the last padded
    assert model.spectral_tokens(torch.randn(2, BANDS, PATCH, PATCH)).shape == (2, 4, 32)


@pytest.mark.parametrize("name", SKLEARN_MODELS)
def test_sklearn_baselines_fit_predict(name):
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, size=(CLASSES, BANDS))
    y = np.repeat(np.arange(1, CLASSES + 1), 20)
    X = centres[y - 1] + rng.normal(0, 0.3, size=(len(y), BANDS))
    model = create_model(name, num_bands=BANDS, num_classes=CLASSES)
    assert model.is_sklearn
    model.fit(X, y)
    assert list(model.classes_) == list(range(1, CLASSES + 1))
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), CLASSES)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert (model.predict(X) == y).mean() > 0.95
    patches = np.repeat(np.repeat(X[:, :, None, None], 3, axis=2), 3, axis=3)
    np.testing.assert_array_equal(model.predict(patches), model.predict(X))
    with pytest.raises(ValueError):
        model.predict(X[:, :-1])


def test_every_model_carries_a_recipe_of_declared_options_and_flags_win():
    from panspectra_core.registry import get_recipe
    from panspectra_hsi.cli import train_config
    from panspectra_hsi.options import TRAIN_BY_NAME

    for name in (n for n in ALL if n != "ensemble"):  # ensemble: N copies of a model (--ensemble)
        recipe = get_recipe(name)
        assert recipe and set(recipe) <= set(TRAIN_BY_NAME), name
        assert all(TRAIN_BY_NAME[key].recipe for key in recipe), name
        cfg = train_config(model=name)
        assert cfg.patch_size >= 1 and cfg.scheduler in ("cosine", "onecycle", "cyclic")
    assert get_recipe("lola_specvit")["scheduler"] == "cyclic"
    assert train_config(model="ssftt").sources["lr"] == "recipe"
    assert train_config(model="ssftt", lr=0.5).lr == 0.5
    assert train_config(model="svm").model_kwargs == {"score_scale": 3.0}
    merged = train_config(model="svm", model_kwargs='{"C": 2.0}').model_kwargs
    assert merged == {"score_scale": 3.0, "C": 2.0}
