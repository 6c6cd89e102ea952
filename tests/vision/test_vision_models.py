"""Every registered vision model: shapes, gradients, save/load; plus model-specific properties."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import panspectra_vision.models  # noqa: F401 (registration)
from panspectra_core.checkpoint import load_checkpoint, save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.registry import create_model, list_models
from panspectra_vision.models.conv import FastConvNet, patch_whitening_filters

MODELS = list_models(domain="vision")
FAMILIES = {
    "vit",
    "cct",
    "gfnet",
    "spectformer",
    "fnet",
    "vim",
    "swin",
    "crossvit",
    "resnet",
    "fastconv",
}


def test_every_family_is_registered_with_a_recipe() -> None:
    from panspectra_core.registry import model_entry

    tags = {t for name in MODELS for t in model_entry(name).tags}
    assert FAMILIES <= tags
    assert all(model_entry(name).recipe is not None for name in MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_forward_backward(name: str) -> None:
    model = create_model(name, num_classes=7, image_size=16)  # 16 px: a quarter of the work
    x = torch.randn(2, 3, 16, 16)
    logits = model(x)
    assert logits.shape == (2, 7) and torch.isfinite(logits).all()
    logits.logsumexp(1).sum().backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    no_grad = [n for n, p in trainable if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not no_grad, f"{name}: parameters without a finite gradient: {no_grad[:5]}"
    moved = sum(bool(p.grad.abs().sum() > 0) for _, p in trainable)
    assert moved >= 0.9 * len(trainable)
    assert model.forward_head(model.forward_features(x)).shape == (2, 7)


@pytest.mark.parametrize(
    "name", ["vit_micro_patch4_32", "gfnet_cct_32", "crossvit_tiny_32", "fastconv_small_32"]
)
def test_checkpoint_round_trip_and_other_inputs(name: str, tmp_path: Path) -> None:
    kwargs = {"num_classes": 4, "in_channels": 5, "image_size": 32}
    model = create_model(name, **kwargs).eval()
    x = torch.randn(3, 5, 32, 32)
    path = save_checkpoint(
        tmp_path / "m.safetensors", model, model_name=name, model_kwargs=kwargs, domain="vision"
    )
    loaded = load_checkpoint(path).model
    assert torch.allclose(loaded(x), model(x), atol=1e-6)
    model.reset_head(9)
    assert model(x).shape == (3, 9)


def test_image_size_not_divisible_by_the_patch_is_one_line() -> None:
    with pytest.raises(UserError, match="multiple of the model's patch size 4"):
        create_model("vit_micro_patch4_32", num_classes=3, image_size=30)


def test_patch_whitening_whitens_training_patches() -> None:
    gen = torch.Generator().manual_seed(0)
    base = torch.randn(64, 3, 12, 12, generator=gen)
    images = base + 0.8 * base.roll(1, dims=1) + 0.5 * base.roll(1, dims=3)  # correlated
    filters = patch_whitening_filters(images, 2, eps=0.0)
    out = torch.nn.functional.conv2d(images, filters[:12])
    flat = out.permute(0, 2, 3, 1).reshape(-1, 12)
    cov = flat.T @ flat / len(flat)
    assert torch.allclose(cov, torch.eye(12), atol=0.05)
    assert torch.equal(filters[12:], -filters[:12])


def test_fastconv_data_init_sets_frozen_filters() -> None:
    net = FastConvNet(10)
    before = net.whiten.weight.clone()
    net.data_init(torch.randn(32, 3, 32, 32))
    assert not torch.equal(before, net.whiten.weight) and not net.whiten.weight.requires_grad
    assert net.whiten.weight.shape == (24, 3, 2, 2)


def test_conv_stem_hybrid_keeps_the_fastconv_stem_and_its_data_init() -> None:
    """vit_fastconv_32's stem is fastconv_small's first two groups, Dirac-initialised (not
    re-initialised by the transformer init) and whitened from data; 32 px → 7×7 tokens."""
    hybrid = create_model("vit_fastconv_32", num_classes=10)
    stem = hybrid.stem.net
    assert hybrid.grid == (7, 7) and [g.conv2.out_channels for g in stem.groups] == [32, 128]
    first = stem.groups[0].conv1.weight  # (32, 24, 3, 3): Dirac on the 24 input channels
    assert torch.equal(first[:24, :, 1, 1], torch.eye(24)) and first[24:].abs().sum() > 0
    before = stem.whiten.weight.clone()
    stem.data_init(torch.randn(32, 3, 32, 32))
    assert not torch.equal(before, stem.whiten.weight) and not stem.whiten.weight.requires_grad
    x = torch.randn(2, 3, 32, 32)
    assert hybrid.forward_features(x).shape == (2, 49, 128)


def test_three_group_hybrid_is_fastconv_32_with_attention_over_its_last_maps() -> None:
    """vit_fastconv3_32's stem holds fastconv_32's three conv groups: with fastconv_32's
    weights it computes fastconv_32's 3×3 feature maps, which become its 9 attention tokens."""
    hybrid = create_model("vit_fastconv3_32", num_classes=10).eval()
    conv = create_model("fastconv_32", num_classes=10).eval()
    conv.data_init(torch.randn(64, 3, 32, 32))
    stem = hybrid.stem.net
    assert hybrid.grid == (3, 3) and len(hybrid.blocks) == 1
    stem.load_state_dict(
        {k: v for k, v in conv.state_dict().items() if k.split(".")[0] in ("whiten", "groups")}
    )
    x = torch.randn(2, 3, 32, 32)
    maps = conv.forward_features(x)  # (2, 256, 3, 3)
    assert torch.allclose(hybrid.stem(x), maps.flatten(2).transpose(1, 2))
    assert hybrid.forward_features(x).shape == (2, 9, 256)


