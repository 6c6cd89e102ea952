"""Mask networks for :class:`~.tasnet.TasNet`: (batch, N, frames) → (batch, sources, N, frames).

- :class:`TCN` — Conv-TasNet's temporal convolutional network (Luo & Mesgarani 2019): stacks of
  dilated depthwise-separable 1-D conv blocks with global layer norm, residual and skip paths;
- :class:`SequenceMaskNet` — frame tokens through core sequence layers: causal Mamba
  (streamable, :meth:`SequenceMaskNet.step_frames`), bidirectional Mamba (SEMamba in spirit, Chao et
  al. 2024, arXiv:2405.06573), or MossFormer2-style attention + gated FSMN memory (Zhao et al.
  2023, arXiv:2312.11825);
- :class:`DualPathMaskNet` — dual-path processing (DPRNN, Luo et al. 2020, ICASSP) with
  bidirectional Mamba inside and across chunks (SPMamba / Dual-path Mamba, Li et al. 2024,
  arXiv:2404.02063; Jiang et al. 2024, arXiv:2403.18257).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panspectra_core.ssm.fsmn import GatedFSMN

from .blocks import MambaLayer, TransformerLayer


class _TCNBlock(nn.Module):
    """1×1 (B→H) → PReLU → gLN → dilated depthwise conv → PReLU → gLN → residual/skip 1×1."""

    def __init__(
        self, bottleneck: int, hidden: int, kernel: int, dilation: int, residual: bool = True
    ) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(bottleneck, hidden, 1),
            nn.PReLU(),
            nn.GroupNorm(1, hidden),  # global layer norm (gLN)
            nn.Conv1d(
                hidden,
                hidden,
                kernel,
                dilation=dilation,
                padding=dilation * (kernel - 1) // 2,
                groups=hidden,
            ),
            nn.PReLU(),
            nn.GroupNorm(1, hidden),
        )
        self.residual = nn.Conv1d(hidden, bottleneck, 1) if residual else None
        self.skip = nn.Conv1d(hidden, bottleneck, 1)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.net(x)
        return (x if self.residual is None else x + self.residual(h)), self.skip(h)


class TCN(nn.Module):
    """Conv-TasNet separator: gLN → 1×1 (N→B) → R repeats of X blocks (dilation 2^x) → PReLU →
    1×1 (B→S·N) → sigmoid."""

    causal = False

    def __init__(
        self,
        filters: int,
        sources: int = 1,
        bottleneck: int = 128,
        hidden: int = 256,
        kernel: int = 3,
        blocks: int = 8,
        repeats: int = 3,
    ) -> None:
        super().__init__()
        self.sources, self.filters = sources, filters
        self.head = nn.Sequential(nn.GroupNorm(1, filters), nn.Conv1d(filters, bottleneck, 1))
        dilations = [2**x for _ in range(repeats) for x in range(blocks)]
        self.blocks = nn.ModuleList(  # the last block's residual output would be unused
            _TCNBlock(bottleneck, hidden, kernel, d, residual=k < len(dilations) - 1)
            for k, d in enumerate(dilations)
        )
        self.out = nn.Sequential(nn.PReLU(), nn.Conv1d(bottleneck, sources * filters, 1))

    def forward(self, codes: Tensor) -> Tensor:
        x = self.head(codes)
        skips = 0
        for block in self.blocks:
            x, skip = block(x)
            skips = skips + skip
        masks = torch.sigmoid(self.out(skips))
        return masks.reshape(codes.shape[0], self.sources, self.filters, -1)


class SequenceMaskNet(nn.Module):
    """LayerNorm → Linear (N→dim) → layers over frames → Linear (dim→S·N) → sigmoid.

    Args:
        kind: ``"mamba"`` (causal; streams with :meth:`step`), ``"bimamba"`` (bidirectional) or
            ``"mossformer"`` (pre-norm attention + gated FSMN per layer, non-causal).
    """

    def __init__(
        self,
        filters: int,
        sources: int = 1,
        dim: int = 64,
        depth: int = 4,
        kind: str = "mamba",
        d_state: int = 16,
        heads: int = 4,
        fsmn_order: int = 16,
    ) -> None:
        super().__init__()
        if kind not in ("mamba", "bimamba", "mossformer"):
            raise ValueError(f"kind {kind!r}: expected mamba, bimamba or mossformer")
        self.sources, self.filters, self.kind = sources, filters, kind
        self.causal = kind == "mamba"
        self.norm = nn.LayerNorm(filters)
        self.embed = nn.Linear(filters, dim)
        if kind == "mossformer":
            layers = []
            for _ in range(depth):
                layers += [
                    TransformerLayer(dim, heads, mlp_ratio=2.0),
                    GatedFSMN(dim, dim, lorder=fsmn_order, conv_kernel=9),
                ]
            self.layers = nn.ModuleList(layers)
        else:
            self.layers = nn.ModuleList(
                MambaLayer(dim, d_state, bidirectional=kind == "bimamba") for _ in range(depth)
            )
        self.out = nn.Linear(dim, sources * filters)

    def tokens(self, codes: Tensor) -> Tensor:
        """(batch, N, K) frame codes → (batch, K, dim) tokens of the first layer."""
        return self.embed(self.norm(codes.transpose(1, 2)))

    def masks(self, x: Tensor) -> Tensor:
        """(batch, K, dim) last-layer tokens → (batch, S, N, K) masks."""
        masks = torch.sigmoid(self.out(x)).transpose(1, 2)  # (batch, S·N, K)
        return masks.reshape(x.shape[0], self.sources, self.filters, -1)

    def forward(self, codes: Tensor) -> Tensor:
        x = self.tokens(codes)  # (batch, K, dim)
        for layer in self.layers:
            x = layer(x)
        return self.masks(x)

    def step(self, code: Tensor, state: list | None) -> tuple[Tensor, list]:
        """One frame: code (batch, N) → masks (batch, S, N) and the new per-layer states."""
        masks, state = self.step_frames(code.unsqueeze(-1), state)
        return masks[..., 0], state

    def step_frames(
        self, codes: Tensor, state: list | None, per_frame: bool = False
    ) -> tuple[Tensor, list]:
        """A chunk of k frames: codes (batch, N, k) → masks (batch, S, N, k), new states.

        Equal to k calls of :meth:`step` and to the offline forward at these frames: every
        layer runs once over the chunk, its Mamba with the core ``MambaBlock.step_chunk``
        (chunked selective scan plus the carried state's contribution; exact for a stack of
        causal layers). ``per_frame``: the readable reference instead, ``MambaBlock.step``
        frame by frame, layer by layer.
        """
        if not self.causal:
            raise ValueError(f"SequenceMaskNet(kind={self.kind!r}) is not causal")
        state = list(state or [None] * len(self.layers))
        x = self.tokens(codes)  # (batch, k, dim)
        for i, layer in enumerate(self.layers):  # MambaLayer: x + Mamba(LN(x))
            h = layer.norm(x)
            if per_frame:
                frames = []
                for t in range(h.shape[1]):
                    y, state[i] = layer.mamba.step(h[:, t], state[i])
                    frames.append(y)
                x = x + torch.stack(frames, dim=1)
            else:
                y, state[i] = layer.mamba.step_chunk(h, state[i])
                x = x + y
        return self.masks(x), state


class DualPathMaskNet(nn.Module):
    """Dual-path bidirectional Mamba: frames cut into 50 %-overlapping chunks of ``chunk``;
    each repeat runs a BiMamba layer inside every chunk, then one across chunks; overlap-add
    back, PReLU, 1×1 (dim→S·N), sigmoid."""

    causal = False

    def __init__(
        self,
        filters: int,
        sources: int = 2,
        dim: int = 64,
        repeats: int = 4,
        chunk: int = 100,
        d_state: int = 16,
    ) -> None:
        super().__init__()
        self.sources, self.filters, self.chunk = sources, filters, chunk
        self.head = nn.Sequential(nn.GroupNorm(1, filters), nn.Conv1d(filters, dim, 1))
        self.intra = nn.ModuleList(
            MambaLayer(dim, d_state, bidirectional=True) for _ in range(repeats)
        )
        self.inter = nn.ModuleList(
            MambaLayer(dim, d_state, bidirectional=True) for _ in range(repeats)
        )
        self.out = nn.Sequential(nn.PReLU(), nn.Conv1d(dim, sources * filters, 1))

    def forward(self, codes: Tensor) -> Tensor:
        batch, _, frames = codes.shape
        x = self.head(codes)  # (batch, dim, K)
        hop = self.chunk // 2
        n_chunks = max(1, -(-(frames - self.chunk) // hop) + 1) if frames > self.chunk else 1
        padded_len = (n_chunks - 1) * hop + self.chunk
        x = F.pad(x, (0, padded_len - frames))
        dim = x.shape[1]
        chunks = x.unfold(-1, self.chunk, hop)  # (batch, dim, n, C)
        for intra, inter in zip(self.intra, self.inter):
            h = chunks.permute(0, 2, 3, 1).reshape(batch * n_chunks, self.chunk, dim)
            h = intra(h).reshape(batch, n_chunks, self.chunk, dim)
            h = h.permute(0, 2, 1, 3).reshape(batch * self.chunk, n_chunks, dim)
            h = inter(h).reshape(batch, self.chunk, n_chunks, dim)
            chunks = h.permute(0, 3, 2, 1)  # (batch, dim, n, C)
        merged = F.fold(
            chunks.permute(0, 1, 3, 2).reshape(batch, dim * self.chunk, n_chunks),
            output_size=(1, padded_len),
            kernel_size=(1, self.chunk),
            stride=(1, hop),
        ).reshape(batch, dim, padded_len)[..., :frames]
        masks = torch.sigmoid(self.out(merged))
        return masks.reshape(batch, self.sources, self.filters, frames)
