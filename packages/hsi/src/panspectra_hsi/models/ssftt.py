"""SSFTT: spectral-spatial feature tokenization transformer (Sun et al. 2022, IEEE TGRS 60,
"Spectral–Spatial Feature Tokenization Transformer for Hyperspectral Image Classification"),
with the HybridSN 3D→2D convolutional front end (Roy et al. 2020, IEEE GRSL 17, "HybridSN").

Pipeline for x: (batch, bands, p, p)::

    Conv3d(1→c3, k=(3,3,3)) + BN + ReLU       -> (batch, c3, bands-2, p-2, p-2)
    fold spectra into channels, Conv2d(3x3)    -> (batch, dim, p-4, p-4)      (HybridSN)
    Gaussian-weighted tokenizer                -> (batch, num_tokens, dim)    (SSFTT)
    [cls] + learned positions, transformer encoder (core MultiHeadAttention)
    LayerNorm([cls])                           -> (batch, dim) = forward_features

The tokenizer forms ``num_tokens`` semantic tokens as softmax-attention pools over the
(p-4)^2 spatial feature vectors: ``T = softmax_N(X W_a^T)^T (X W_v)``, with W_a, W_v initialised
from a Gaussian (Xavier-normal) as in the paper. It does not depend on the number of pixels, so
one model handles any patch size ≥ 5.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from panspectra_core.registry import register_model

from .base import PatchClassifier
from .blocks import TransformerEncoder


class GaussianTokenizer(nn.Module):
    """SSFTT tokenizer: (batch, N, dim) pixel features -> (batch, num_tokens, dim) tokens."""

    def __init__(self, dim: int, num_tokens: int) -> None:
        super().__init__()
        self.weight_a = nn.Parameter(torch.empty(num_tokens, dim))
        self.weight_v = nn.Parameter(torch.empty(dim, dim))
        nn.init.xavier_normal_(self.weight_a)
        nn.init.xavier_normal_(self.weight_v)

    def forward(self, x: Tensor) -> Tensor:
        attn = torch.softmax(x @ self.weight_a.t(), dim=1)  # (batch, N, tokens), pooled over N
        return attn.transpose(1, 2) @ (x @ self.weight_v)


class SSFTT(PatchClassifier):
    """SSFTT / HybridSN-style spectral-spatial transformer.

    Args:
        num_bands, num_classes, patch_size: contract (patch_size ≥ 5, bands ≥ 3).
        conv3d_channels: output channels of the 3D convolution (paper: 8).
        dim: token width = 2D-conv channels (paper: 64).
        num_tokens: semantic tokens from the tokenizer (paper: 4).
        depth, num_heads, mlp_ratio: transformer encoder (paper: 1 layer, 8 heads).
        dropout: dropout on token embeddings and in the encoder.
    """

    def __init__(
        self,
        num_bands: int,
        num_classes: int,
        patch_size: int,
        conv3d_channels: int = 8,
        dim: int = 64,
        num_tokens: int = 4,
        depth: int = 1,
        num_heads: int = 8,
        mlp_ratio: float = 2.0,
        dropout: float = 0.1,
        head_dropout: float = 0.0,
    ) -> None:
        super().__init__(num_bands, num_classes, patch_size)
        if patch_size < 5 or num_bands < 3:
            raise ValueError("SSFTT needs patch_size >= 5 and num_bands >= 3")
        self.num_features = dim
        self.conv3d = nn.Sequential(
            nn.Conv3d(1, conv3d_channels, kernel_size=3),
            nn.BatchNorm3d(conv3d_channels),
            nn.ReLU(inplace=True),
        )
        self.conv2d = nn.Sequential(
            nn.Conv2d(conv3d_channels * (num_bands - 2), dim, kernel_size=3),
            nn.BatchNorm2d(dim),
            nn.ReLU(inplace=True),
        )
        self.tokenizer = GaussianTokenizer(dim, num_tokens)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.empty(1, num_tokens + 1, dim))
        nn.init.normal_(self.pos_embed, std=0.02)
        self.embed_dropout = nn.Dropout(dropout)
        self.encoder = TransformerEncoder(dim, depth, num_heads, mlp_ratio, dropout)
        self.norm = nn.LayerNorm(dim)
        self._make_head(num_classes, head_dropout)

    def forward_features(self, x: Tensor) -> Tensor:
        self.check_input(x)
        h = self.conv3d(x.unsqueeze(1))  # (batch, c3, bands-2, p-2, p-2)
        h = self.conv2d(h.flatten(1, 2))  # (batch, dim, p-4, p-4)
        tokens = self.tokenizer(h.flatten(2).transpose(1, 2))  # (batch, num_tokens, dim)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        tokens = self.embed_dropout(torch.cat([cls, tokens], dim=1) + self.pos_embed)
        return self.norm(self.encoder(tokens)[:, 0])


#: ≈1 CPU-s per epoch of 1025 patches on one core: flips/rotations, end-of-training weights (the
#: 94 validation pixels of a 10 % split are too few to pick an epoch by), 4-view TTA and a 3×3
#: probability filter (docs/hsi_models.md)
SSFTT_RECIPE = {
    "patch_size": 13,
    "epochs": 100,
    "lr": 1e-3,
    "batch_size": 64,
    "pca_components": 30,
    "standardize_bands": False,
    "monitor": "train_loss",
    "augment": True,
    "tta": 4,
    "smooth_radius": 1,
}


@register_model(domain="hsi", tags=("transformer", "cnn", "spectral-spatial"), recipe=SSFTT_RECIPE)
def ssftt(num_bands: int, num_classes: int, patch_size: int = 13, **overrides) -> SSFTT:
    """SSFTT (Sun et al. 2022): 3D+2D conv, Gaussian tokenizer, 1-layer transformer."""
    return SSFTT(num_bands, num_classes, patch_size, **overrides)


@register_model(
    domain="hsi",
    tags=("transformer", "cnn", "spectral-spatial"),
    recipe={"patch_size": 11, "epochs": 60, "lr": 2e-3, "batch_size": 64, "pca_components": 30},
)
def ssftt_small(num_bands: int, num_classes: int, patch_size: int = 11, **overrides) -> SSFTT:
    """Narrower SSFTT (dim 32, 4 heads) for fast CPU training."""
    config = {"dim": 32, "num_heads": 4, "conv3d_channels": 4} | overrides
    return SSFTT(num_bands, num_classes, patch_size, **config)
