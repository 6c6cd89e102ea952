"""CrossViT (Chen, Fan & Panda 2021, "CrossViT: Cross-Attention Multi-Scale Vision Transformer
for Image Classification", ICCV), sized for 32×32 images.

Two branches tokenize the image at two patch sizes (small: many narrow tokens; large: few wide
tokens), each with a class token. Every multi-scale stage runs each branch's transformer blocks,
then fuses by cross-attention: a branch's class token, projected to the other branch's width,
attends over that branch's tokens (core :class:`CrossAttention`) and is projected back and added
(the paper's "cross-attention fusion", Sec. 3.3). The logits are the mean of the two heads.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from panspectra_core.attention.multihead import CrossAttention, MultiHeadAttention
from panspectra_core.layers import PatchEmbed2d
from panspectra_core.registry import register_model

from .blocks import MixerBlock, _init_weights, check_geometry
from .transformers import DOMAIN, TRANSFORMER_RECIPE


class _Branch(nn.Module):
    def __init__(self, in_channels: int, image_size: int, patch: int, dim: int) -> None:
        super().__init__()
        check_geometry(image_size, patch, "patch")
        self.embed = PatchEmbed2d(patch, in_channels, dim)
        self.grid = self.embed.grid_size(image_size, image_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, self.grid[0] * self.grid[1] + 1, dim) * 0.02)

    def forward(self, x: Tensor) -> Tensor:
        tokens = self.embed(x)
        tokens = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], dim=1)
        return tokens + self.pos_embed


class CrossFusion(nn.Module):
    """Class token of one branch (width ``dim``) attends over the other's tokens (``other``)."""

    def __init__(self, dim: int, other: int, heads: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(other)
        self.to_other = nn.Linear(dim, other)
        self.attn = CrossAttention(other, heads)
        self.back = nn.Linear(other, dim)

    def forward(self, tokens: Tensor, other_tokens: Tensor) -> Tensor:
        query = self.to_other(tokens[:, :1])  # (B, 1, other)
        context = torch.cat([query, other_tokens[:, 1:]], dim=1)
        fused = self.back(self.attn(self.norm(query), self.norm(context)))
        return torch.cat([tokens[:, :1] + fused, tokens[:, 1:]], dim=1)


class CrossViT(nn.Module):
    """Two-branch multi-scale ViT with cross-attention fusion of class tokens.

    Args:
        patches: (small, large) patch sizes; dims: their widths; heads: per branch.
        stages: multi-scale stages; depths: transformer blocks per branch per stage.

    Shapes: (B, C, H, W) → (B, num_classes).
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        image_size: int = 32,
        *,
        patches: tuple[int, int] = (4, 8),
        dims: tuple[int, int] = (96, 192),
        heads: tuple[int, int] = (3, 3),
        stages: int = 3,
        depths: tuple[int, int] = (1, 2),
        mlp_ratio: float = 2.0,
        drop_path: float = 0.1,
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            _Branch(in_channels, image_size, p, d) for p, d in zip(patches, dims)
        )
        self.stages = nn.ModuleList()
        for _ in range(stages):
            blocks = nn.ModuleList(
                nn.Sequential(
                    *[
                        MixerBlock(d, MultiHeadAttention(d, h), mlp_ratio, drop_path)
                        for _ in range(n)
                    ]
                )
                for d, h, n in zip(dims, heads, depths)
            )
            fusions = nn.ModuleList(
                [CrossFusion(dims[0], dims[1], heads[1]), CrossFusion(dims[1], dims[0], heads[0])]
            )
            self.stages.append(nn.ModuleDict({"blocks": blocks, "fusions": fusions}))
        self.norms = nn.ModuleList(nn.LayerNorm(d) for d in dims)
        self.heads = nn.ModuleList(nn.Linear(d, num_classes) for d in dims)
        self.apply(_init_weights)

    def forward_features(self, x: Tensor) -> list[Tensor]:
        tokens = [branch(x) for branch in self.branches]
        for stage in self.stages:
            tokens = [blocks(t) for blocks, t in zip(stage["blocks"], tokens)]
            small, large = tokens
            tokens = [stage["fusions"][0](small, large), stage["fusions"][1](large, small)]
        return [norm(t) for norm, t in zip(self.norms, tokens)]

    def forward_head(self, tokens: list[Tensor]) -> Tensor:
        return torch.stack([head(t[:, 0]) for head, t in zip(self.heads, tokens)]).mean(0)

    def reset_head(self, num_classes: int) -> None:
        self.heads = nn.ModuleList(nn.Linear(h.in_features, num_classes) for h in self.heads)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))


@register_model(
    domain=DOMAIN,
    tags=("classify", "crossvit", "transformer", "attention"),
    recipe=TRANSFORMER_RECIPE,
)
def crossvit_tiny_32(
    num_classes: int, in_channels: int = 3, image_size: int = 32, **overrides: Any
) -> nn.Module:
    """crossvit: patches 4/8, dims 96/192, 3 stages of (1, 2) blocks with cross-attention fusion"""
    return CrossViT(num_classes, in_channels, image_size, **overrides)
