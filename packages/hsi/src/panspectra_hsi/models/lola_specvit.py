"""LoLA-SpecViT-style classifier: 3D-conv spectral-spatial front end, local-window attention
(core :class:`WindowAttention2d`, Swin's shifted windows, Liu et al. 2021) with SwiGLU
feed-forwards (Shazeer 2020), fine-tuned with LoRA (Hu et al. 2022) — after "LoLA-SpecViT:
Local Attention SwiGLU Vision Transformer with LoRA for Hyperspectral Imaging" (2025).

For x: (batch, bands, p, p)::

    Conv3d(1 -> c3, k=(7,3,3), pad (0,1,1)) + BN + ReLU -> fold spectra into channels
    Conv2d 1x1 -> dim                              -> tokens (batch, p, p, dim)
    depth x [x + WindowAttn(LN(x)) (shift on odd blocks); x + SwiGLU(LN(x))]
    LayerNorm(mean over tokens)                    -> (batch, dim) = forward_features

LoRA: ``model.enable_lora(rank)`` adapts the attention (``qkv``, ``out``) and SwiGLU
(``in_proj``, ``out_proj``) projections, freezes the rest except the head, and returns the
trainable count. Its recipe trains with a cyclical learning rate (Smith 2017).
"""

from __future__ import annotations

from torch import Tensor, nn

from panspectra_core.attention import WindowAttention2d
from panspectra_core.layers import DropPath, SwiGLU
from panspectra_core.registry import register_model

from .base import PatchClassifier


class LocalWindowBlock(nn.Module):
    """(batch, H, W, dim) -> same: window attention + SwiGLU, pre-norm residuals."""

    def __init__(
        self, dim: int, num_heads: int, window: int, shift: int, drop_path: float = 0.0
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention2d(dim, num_heads, window, shift)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = SwiGLU(dim, hidden_dim=2 * dim)
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.ffn(self.norm2(x)))


class LoLASpecViT(PatchClassifier):
    """3D conv + shifted local-window attention + SwiGLU, LoRA-ready.

    Args:
        num_bands, num_classes, patch_size: contract (bands ≥ spectral_kernel).
        conv3d_channels, spectral_kernel: the 3D front end. dim, depth, num_heads: transformer.
        window: attention window side (shifted by window // 2 on odd blocks).
        drop_path: stochastic depth of the residual branches.
    """

    lora_targets = ("qkv", "out", "in_proj", "out_proj")

    def __init__(
        self,
        num_bands: int,
        num_classes: int,
        patch_size: int,
        conv3d_channels: int = 8,
        spectral_kernel: int = 7,
        dim: int = 48,
        depth: int = 2,
        num_heads: int = 4,
        window: int = 3,
        drop_path: float = 0.1,
        head_dropout: float = 0.1,
    ) -> None:
        super().__init__(num_bands, num_classes, patch_size)
        if num_bands < spectral_kernel:
            raise ValueError(f"num_bands={num_bands} < spectral_kernel={spectral_kernel}")
        self.num_features = dim
        self.conv3d = nn.Sequential(
            nn.Conv3d(1, conv3d_channels, (spectral_kernel, 3, 3), padding=(0, 1, 1)),
            nn.BatchNorm3d(conv3d_channels),
            nn.ReLU(inplace=True),
        )
        folded = conv3d_channels * (num_bands - spectral_kernel + 1)
        self.embed = nn.Sequential(nn.Conv2d(folded, dim, 1), nn.BatchNorm2d(dim), nn.GELU())
        shift = window // 2 if patch_size > window else 0
        self.blocks = nn.Sequential(
            *(
                LocalWindowBlock(dim, num_heads, window, shift if i % 2 else 0, drop_path)
                for i in range(depth)
            )
        )
        self.norm = nn.LayerNorm(dim)
        self._make_head(num_classes, head_dropout)

    def forward_features(self, x: Tensor) -> Tensor:
        self.check_input(x)
        h = self.conv3d(x.unsqueeze(1)).flatten(1, 2)  # (batch, c3 * bands', p, p)
        tokens = self.embed(h).permute(0, 2, 3, 1)  # (batch, p, p, dim)
        return self.norm(self.blocks(tokens).mean(dim=(1, 2)))


@register_model(
    domain="hsi",
    tags=("transformer", "window-attention", "lora"),
    recipe={"patch_size": 9, "epochs": 60, "lr": 1e-3, "pca_components": 30, "scheduler": "cyclic"},
)
def lola_specvit(num_bands: int, num_classes: int, patch_size: int = 9, **overrides) -> LoLASpecViT:
    """LoLA-SpecViT style: 3D conv, shifted local-window attention + SwiGLU, LoRA fine-tuning."""
    return LoLASpecViT(num_bands, num_classes, patch_size, **overrides)