def test_token_mixers_mix_tokens() -> None:
    """Changing one patch changes the features of another token for every global mixer."""
    for name in ("vit_micro_patch4_32", "gfnet_xs_32", "fnet_xs_32", "vim_tiny_32"):
        model = create_model(name, num_classes=3, drop_path=0.0).eval()
        x = torch.randn(1, 3, 32, 32)
        y = x.clone()
        y[..., :4, :4] += 1.0  # first patch only
        a, b = model.forward_features(x), model.forward_features(y)
        assert not torch.allclose(a[:, -1], b[:, -1]), name  # the last token saw it


def test_window_attention_is_local() -> None:
    """Without the shifted blocks, a change in one 4x4-window region stays inside it."""
    model = create_model(
        "swin_local_tiny_32", num_classes=3, mixers=["window"] * 2, drop_path=0.0
    ).eval()
    x = torch.randn(1, 3, 32, 32)
    y = x.clone()
    y[..., :4, :4] += 1.0
    a, b = model.forward_features(x), model.forward_features(y)
    changed = (a - b).abs().amax(-1).view(8, 8) > 1e-6
    assert changed[:4, :4].any() and not changed[4:, :].any() and not changed[:, 4:].any()


def _loss_and_grads(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, bf16: bool):
    model.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y, label_smoothing=0.2)
    loss.backward()
    grads = torch.cat([p.grad.flatten() for p in model.parameters() if p.requires_grad])
    return logits.float().detach(), grads


def test_fastconv_fast_path_matches_float32_reference() -> None:
    """The training fast path (channels-last, bf16 autocast) against the plain float32 model:
    channels-last is the same computation; bf16 keeps logits and gradients to bf16 accuracy
    (8 mantissa bits flip some max-pool choices: gradients agree to a cosine of about 0.985)."""
    torch.manual_seed(0)
    model = create_model("fastconv_small_32", num_classes=10).train()
    model.data_init(torch.randn(64, 3, 32, 32))
    x, y = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
    ref_logits, ref_grads = _loss_and_grads(model, x, y, bf16=False)
    fast = model.to(memory_format=torch.channels_last)
    x_cl = x.contiguous(memory_format=torch.channels_last)
    cl_logits, cl_grads = _loss_and_grads(fast, x_cl, y, bf16=False)
    assert torch.allclose(cl_logits, ref_logits, atol=1e-4)
    assert torch.allclose(cl_grads, ref_grads, atol=1e-4, rtol=1e-3)
    bf_logits, bf_grads = _loss_and_grads(fast, x_cl, y, bf16=True)
    scale = ref_logits.abs().max()
    assert (bf_logits - ref_logits).abs().max() < 0.05 * scale
    cosine = torch.nn.functional.cosine_similarity(bf_grads, ref_grads, dim=0)
    assert cosine > 0.97 and 0.95 < bf_grads.norm() / ref_grads.norm() < 1.05


def test_conv_recipes_pick_bf16_only_where_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    from panspectra_core.registry import model_entry
    from panspectra_vision.models import conv

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for units, expected in ((["avx512_bf16"], "bf16-mixed"), ([], "32-true")):
        monkeypatch.setattr(conv, "cpu_bf16_units", lambda units=units: units)
        for model in ("fastconv_small_32", "resnet18_32"):
            assert model_entry(model).recipe_for(accelerator="cpu")["precision"] == expected
    assert "precision" not in model_entry("vit_micro_patch4_32").recipe_for(accelerator="cpu")
