"""Shared contract of the hyperspectral patch classifiers (timm-like).

Every torch model registered in the ``hsi`` domain maps a patch cube to class logits::

    x: (batch, bands, patch, patch) float32  ->  logits: (batch, num_classes)

and splits that into ``forward_features`` (→ a pooled embedding of width ``num_features``) and
``forward_head`` (embedding → logits), so a backbone can be re-headed with ``reset_head`` for a
new label set (transfer to another scene) without touching the features.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import Tensor, nn

from panspectra_core.layers import apply_lora, count_trainable_parameters, mark_only_lora_trainable


class PatchClassifier(nn.Module):
    """Base class: subclasses set ``num_features``, build ``self.head`` via ``_make_head`` and
    implement ``forward_features``.

    Attributes:
        num_bands, num_classes, patch_size: the input/output contract.
        num_features: width of the embedding returned by ``forward_features``.
        head: ``nn.Linear(num_features, num_classes)`` (``nn.Identity`` when num_classes == 0).
    """

    num_bands: int
    num_classes: int
    patch_size: int
    num_features: int
    #: glob patterns of the nn.Linear layers that :meth:`enable_lora` adapts
    lora_targets: tuple[str, ...] = ("qkv", "out")

    def __init__(self, num_bands: int, num_classes: int, patch_size: int) -> None:
        super().__init__()
        if num_bands < 1 or num_classes < 0 or patch_size < 1:
            raise ValueError(
                f"invalid contract num_bands={num_bands} num_classes={num_classes} "
                f"patch_size={patch_size}"
            )
        self.num_bands, self.num_classes, self.patch_size = num_bands, num_classes, patch_size

    def _make_head(self, num_classes: int, dropout: float = 0.0) -> None:
        self.num_classes = num_classes
        self.head_dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()

    def check_input(self, x: Tensor) -> None:
        """Raise a readable error for a tensor that breaks the (batch, bands, p, p) contract."""
        if x.ndim != 4 or x.shape[1] != self.num_bands or x.shape[2] != x.shape[3]:
            raise ValueError(
                f"{type(self).__name__} expects (batch, {self.num_bands}, p, p), "
                f"got {tuple(x.shape)}"
            )

    def forward_features(self, x: Tensor) -> Tensor:
        """(batch, bands, p, p) -> (batch, num_features) embedding."""
        raise NotImplementedError

    def forward_head(self, features: Tensor, pre_logits: bool = False) -> Tensor:
        """(batch, num_features) -> (batch, num_classes) logits (or the features if pre_logits)."""
        features = self.head_dropout(features)
        return features if pre_logits else self.head(features)

    def reset_head(self, num_classes: int) -> None:
        """Replace the classifier by a freshly initialised one with ``num_classes`` outputs."""
        device = next(self.parameters()).device
        self._make_head(num_classes, self.head_dropout.p)
        self.head.to(device)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))

    def enable_lora(
        self,
        rank: int = 8,
        alpha: float = 16.0,
        target: Iterable[str] | None = None,
        train_head: bool = True,
    ) -> int:
        """LoRA fine-tuning (Hu et al. 2022): wrap the ``target`` linear layers (default
        ``lora_targets``) with core ``LoRALinear`` adapters, freeze every other weight (the head
        stays trainable when ``train_head``) and return the trainable parameter count."""
        apply_lora(self, tuple(target or self.lora_targets), rank=rank, alpha=alpha)
        mark_only_lora_trainable(self, also_trainable=("head.*",) if train_head else ())
        return count_trainable_parameters(self)


def centre_crop(x: Tensor, size: int) -> Tensor:
    """Crop the central ``size`` x ``size`` window of a (batch, C, p, p) patch (p >= size)."""
    p = x.shape[-1]
    if size > p:
        raise ValueError(f"cannot crop {size} from a patch of {p}")
    start = (p - size) // 2
    return x[..., start : start + size, start : start + size]
