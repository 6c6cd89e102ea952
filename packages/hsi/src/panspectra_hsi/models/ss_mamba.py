"""Spatial-spectral Mamba classifier in the spirit of MorpMamba (Ahmad et al. 2024,
arXiv:2408.01372) and MHSSMamba (Ahmad et al. 2024, arXiv:2408.01224), built on the core
:class:`~panspectra_core.ssm.BiMambaBlock` (selective scan, Gu & Dao 2023).

For x: (batch, bands, p, p)::

    spatial branch:  Conv 1x1 (bands -> dim) + BN + SiLU -> p*p pixel tokens (raster order)
                     -> depth x [x + BiMamba(LN(x))] -> mean over tokens       -> (batch, dim)
    spectral branch: centre s x s window, bands grouped by ``group`` consecutive bands
                     -> Linear -> bands/group tokens -> depth x [x + BiMamba(LN(x))]
                     -> mean over tokens                                       -> (batch, dim)
    attention fusion: scores = v^T tanh(W f_branch); weights = softmax over the two branches;
                     features = LN(Σ weight_b f_b)                              -> (batch, dim)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panspectra_core.registry import register_model
from panspectra_core.ssm import BiMambaBlock

from .base import PatchClassifier, centre_crop


class ResidualBiMamba(nn.Module):
    """Pre-norm residual bidirectional Mamba: (batch, L, dim) -> (batch, L, dim)."""

    def __init__(self, dim: int, d_state: int, expand: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mixer = BiMambaBlock(dim, d_state=d_state, expand=expand)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.mixer(self.norm(x))


class BranchAttentionFusion(nn.Module):
    """Attention over branches: (batch, branches, dim) -> (batch, dim) (additive attention,
    Bahdanau et al. 2015, applied across feature sources)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(dim, dim)
        self.score = nn.Linear(dim, 1, bias=False)

    def forward(self, branches: Tensor) -> Tensor:
        weights = torch.softmax(self.score(torch.tanh(self.project(branches))), dim=1)
        return (weights * branches).sum(dim=1)


class SpatialSpectralMamba(PatchClassifier):
    """Two BiMamba branches (pixel tokens, band-group tokens) fused by branch attention.

    Args:
        num_bands, num_classes, patch_size: contract.
        dim: token width. depth: BiMamba blocks per branch. d_state, expand: Mamba sizes.
        group: consecutive bands per spectral token. window: centre window of the spectral branch.
    """

    lora_targets = ("in_proj", "out_proj")

    def __init__(
        self,
        num_bands: int,
        num_classes: int,
        patch_size: int,
        dim: int = 32,
        depth: int = 1,
        d_state: int = 8,
        expand: int = 2,
        group: int = 3,
        window: int = 3,
        head_dropout: float = 0.1,
    ) -> None:
        super().__init__(num_bands, num_classes, patch_size)
        self.num_features = dim
        self.group, self.window = group, min(window, patch_size)
        self.spatial_embed = nn.Sequential(
            nn.Conv2d(num_bands, dim, kernel_size=1), nn.BatchNorm2d(dim), nn.SiLU()
        )
        self.spatial_blocks = nn.Sequential(
            *(ResidualBiMamba(dim, d_state, expand) for _ in range(depth))
        )
        self.spectral_embed = nn.Linear(group * self.window * self.window, dim)
        self.spectral_pos = nn.Parameter(torch.zeros(1, -(-num_bands // group), dim))
        self.spectral_blocks = nn.Sequential(
            *(ResidualBiMamba(dim, d_state, expand) for _ in range(depth))
        )
        self.fusion = BranchAttentionFusion(dim)
        self.norm = nn.LayerNorm(dim)
        self._make_head(num_classes, head_dropout)

    def spectral_tokens(self, x: Tensor) -> Tensor:
        """(batch, bands, p, p) -> (batch, ceil(bands/group), dim); the last group is
        completed by replicating the last band."""
        window = centre_crop(x, self.window).flatten(2)  # (batch, bands, s*s)
        pad = (-x.shape[1]) % self.group
        if pad:
            window = F.pad(window.transpose(1, 2), (0, pad), mode="replicate").transpose(1, 2)
        groups = window.reshape(x.shape[0], -1, self.group * window.shape[-1])
        return self.spectral_embed(groups) + self.spectral_pos

    def forward_features(self, x: Tensor) -> Tensor:
        self.check_input(x)
        spatial = self.spatial_embed(x).flatten(2).transpose(1, 2)  # (batch, p*p, dim)
        spatial = self.spatial_blocks(spatial).mean(dim=1)
        spectral = self.spectral_blocks(self.spectral_tokens(x)).mean(dim=1)
        return self.norm(self.fusion(torch.stack([spatial, spectral], dim=1)))


# the core BiMamba costs ≈0.5 CPU-s per (64, 81, 32) step on CPU: keep it short
@register_model(
    domain="hsi",
    tags=("mamba", "ssm", "spectral-spatial"),
    recipe={"patch_size": 7, "epochs": 30, "lr": 2e-3, "pca_components": 30},
)
def ss_mamba(
    num_bands: int, num_classes: int, patch_size: int = 9, **overrides
) -> SpatialSpectralMamba:
    """Spatial-spectral BiMamba with branch attention fusion (MorpMamba / MHSSMamba style)."""
    return SpatialSpectralMamba(num_bands, num_classes, patch_size, **overrides)
