"""Low-rank adaptation of linear layers (LoRA; Hu et al. 2021, "LoRA: Low-Rank Adaptation of
Large Language Models", ICLR 2022, arXiv:2106.09685).

``y = x W^T + b + (α / r) · dropout(x) A^T B^T`` with a frozen pretrained ``W`` (out, in), a
trainable ``A`` (r, in) (Kaiming-uniform init) and ``B`` (out, r) initialised to zero, so that at
initialisation the adapted layer equals the base layer exactly.

State-dict keys: :class:`LoRALinear` *adopts* the wrapped ``nn.Linear``'s ``weight`` and ``bias``
Parameters (the same tensors, no copy) as its own, so after :func:`apply_lora` a module keeps the
keys ``...qkv.weight`` / ``...qkv.bias`` of the original model (pretrained checkpoints still load)
and gains ``...qkv.lora_A`` / ``...qkv.lora_B``.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LORA_PARAMETER_NAMES = ("lora_A", "lora_B")


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable rank-``r`` update.

    Args:
        base: the linear layer to adapt; its weight/bias are adopted (shared, then frozen).
        rank: r >= 1, the rank of the update.
        alpha: scaling numerator; the update is multiplied by ``alpha / rank``.
        dropout: dropout on the adapter's input (not on the base path).

    Shapes: (..., in_features) → (..., out_features).

    ``merge()`` folds ``(α/r)·B A`` into the base weight (one matmul at inference);
    ``unmerge()`` takes it out again. Outputs are the same either way (up to rounding).
    """

    def __init__(
        self, base: nn.Linear, rank: int = 8, alpha: float = 16.0, dropout: float = 0.0
    ) -> None:
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"LoRALinear wraps an nn.Linear, got {type(base).__name__}")
        if rank < 1:
            raise ValueError(f"LoRA rank must be >= 1, got {rank}")
        self.in_features, self.out_features = base.in_features, base.out_features
        self.rank, self.alpha = rank, alpha
        self.scaling = alpha / rank
        self.weight = base.weight
        self.bias = base.bias
        self.weight.requires_grad_(False)
        if self.bias is not None:
            self.bias.requires_grad_(False)
        factory = {"device": base.weight.device, "dtype": base.weight.dtype}
        self.lora_A = nn.Parameter(torch.empty(rank, self.in_features, **factory))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, rank, **factory))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # as nn.Linear / the LoRA paper
        self.lora_dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.merged = False

    def delta_weight(self) -> Tensor:
        """The low-rank update ``(α/r) · B A``, shape (out_features, in_features)."""
        return (self.lora_B @ self.lora_A) * self.scaling

    @torch.no_grad()
    def merge(self) -> None:
        """Add the update into ``weight`` (idempotent)."""
        if not self.merged:
            self.weight += self.delta_weight().to(self.weight.dtype)
            self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        """Subtract the update from ``weight`` again (idempotent)."""
        if self.merged:
            self.weight -= self.delta_weight().to(self.weight.dtype)
            self.merged = False

    def forward(self, x: Tensor) -> Tensor:
        y = F.linear(x, self.weight, self.bias)
        if self.merged:
            return y
        update = F.linear(F.linear(self.lora_dropout(x), self.lora_A), self.lora_B)
        return y + update * self.scaling

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"rank={self.rank}, alpha={self.alpha}, merged={self.merged}"
        )


def _matches(name: str, patterns: Iterable[str]) -> bool:
    """True when the full dotted ``name`` or its last component matches a glob pattern."""
    leaf = name.rsplit(".", 1)[-1]
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(leaf, p) for p in patterns)


def apply_lora(
    model: nn.Module,
    target: str | Iterable[str] = ("qkv", "proj"),
    rank: int = 8,
    alpha: float = 16.0,
    dropout: float = 0.0,
) -> nn.Module:
    """Replace, in place, each ``nn.Linear`` whose name matches ``target`` by a :class:`LoRALinear`.

    Args:
        model: any module.
        target: glob patterns matched against each linear layer's full dotted name (e.g.
            ``"blocks.*.attn.qkv"``) or its last component (e.g. ``"qkv"``, ``"fc*"``).
        rank, alpha, dropout: see :class:`LoRALinear`.

    Returns:
        ``model`` (modified in place). Only the wrapped base weights are frozen; call
        :func:`mark_only_lora_trainable` to freeze everything else too.

    Raises:
        ValueError: no ``nn.Linear`` matched (a typo in ``target`` would otherwise train nothing).
    """
    patterns = (target,) if isinstance(target, str) else tuple(target)
    chosen = [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and name and _matches(name, patterns)
    ]
    if not chosen:
        raise ValueError(f"apply_lora: no nn.Linear in the model matches {patterns}")
    for name in chosen:
        parent_name, _, child_name = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, child_name, LoRALinear(getattr(parent, child_name), rank, alpha, dropout))
    return model


def _is_lora_parameter(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in LORA_PARAMETER_NAMES


def mark_only_lora_trainable(model: nn.Module, also_trainable: Iterable[str] = ()) -> nn.Module:
    """Freeze every parameter except the LoRA adapters (and those matching ``also_trainable``).

    Args:
        model: a model with :class:`LoRALinear` layers.
        also_trainable: glob patterns on full parameter names kept trainable, e.g. ``("head.*",)``.

    Returns:
        ``model``.
    """
    extra = tuple(also_trainable)
    for name, param in model.named_parameters():
        keep = _is_lora_parameter(name) or any(fnmatch.fnmatchcase(name, p) for p in extra)
        param.requires_grad_(keep)
    return model


def lora_state_dict(model: nn.Module) -> dict[str, Tensor]:
    """Only the adapter tensors (``*.lora_A``, ``*.lora_B``) of ``model``'s state dict.

    Load them back with ``model.load_state_dict(sd, strict=False)`` on a model prepared with the
    same :func:`apply_lora` call.
    """
    return {k: v for k, v in model.state_dict().items() if _is_lora_parameter(k)}


def count_trainable_parameters(model: nn.Module) -> int:
    """Number of scalar parameters with ``requires_grad`` (shared parameters counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@torch.no_grad()
def merge_lora(model: nn.Module) -> nn.Module:
    """Fold every :class:`LoRALinear` of ``model`` back into a plain ``nn.Linear`` (in place).

    The merged layer computes the same function (``W + (α/r) B A``), so the model's state dict
    has the base architecture's keys again: a fine-tuned model can be saved and rebuilt from its
    registry name without knowing about the adapters. Returns ``model``.
    """
    for name, module in list(model.named_modules()):
        if not isinstance(module, LoRALinear):
            continue
        module.merge()
        linear = nn.Linear(
            module.in_features,
            module.out_features,
            bias=module.bias is not None,
            device=module.weight.device,
            dtype=module.weight.dtype,
        )
        linear.weight.copy_(module.weight)
        if module.bias is not None:
            linear.bias.copy_(module.bias)
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, linear)
    return model
