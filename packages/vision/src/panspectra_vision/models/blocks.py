"""Building blocks shared by the token-mixing image models, all from core primitives.

One residual block, pre-norm: ``x + DropPath(mixer(norm(x)))`` then
``x + DropPath(mlp(norm(x)))`` (the MLP is skipped with ``mlp_ratio=0``, as Vision Mamba has
none). Token mixers (each (B, L, D) → (B, L, D) on a row-major grid of ``grid`` tokens):

- ``attention``: core :class:`MultiHeadAttention` (Vaswani et al. 2017; ViT, CCT);
- ``gfnet``: core :class:`GlobalFilter2d` (Rao et al. 2021, GFNet; SpectFormer's spectral blocks);
- ``fnet``: core :class:`FNetMixing` (Lee-Thorp et al. 2022);
- ``mamba``: core :class:`BiMambaBlock` (Zhu et al. 2024, Vision Mamba, bidirectional scan);
- ``window`` / ``window_shift``: core :class:`WindowAttention2d` (Liu et al. 2021, Swin).

Stems: ViT patch embedding (core :class:`PatchEmbed2d`), CCT's convolutional tokenizer
(Hassani et al. 2021, "Escaping the Big Data Paradigm with Compact Transformers") or the
patch-whitened conv groups of ``fastconv`` (:class:`WhitenedTokenizer`, airbench94). Pooling:
class token, mean, or CCT's sequence pooling (attention-weighted token average).
"""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panspectra_core.attention.multihead import MultiHeadAttention
from panspectra_core.attention.window2d import WindowAttention2d
from panspectra_core.errors import UserError
from panspectra_core.layers import DropPath, PatchEmbed2d, RMSNorm, SwiGLU
from panspectra_core.spectral.fnet import FNetMixing
from panspectra_core.spectral.global_filter import GlobalFilter2d
from panspectra_core.ssm.mamba import BiMambaBlock


def make_norm(kind: str, dim: int) -> nn.Module:
    return RMSNorm(dim) if kind == "rms" else nn.LayerNorm(dim)


