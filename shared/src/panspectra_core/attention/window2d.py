"""Window attention over an H × W token grid with optional shifted windows (Swin Transformer;
Liu et al. 2021, "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows",
arXiv:2103.14030).

The grid is padded to multiples of the window (padded tokens are masked as keys and cropped),
optionally rolled by ``-shift`` (cyclic shift), partitioned into windows, attended per window, then
reversed. In shifted mode, tokens that come from different sides of the wrap-around are masked from
each other (Swin's region mask), so no token attends across the image border. With
``relative_position_bias`` every head adds a learned bias indexed by the (Δrow, Δcol) offset of
query and key inside the window (Swin's table of (2wh − 1)(2ww − 1) entries per head, Sec. 3.2).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .qk_norm import HeadRMSNorm
from .softmax import softmax_attention


def window_partition(x: Tensor, window: tuple[int, int]) -> Tensor:
    """(batch, H, W, C) with H, W multiples of the window -> (batch, num_windows, wh*ww, C)."""
    batch, height, width, channels = x.shape
    wh, ww = window
    x = x.view(batch, height // wh, wh, width // ww, ww, channels)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(batch, -1, wh * ww, channels)


def window_reverse(windows: Tensor, window: tuple[int, int], height: int, width: int) -> Tensor:
    """Inverse of :func:`window_partition`: (batch, num_windows, wh*ww, C) -> (batch, H, W, C)."""
    batch, _, _, channels = windows.shape
    wh, ww = window
    x = windows.view(batch, height // wh, width // ww, wh, ww, channels)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(batch, height, width, channels)


def shifted_window_mask(
    height: int,
    width: int,
    window: tuple[int, int],
    shift: tuple[int, int],
    valid: Tensor,
) -> Tensor:
    """Allowed (query, key) pairs per window in the rolled frame.

    Args:
        height, width: padded grid size (multiples of the window).
        window, shift: window and shift sizes per axis.
        valid: (H, W) bool in the rolled frame, False on padding.

    Returns:
        (num_windows, N, N) bool with N = wh*ww: same Swin region and the key is a real token.
    """
    labels = torch.zeros(height, width, dtype=torch.long, device=valid.device)
    region = 0
    for h_slice in _region_slices(height, window[0], shift[0]):
        for w_slice in _region_slices(width, window[1], shift[1]):
            labels[h_slice, w_slice] = region
            region += 1
    win_labels = window_partition(labels[None, :, :, None], window)[0, :, :, 0]  # (nW, N)
    win_valid = window_partition(valid[None, :, :, None], window)[0, :, :, 0]
    return (win_labels[:, :, None] == win_labels[:, None, :]) & win_valid[:, None, :]


def relative_position_index(window: tuple[int, int]) -> Tensor:
    """(N, N) long, N = wh·ww: index of the offset (Δrow, Δcol) between window positions i and j
    in a table of (2wh − 1)(2ww − 1) entries (Swin's ``relative_position_index``)."""
    wh, ww = window
    rows, cols = torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")
    rows, cols = rows.flatten(), cols.flatten()
    d_row = rows[:, None] - rows[None, :] + wh - 1  # in [0, 2wh − 2]
    d_col = cols[:, None] - cols[None, :] + ww - 1
    return d_row * (2 * ww - 1) + d_col


def _region_slices(size: int, window: int, shift: int) -> tuple[slice, ...]:
    if shift == 0:
        return (slice(0, size),)
    return (slice(0, size - window), slice(size - window, size - shift), slice(size - shift, size))


class WindowAttention2d(nn.Module):
    """Multi-head (shifted-)window self-attention on a token grid.

    Args:
        dim: channel width (divisible by ``num_heads``).
        num_heads: number of heads.
        window_size: window side (int) or (wh, ww).
        shift_size: cyclic shift (int or pair); 0 = regular windows. Must be < the window.
        qk_norm: per-head RMS QK-norm.
        dropout: attention-probability dropout (training only).
        bias: projection biases.
        relative_position_bias: add Swin's learned per-head bias of the in-window offset
            (table initialised from a normal truncated at ±2σ, σ = 0.02, as in Swin).

    Shapes:
        x: (batch, H, W, dim) -> (batch, H, W, dim).
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: int | tuple[int, int],
        shift_size: int | tuple[int, int] = 0,
        qk_norm: bool = False,
        dropout: float = 0.0,
        bias: bool = True,
        relative_position_bias: bool = False,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} not divisible by num_heads={num_heads}")
        pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
        self.window, self.shift = pair(window_size), pair(shift_size)
        if any(s < 0 or s >= w for s, w in zip(self.shift, self.window)):
            raise ValueError(f"shift {self.shift} must be in [0, window {self.window})")
        self.num_heads, self.head_dim, self.dropout = num_heads, dim // num_heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.out = nn.Linear(dim, dim, bias=bias)
        self.q_norm = HeadRMSNorm(self.head_dim) if qk_norm else None
        self.k_norm = HeadRMSNorm(self.head_dim) if qk_norm else None
        self.relative_bias_table = None
        if relative_position_bias:
            (wh, ww) = self.window
            table = torch.zeros((2 * wh - 1) * (2 * ww - 1), num_heads)
            self.relative_bias_table = nn.Parameter(nn.init.trunc_normal_(table, std=0.02))
            self.register_buffer(
                "relative_index", relative_position_index(self.window), persistent=False
            )

    def relative_bias(self) -> Tensor | None:
        """(heads, N, N) learned bias of the in-window offsets, or None when disabled."""
        if self.relative_bias_table is None:
            return None
        n = self.relative_index.shape[0]
        bias = self.relative_bias_table[self.relative_index.flatten()].view(n, n, -1)
        return bias.permute(2, 0, 1)

    def forward(self, x: Tensor) -> Tensor:
        batch, height, width, channels = x.shape
        (wh, ww), (sh, sw) = self.window, self.shift
        pad_h, pad_w = (-height) % wh, (-width) % ww
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        hp, wp = height + pad_h, width + pad_w
        valid = torch.zeros(hp, wp, dtype=torch.bool, device=x.device)
        valid[:height, :width] = True
        if sh or sw:
            x = torch.roll(x, shifts=(-sh, -sw), dims=(1, 2))
            valid = torch.roll(valid, shifts=(-sh, -sw), dims=(0, 1))
        mask = shifted_window_mask(hp, wp, self.window, self.shift, valid)  # (nW, N, N)

        tokens = window_partition(x, self.window)  # (b, nW, N, C)
        num_windows, n = tokens.shape[1], tokens.shape[2]
        qkv = self.qkv(tokens).view(batch, num_windows, n, 3, self.num_heads, self.head_dim)
        q, k, v = qkv.permute(3, 0, 1, 4, 2, 5).unbind(0)  # each (b, nW, heads, N, hd)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        bias = self.relative_bias()
        out = softmax_attention(
            q,
            k,
            v,
            attn_mask=mask[None, :, None],
            dropout_p=self.dropout if self.training else 0.0,
            attn_bias=None if bias is None else bias[None, None],  # (1, 1, heads, N, N)
        )
        out = self.out(out.transpose(2, 3).reshape(batch, num_windows, n, channels))
        out = window_reverse(out, self.window, hp, wp)
        if sh or sw:
            out = torch.roll(out, shifts=(sh, sw), dims=(1, 2))
        return out[:, :height, :width]
