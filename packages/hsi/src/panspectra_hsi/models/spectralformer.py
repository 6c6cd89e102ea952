"""SpectralFormer (Hong et al. 2022, IEEE TGRS 60, "SpectralFormer: Rethinking Hyperspectral Image
Classification With Transformers").

Sequence = spectral bands. For x: (batch, bands, p, p) the centre ``s`` x ``s`` window is used::

    group-wise spectral embedding (GSE): token_i = Linear(bands i-g//2 .. i+g//2 of the window)
                                          -> (batch, bands, dim)
    [cls] + learned positions             -> (batch, bands + 1, dim)
    L transformer blocks (core MultiHeadAttention) with cross-layer adaptive fusion (CAF):
        input of block l (l ≥ 2) = Conv2d_(1x2)(stack(out_{l-1}, out_{l-2}))  (per-token mix)
    LayerNorm([cls])                      -> (batch, dim) = forward_features

Band groups at the spectrum's edges are completed by replicating the edge band.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panspectra_core.registry import register_model

from .base import PatchClassifier, centre_crop
from .blocks import TransformerBlock


class GroupwiseSpectralEmbedding(nn.Module):
    """(batch, bands, s, s) -> (batch, bands, dim); a band token sees its ``group`` neighbours."""

    def __init__(self, group: int, window: int, dim: int) -> None:
        super().__init__()
        if group < 1 or group % 2 == 0:
            raise ValueError(f"group size must be odd and >= 1, got {group}")
        self.group = group
        self.proj = nn.Linear(group * window * window, dim)

    def forward(self, x: Tensor) -> Tensor:
        half = self.group // 2
        flat = x.flatten(2)  # (batch, bands, s*s)
        padded = F.pad(flat.transpose(1, 2), (half, half), mode="replicate").transpose(1, 2)
        groups = padded.unfold(1, self.group, 1)  # (batch, bands, s*s, group)
        return self.proj(groups.transpose(2, 3).flatten(2))


class SpectralFormer(PatchClassifier):
    """SpectralFormer with GSE and CAF.

    Args:
        num_bands, num_classes, patch_size: contract.
        window: side of the centre window fed to the embedding (1 = pixel-wise, paper: 1 or 7).
        group: neighbouring bands per token (paper: 3 or 7).
        dim, depth, num_heads, mlp_ratio, dropout: transformer (paper: 64, 5, 4, 8).
    """

    def __init__(
        self,
        num_bands: int,
        num_classes: int,
        patch_size: int,
        window: int = 3,
        group: int = 3,
        dim: int = 64,
        depth: int = 5,
        num_heads: int = 4,
        mlp_ratio: float = 2.0,
        dropout: float = 0.1,
        head_dropout: float = 0.0,
    ) -> None:
        super().__init__(num_bands, num_classes, patch_size)
        self.window = min(window, patch_size)
        self.num_features = dim
        self.embed = GroupwiseSpectralEmbedding(group, self.window, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.empty(1, num_bands + 1, dim))
        nn.init.normal_(self.pos_embed, std=0.02)
        self.embed_dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(dim, num_heads, mlp_ratio, dropout) for _ in range(depth)
        )
        tokens = num_bands + 1
        self.caf = nn.ModuleList(
            nn.Conv2d(tokens, tokens, kernel_size=(1, 2)) for _ in range(max(depth - 2, 0))
        )
        self.norm = nn.LayerNorm(dim)
        self._make_head(num_classes, head_dropout)

    def forward_features(self, x: Tensor) -> Tensor:
        self.check_input(x)
        tokens = self.embed(centre_crop(x, self.window))
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        h = self.embed_dropout(torch.cat([cls, tokens], dim=1) + self.pos_embed)
        outputs = [h]
        for index, block in enumerate(self.blocks):
            if index >= 2:  # CAF: fuse with the output two layers back
                stacked = torch.stack([outputs[-1], outputs[-2]], dim=-1)  # (b, L, dim, 2)
                h = self.caf[index - 2](stacked).squeeze(-1)
            h = block(h)
            outputs.append(h)
        return self.norm(h[:, 0])


@register_model(
    domain="hsi",
    tags=("transformer", "spectral"),
    recipe={
        "patch_size": 7,
        "epochs": 60,
        "lr": 5e-4,
        "pca_components": 30,
        "model_kwargs": {"window": 3, "group": 3},
    },
)
def spectralformer(
    num_bands: int, num_classes: int, patch_size: int = 7, **overrides
) -> SpectralFormer:
    """SpectralFormer (Hong et al. 2022): band-group tokens, CAF skips, cls token (patch-wise)."""
    return SpectralFormer(num_bands, num_classes, patch_size, **overrides)
