"""LoRALinear and the apply/merge/freeze helpers."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from panspectra_core.layers import (
    LoRALinear,
    apply_lora,
    count_trainable_parameters,
    lora_state_dict,
    mark_only_lora_trainable,
)


class TinyBlock(nn.Module):
    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        q, k, v = self.qkv(self.norm(x)).chunk(3, dim=-1)
        return self.fc1(self.proj(q * k + v))


class TinyModel(nn.Module):
    def __init__(self, dim: int = 8, depth: int = 2, classes: int = 3) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(TinyBlock(dim) for _ in range(depth))
        self.head = nn.Linear(2 * dim, classes)
        self.dim = dim

    def forward(self, x):
        for block in self.blocks:
            x = block(x)[..., : self.dim] + x
        return self.head(torch.cat([x, x], dim=-1))


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _perturb_adapters(model: nn.Module, seed: int = 1) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("lora_B"):
                param.copy_(torch.randn(param.shape, generator=gen))


def test_lora_linear_equals_base_at_init_and_formula_after_update():
    torch.manual_seed(0)
    base = nn.Linear(6, 4)
    reference = nn.Linear(6, 4)
    reference.load_state_dict(base.state_dict())
    lora = LoRALinear(base, rank=2, alpha=8.0)
    x = _randn(5, 6)
    torch.testing.assert_close(lora(x), reference(x))  # B = 0 at init
    assert torch.all(lora.lora_B == 0) and lora.lora_A.abs().sum() > 0
    _perturb_adapters(lora)
    expected = reference(x) + (8.0 / 2) * x @ lora.lora_A.T @ lora.lora_B.T
    torch.testing.assert_close(lora(x), expected)


def test_lora_base_frozen_only_adapters_get_gradients():
    torch.manual_seed(0)
    lora = LoRALinear(nn.Linear(6, 4), rank=3)
    _perturb_adapters(lora)
    lora(_randn(2, 6)).sum().backward()
    assert not lora.weight.requires_grad and not lora.bias.requires_grad
    assert lora.weight.grad is None
    assert lora.lora_A.grad is not None and lora.lora_A.grad.abs().sum() > 0
    assert lora.lora_B.grad is not None and lora.lora_B.grad.abs().sum() > 0
    assert count_trainable_parameters(lora) == 3 * 6 + 4 * 3


def test_merge_unmerge_equivalence():
    torch.manual_seed(0)
    lora = LoRALinear(nn.Linear(6, 4), rank=2, alpha=4.0, dropout=0.2).double().eval()
    _perturb_adapters(lora)
    original_weight = lora.weight.detach().clone()
    x = _randn(3, 6).double()
    unmerged = lora(x)
    lora.merge()
    lora.merge()  # idempotent
    assert lora.merged
    torch.testing.assert_close(lora.weight, original_weight + lora.delta_weight())
    torch.testing.assert_close(lora(x), unmerged)
    lora.unmerge()
    lora.unmerge()
    torch.testing.assert_close(lora.weight, original_weight)
    torch.testing.assert_close(lora(x), unmerged)


def test_apply_lora_targets_names_and_keeps_checkpoint_keys():
    torch.manual_seed(0)
    model = TinyModel()
    pretrained = {k: v.clone() for k, v in model.state_dict().items()}
    x = _randn(2, 5, 8)
    before = model(x)
    apply_lora(model, target=("qkv", "blocks.1.proj"), rank=2, alpha=4)
    assert isinstance(model.blocks[0].qkv, LoRALinear)
    assert isinstance(model.blocks[1].qkv, LoRALinear)
    assert isinstance(model.blocks[1].proj, LoRALinear)
    assert isinstance(model.blocks[0].proj, nn.Linear)  # full-name pattern matched block 1 only
    assert isinstance(model.blocks[0].fc1, nn.Linear) and isinstance(model.head, nn.Linear)
    torch.testing.assert_close(model(x), before)  # identical at init
    # the original keys are still there, so a pretrained checkpoint loads into the LoRA model
    missing, unexpected = model.load_state_dict(pretrained, strict=False)
    assert unexpected == [] and all(k.endswith(("lora_A", "lora_B")) for k in missing)
    assert len(missing) == 2 * 3
    with pytest.raises(ValueError):
        apply_lora(TinyModel(), target="does_not_exist")


def test_mark_only_lora_trainable_counts_and_state_dict():
    torch.manual_seed(0)
    dim, rank = 8, 2
    model = apply_lora(TinyModel(dim), target=("qkv", "proj"), rank=rank)
    mark_only_lora_trainable(model)
    per_block = rank * (dim + 3 * dim) + rank * (dim + dim)  # qkv: A (r, 8), B (24, r); proj
    assert count_trainable_parameters(model) == 2 * per_block
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert all(n.endswith(("lora_A", "lora_B")) for n in trainable)
    mark_only_lora_trainable(model, also_trainable=("head.*",))
    assert count_trainable_parameters(model) == 2 * per_block + (2 * dim * 3 + 3)
    adapters = lora_state_dict(model)
    assert set(adapters) == trainable
    # adapters round-trip into a fresh model prepared the same way
    _perturb_adapters(model, seed=5)
    fresh = apply_lora(TinyModel(dim), target=("qkv", "proj"), rank=rank)
    fresh.load_state_dict(model.state_dict())
    other = apply_lora(TinyModel(dim), target=("qkv", "proj"), rank=rank)
    other.load_state_dict({**other.state_dict(), **lora_state_dict(model)}, strict=True)
    for name, tensor in lora_state_dict(model).items():
        torch.testing.assert_close(other.state_dict()[name], tensor)


def test_lora_rejects_bad_arguments():
    with pytest.raises(ValueError):
        LoRALinear(nn.Linear(4, 4), rank=0)
    with pytest.raises(TypeError):
        LoRALinear(nn.Conv1d(4, 4, 1))


def test_merge_lora_folds_adapters_into_plain_linears():
    from panspectra_core.layers import merge_lora

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.GELU(), nn.Linear(5, 3))
    reference_keys = set(model.state_dict())
    apply_lora(model, target=("0", "2"), rank=2, alpha=4.0)
    for module in model.modules():
        if isinstance(module, LoRALinear):
            nn.init.normal_(module.lora_B)  # a non-zero, "trained" update
    x = torch.randn(4, 6)
    expected = model(x)
    merge_lora(model)
    assert not any(isinstance(m, LoRALinear) for m in model.modules())
    assert set(model.state_dict()) == reference_keys
    torch.testing.assert_close(model(x), expected)
