"""Audio classifiers: waveform (batch, time) → logits (batch, num_classes).

Every model starts with the :class:`~.frontend.LogMelFrontEnd` (log-mel, train-fitted
normalisation, SpecAugment while training) and is trained from scratch (no pre-trained
weights can be downloaded here; AST/SSAST normally start from ImageNet/AudioSet weights).

- :class:`AudioCNN` — VGG-style CNN on the log-mel image, global average + max pooling;
- :class:`TCResNet` — temporal-convolution ResNet (Choi et al. 2019, "Temporal Convolution
  for Real-time Keyword Spotting on Mobile Devices", Interspeech): mel bins as channels, 1-D
  convs over time — a fraction of a 2-D CNN's cost;
- :class:`KWT` — Keyword Transformer (Berg et al. 2021, "Keyword Transformer: A Self-Attention
  Model for Keyword Spotting", Interspeech): one token per time frame, class token, post-norm;
- :class:`AST` — Audio Spectrogram Transformer (Gong et al. 2021, Interspeech; SSAST, Gong et al.
  2022, AAAI): overlapping 2-D log-mel patches, class token, pre-norm;
- :class:`AudioMamba` — bidirectional Mamba over frame tokens (Audio Mamba, Erol et al. 2024,
  arXiv:2406.03344), built from the core ``BiMambaBlock``, mean pooling.
"""

from __future__ import annotations

import itertools

import torch
from torch import Tensor, nn

from .blocks import MambaLayer, TransformerLayer
from .frontend import LogMelFrontEnd


def _frontend(
    sample_rate: int, n_mels: int, spec_augment: bool, utterance_norm: bool = False
) -> LogMelFrontEnd:
    masks = 2 if spec_augment else 0
    return LogMelFrontEnd(
        sample_rate,
        n_mels=n_mels,
        freq_masks=masks,
        time_masks=masks,
        utterance_norm=utterance_norm,
    )


def stack_frames(spec: Tensor, stack: int) -> Tensor:
    """(batch, n_mels, frames) → (batch, ceil(frames / stack), stack · n_mels) tokens: each
    token holds ``stack`` consecutive frames (the last group zero-padded), frame-major."""
    batch, mels, frames = spec.shape
    groups = -(-frames // stack)
    spec = torch.nn.functional.pad(spec, (0, groups * stack - frames))
    return spec.reshape(batch, mels, groups, stack).permute(0, 2, 3, 1).reshape(batch, groups, -1)


class AudioCNN(nn.Module):
    """Log-mel → [Conv-BN-ReLU ×2 → MaxPool] × len(channels) → avg+max pool → Linear.
    ``utterance_norm``: per-clip log-mel mean normalisation, as for :class:`TCResNet`."""

    def __init__(
        self,
        num_classes: int,
        sample_rate: int = 8000,
        n_mels: int = 40,
        channels: tuple[int, ...] = (16, 32, 64),
        dropout: float = 0.2,
        spec_augment: bool = True,
        utterance_norm: bool = False,
    ) -> None:
        super().__init__()
        self.frontend = _frontend(sample_rate, n_mels, spec_augment, utterance_norm)
        layers: list[nn.Module] = []
        previous = 1
        for width in channels:
            for conv_in in (previous, width):
                layers += [
                    nn.Conv2d(conv_in, width, 3, padding=1, bias=False),
                    nn.BatchNorm2d(width),
                    nn.ReLU(inplace=True),
                ]
            layers.append(nn.MaxPool2d(2))
            previous = width
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * previous, num_classes))

    def forward(self, waveform: Tensor) -> Tensor:
        h = self.features(self.frontend(waveform).unsqueeze(1)).flatten(2)
        return self.head(torch.cat([h.mean(-1), h.amax(-1)], dim=-1))