class Mlp(nn.Module):
    """GELU MLP ``dim → ratio·dim → dim`` (or SwiGLU from the core with ``swiglu=True``)."""

    def __init__(self, dim: int, ratio: float, swiglu: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        hidden = int(dim * ratio)
        if swiglu:
            self.net = SwiGLU(dim, hidden_dim=max(8, 2 * hidden // 3), dropout=dropout)
        else:
            self.net = nn.Sequential(
                nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, dim)
            )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class GridMixer(nn.Module):
    """Run a (B, H, W, D) mixer on (B, L, D) tokens; an optional class token bypasses it."""

    def __init__(self, mixer: nn.Module, grid: tuple[int, int], prefix: int) -> None:
        super().__init__()
        self.mixer, self.grid, self.prefix = mixer, grid, prefix

    def forward(self, x: Tensor) -> Tensor:
        head, tokens = x[:, : self.prefix], x[:, self.prefix :]
        batch, _, dim = tokens.shape
        mixed = self.mixer(tokens.reshape(batch, *self.grid, dim)).reshape(batch, -1, dim)
        return torch.cat([head, mixed], dim=1) if self.prefix else mixed


def make_mixer(
    kind: str, dim: int, heads: int, grid: tuple[int, int], prefix: int, window: int = 4
) -> nn.Module:
    """A token mixer by name (see the module docs); ``prefix`` class tokens ride along."""
    if kind == "attention":
        return MultiHeadAttention(dim, heads)
    if kind == "gfnet":
        return GridMixer(GlobalFilter2d(grid[0], grid[1], dim), grid, prefix)
    if kind == "fnet":
        return FNetMixing()
    if kind == "mamba":
        return BiMambaBlock(dim, d_state=16, expand=2)
    if kind in ("window", "window_shift"):
        shift = window // 2 if kind == "window_shift" else 0
        attn = WindowAttention2d(dim, heads, window, shift_size=shift, relative_position_bias=True)
        return GridMixer(attn, grid, prefix)
    raise ValueError(f"unknown token mixer {kind!r}")


class MixerBlock(nn.Module):
    """Pre-norm residual block: token mixer, then (optionally) an MLP."""

    def __init__(
        self,
        dim: int,
        mixer: nn.Module,
        mlp_ratio: float,
        drop_path: float = 0.0,
        norm: str = "layer",
        swiglu: bool = False,
    ) -> None:
        super().__init__()
        self.norm1, self.mixer = make_norm(norm, dim), mixer
        self.norm2 = make_norm(norm, dim) if mlp_ratio > 0 else None
        self.mlp = Mlp(dim, mlp_ratio, swiglu) if mlp_ratio > 0 else None
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.mixer(self.norm1(x)))
        if self.mlp is not None:
            x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x


class ConvTokenizer(nn.Module):
    """CCT's tokenizer: ``layers`` × (conv k×k stride 1 → ReLU → max-pool 3 stride 2).

    Shapes: (B, C, H, W) → (B, (H / 2^layers)·(W / 2^layers), dim), row-major."""

    def __init__(self, in_channels: int, dim: int, layers: int, kernel: int = 3) -> None:
        super().__init__()
        widths = [in_channels] + [dim // 2] * (layers - 1) + [dim]
        mods: list[nn.Module] = []
        for cin, cout in itertools.pairwise(widths):
            mods += [
                nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=False),
                nn.ReLU(),
                nn.MaxPool2d(3, 2, 1),
            ]
        self.net = nn.Sequential(*mods)
        self.layers = layers

    def grid_size(self, height: int, width: int) -> tuple[int, int]:
        for _ in range(self.layers):
            height, width = (height - 1) // 2 + 1, (width - 1) // 2 + 1
        return height, width

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten(2).transpose(1, 2)


class WhitenedTokenizer(nn.Module):
    """fastconv's stem as a tokenizer: frozen 2×2 patch whitening, then conv groups of
    ``widths`` (each conv → max-pool 2 → BN → GELU → conv → BN → GELU), maps flattened to
    tokens.

    Shapes: (B, C, H, W) → (B, H'·W', widths[-1]), row-major; 32×32 → 7×7 with two groups.
    """

    def __init__(self, in_channels: int, widths: tuple[int, ...], image_size: int) -> None:
        super().__init__()
        from .conv import WhitenedConvStem  # conv imports this package's registry name

        self.net = WhitenedConvStem(in_channels, widths, image_size)

    def grid_size(self, height: int, width: int) -> tuple[int, int]:
        return self.net.grid_size(height, width)

    def forward(self, x: Tensor) -> Tensor:
        return self.net.forward_features(x).flatten(2).transpose(1, 2)


class SeqPool(nn.Module):
    """CCT's sequence pooling: softmax(Linear(x)) weights over tokens → (B, D)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        weights = F.softmax(self.score(x), dim=1)  # (B, L, 1)
        return (weights * x).sum(1)


def check_geometry(image_size: int, patch: int, stem: str) -> None:
    """One-line error for an image size the stem cannot tile."""
    if stem == "patch" and (image_size < patch or image_size % patch):
        raise UserError(
            f"--image-size {image_size}: must be a multiple of the model's patch size {patch}"
        )


class TokenNet(nn.Module):
    """Stem → positional embedding → ``depth`` mixer blocks → norm → pooling → linear head.

    Args:
        num_classes, in_channels, image_size: the task.
        dim, depth, heads, mlp_ratio: widths; ``mixers``: one mixer name per block.
        stem: ``"patch"`` (``patch`` px, ViT), ``"conv"`` (CCT tokenizer with ``conv_layers``)
            or ``"whitened"`` (:class:`WhitenedTokenizer` with groups ``(*stem_widths, dim)``).
        pool: ``"cls"`` | ``"mean"`` | ``"seq"``. norm: ``"layer"`` | ``"rms"``.
        swiglu: SwiGLU MLPs. drop_path: stochastic depth, linearly increasing over blocks.

    Shapes: (B, in_channels, image_size, image_size) → (B, num_classes).
    ``forward_features`` → (B, L, dim) tokens; ``forward_head`` pools and classifies.
    """

    def __init__(
        self,
        num_classes: int,
        in_channels: int = 3,
        image_size: int = 32,
        *,
        dim: int = 192,
        depth: int = 6,
        heads: int = 3,
        mlp_ratio: float = 2.0,
        mixers: list[str] | None = None,
        stem: str = "patch",
        patch: int = 4,
        conv_layers: int = 1,
        stem_widths: tuple[int, ...] = (32,),
        pool: str = "cls",
        norm: str = "layer",
        swiglu: bool = False,
        drop_path: float = 0.1,
        window: int = 4,
    ) -> None:
        super().__init__()
        check_geometry(image_size, patch, stem)
        if stem == "patch":
            self.stem = PatchEmbed2d(patch, in_channels, dim)
            self.grid = self.stem.grid_size(image_size, image_size)
        elif stem == "whitened":
            self.stem = WhitenedTokenizer(in_channels, (*stem_widths, dim), image_size)
            self.grid = self.stem.grid_size(image_size, image_size)
        else:
            self.stem = ConvTokenizer(in_channels, dim, conv_layers)
            self.grid = self.stem.grid_size(image_size, image_size)
        self.pool_kind = pool
        self.prefix = 1 if pool == "cls" else 0
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim)) if self.prefix else None
        num_tokens = self.grid[0] * self.grid[1] + self.prefix
        self.pos_embed = nn.Parameter(torch.randn(1, num_tokens, dim) * 0.02)
        mixers = mixers or ["attention"] * depth
        rates = torch.linspace(0, drop_path, len(mixers)).tolist()
        self.blocks = nn.ModuleList(
            MixerBlock(
                dim,
                make_mixer(kind, dim, heads, self.grid, self.prefix, window),
                mlp_ratio,
                rate,
                norm,
                swiglu,
            )
            for kind, rate in zip(mixers, rates)
        )
        self.norm = make_norm(norm, dim)
        self.seq_pool = SeqPool(dim) if pool == "seq" else None
        self.head = nn.Linear(dim, num_classes)
        for block in self.blocks:  # Mamba keeps its own (dt, A) initialisation
            if not isinstance(block.mixer, BiMambaBlock):
                block.mixer.apply(_init_weights)
            if block.mlp is not None:
                block.mlp.apply(_init_weights)
        self.head.apply(_init_weights)
        if not isinstance(self.stem, WhitenedTokenizer):  # keeps its Dirac initialisation
            self.stem.apply(_init_weights)

    def forward_features(self, x: Tensor) -> Tensor:
        tokens = self.stem(x)
        if self.cls_token is not None:
            tokens = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        tokens = tokens + self.pos_embed
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)

    def forward_head(self, tokens: Tensor) -> Tensor:
        if self.pool_kind == "cls":
            pooled = tokens[:, 0]
        elif self.pool_kind == "seq":
            pooled = self.seq_pool(tokens)
        else:
            pooled = tokens.mean(1)
        return self.head(pooled)

    def reset_head(self, num_classes: int) -> None:
        self.head = nn.Linear(self.head.in_features, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))


def _init_weights(module: nn.Module) -> None:
    """ViT init: truncated normal (σ 0.02) linears, zero biases, unit norms."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