class _TCBlock(nn.Module):
    """conv(k, stride) → BN → ReLU → conv(k) → BN, plus a (1×1 conv, BN) shortcut; ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int, kernel: int = 9) -> None:
        super().__init__()
        pad = kernel // 2
        self.body = nn.Sequential(
            nn.Conv1d(c_in, c_out, kernel, stride, pad, bias=False),
            nn.BatchNorm1d(c_out),
            nn.ReLU(inplace=True),
            nn.Conv1d(c_out, c_out, kernel, 1, pad, bias=False),
            nn.BatchNorm1d(c_out),
        )
        self.shortcut = (
            nn.Identity()
            if stride == 1 and c_in == c_out
            else nn.Sequential(nn.Conv1d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm1d(c_out))
        )

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class TCResNet(nn.Module):
    """TC-ResNet: log-mel (n_mels channels) → conv(3) → stride-2 residual blocks → avg pool →
    Linear. ``widths`` (16, 24, 32, 48) × ``width_mult`` is TC-ResNet8 (1.5: TC-ResNet8-1.5).
    ``utterance_norm``: per-clip log-mel mean normalisation (unseen microphones and levels)."""

    def __init__(
        self,
        num_classes: int,
        sample_rate: int = 8000,
        n_mels: int = 40,
        widths: tuple[int, ...] = (16, 24, 32, 48),
        width_mult: float = 2.0,
        dropout: float = 0.2,
        spec_augment: bool = True,
        utterance_norm: bool = False,
    ) -> None:
        super().__init__()
        self.frontend = _frontend(sample_rate, n_mels, spec_augment, utterance_norm)
        w = [round(c * width_mult) for c in widths]
        self.stem = nn.Conv1d(n_mels, w[0], 3, padding=1, bias=False)
        self.blocks = nn.Sequential(*(_TCBlock(a, b, 2) for a, b in itertools.pairwise(w)))
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(w[-1], num_classes))

    def forward(self, waveform: Tensor) -> Tensor:
        return self.head(self.blocks(self.stem(self.frontend(waveform))).mean(-1))


class _TokenClassifier(nn.Module):
    """Shared tail: class token + learned positions + layers + LayerNorm + linear head."""

    def _init_tokens(self, dim: int, num_tokens: int, num_classes: int) -> None:
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, num_tokens + 1, dim) * 0.02)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def classify(self, tokens: Tensor) -> Tensor:
        """tokens (batch, L, dim), L ≤ the configured length → logits."""
        cls = self.cls_token.expand(tokens.shape[0], -1, -1)
        x = torch.cat([cls, tokens], dim=1)
        x = x + self.pos[:, : x.shape[1]]
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x[:, 0]))


class KWT(_TokenClassifier):
    """Keyword Transformer: frame tokens (n_mels → dim), class token, post-norm layers.

    ``stack`` frames per token (1 in the paper) shortens the sequence ``stack`` times."""

    def __init__(
        self,
        num_classes: int,
        num_samples: int,
        sample_rate: int = 8000,
        n_mels: int = 40,
        dim: int = 64,
        depth: int = 6,
        heads: int = 2,
        mlp_ratio: float = 4.0,
        dropout: float = 0.1,
        stack: int = 1,
        spec_augment: bool = True,
        utterance_norm: bool = False,
    ) -> None:
        super().__init__()
        self.frontend = _frontend(sample_rate, n_mels, spec_augment, utterance_norm)
        self.stack = stack
        self.embed = nn.Linear(n_mels * stack, dim)
        self.layers = nn.ModuleList(
            TransformerLayer(dim, heads, mlp_ratio, dropout, norm_first=False) for _ in range(depth)
        )
        tokens = -(-self.frontend.frames(num_samples) // stack)
        self._init_tokens(dim, tokens, num_classes)

    def forward(self, waveform: Tensor) -> Tensor:
        return self.classify(self.embed(stack_frames(self.frontend(waveform), self.stack)))


class AST(_TokenClassifier):
    """AST: overlapping (patch × patch) log-mel patches with stride ``stride`` → tokens."""

    def __init__(
        self,
        num_classes: int,
        num_samples: int,
        sample_rate: int = 8000,
        n_mels: int = 40,
        dim: int = 96,
        depth: int = 6,
        heads: int = 4,
        patch: int = 8,
        stride: int = 6,
        dropout: float = 0.1,
        drop_path: float = 0.1,
        spec_augment: bool = True,
        utterance_norm: bool = False,
    ) -> None:
        super().__init__()
        self.frontend = _frontend(sample_rate, n_mels, spec_augment, utterance_norm)
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=stride)
        frames = self.frontend.frames(num_samples)
        grid = ((n_mels - patch) // stride + 1) * ((frames - patch) // stride + 1)
        self.layers = nn.ModuleList(
            TransformerLayer(dim, heads, 4.0, dropout, drop_path * i / max(depth - 1, 1))
            for i in range(depth)
        )
        self._init_tokens(dim, grid, num_classes)

    def forward(self, waveform: Tensor) -> Tensor:
        patches = self.patch_embed(self.frontend(waveform).unsqueeze(1))
        return self.classify(patches.flatten(2).transpose(1, 2))


class AudioMamba(nn.Module):
    """Bidirectional Mamba over frame tokens (``stack`` frames · n_mels → dim), LayerNorm, mean
    pool, Linear."""

    def __init__(
        self,
        num_classes: int,
        sample_rate: int = 8000,
        n_mels: int = 40,
        dim: int = 64,
        depth: int = 4,
        d_state: int = 16,
        dropout: float = 0.1,
        stack: int = 1,
        spec_augment: bool = True,
        utterance_norm: bool = False,
    ) -> None:
        super().__init__()
        self.frontend = _frontend(sample_rate, n_mels, spec_augment, utterance_norm)
        self.stack = stack
        self.embed = nn.Linear(n_mels * stack, dim)
        self.layers = nn.Sequential(
            *(MambaLayer(dim, d_state, bidirectional=True) for _ in range(depth))
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, num_classes))

    def forward(self, waveform: Tensor) -> Tensor:
        x = self.layers(self.embed(stack_frames(self.frontend(waveform), self.stack)))
        return self.head(self.norm(x).mean(1))
