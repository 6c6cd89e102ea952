"""FSMN memory blocks as used in MossFormer2 (Zhao et al. 2023, "MossFormer2: Combining
Transformer and RNN-Free Recurrent Network for Enhanced Time-Domain Monaural Speech Separation",
arXiv:2312.11825), after the feedforward sequential memory network (Zhang et al. 2015, FSMN).

:class:`FSMNMemory` (MossFormer2's ``UniDeepFsmn``)::

    p_t = W_p relu(W_h x_t + b_h)                       (bottleneck projection, no bias)
    m_t = p_t + Σ_{i=0}^{lorder-1} a_i ⊙ p_{t-i} + Σ_{j=1}^{rorder} c_j ⊙ p_{t+j}
    y_t = x_t + m_t

The memory is a learnable depthwise FIR filter over ``lorder`` past/current frames and
``rorder`` future frames; ``rorder = 0`` makes it causal. (MossFormer2 itself uses the symmetric
window ``rorder = lorder - 1``.) :class:`GatedFSMN` is MossFormer2's gated FSMN:
``y = x + W_o(U(x) ⊙ FSMN(V(x)))`` where U and V are LayerNorm → Linear → SiLU → depthwise conv
units (W_o maps hidden_size back to d_model; MossFormer2 uses hidden_size = d_model, no W_o).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class FSMNMemory(nn.Module):
    """Deep FSMN memory block: (batch, L, d_model) → (batch, L, d_model).

    Args:
        d_model: input / output width. hidden_size: bottleneck width.
        lorder: taps over the current and past frames (>= 1). rorder: taps over future frames
            (0 = causal).
    """

    def __init__(self, d_model: int, hidden_size: int, lorder: int = 20, rorder: int = 0) -> None:
        super().__init__()
        if lorder < 1 or rorder < 0:
            raise ValueError(f"need lorder >= 1 and rorder >= 0, got {lorder}, {rorder}")
        self.lorder, self.rorder = lorder, rorder
        self.linear = nn.Linear(d_model, hidden_size)
        self.project = nn.Linear(hidden_size, d_model, bias=False)
        self.memory = nn.Conv1d(
            d_model, d_model, kernel_size=lorder + rorder, groups=d_model, bias=False
        )

    @property
    def causal(self) -> bool:
        return self.rorder == 0

    def forward(self, x: Tensor) -> Tensor:
        """x: (batch, L, d_model) → (batch, L, d_model)."""
        p = self.project(F.relu(self.linear(x))).transpose(1, 2)  # (batch, d_model, L)
        m = p + self.memory(F.pad(p, (self.lorder - 1, self.rorder)))
        return x + m.transpose(1, 2)


class _ConvUnit(nn.Module):
    """LayerNorm → Linear → SiLU → residual depthwise conv (MossFormer2's ``FFConvM``).

    (batch, L, d_in) → (batch, L, d_out); the conv is causal when ``causal``.
    """

    def __init__(self, d_in: int, d_out: int, kernel_size: int, causal: bool) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_in)
        self.linear = nn.Linear(d_in, d_out)
        pad = (kernel_size - 1, 0) if causal else ((kernel_size - 1) // 2, kernel_size // 2)
        self.pad = pad
        self.conv = nn.Conv1d(d_out, d_out, kernel_size, groups=d_out)

    def forward(self, x: Tensor) -> Tensor:
        h = F.silu(self.linear(self.norm(x))).transpose(1, 2)
        return (h + self.conv(F.pad(h, self.pad))).transpose(1, 2)


class GatedFSMN(nn.Module):
    """Gated FSMN block of MossFormer2: (batch, L, d_model) → (batch, L, d_model).

    y = x + W_o(U(x) ⊙ FSMNMemory(V(x))).

    Args:
        d_model: width. hidden_size: width of U, V and the FSMN. lorder, rorder: FSMN taps.
        conv_kernel: depthwise kernel of the U / V units. causal: forces ``rorder = 0`` and
            causal convolutions everywhere.
    """

    def __init__(
        self,
        d_model: int,
        hidden_size: int,
        lorder: int = 20,
        rorder: int | None = None,
        conv_kernel: int = 17,
        causal: bool = False,
    ) -> None:
        super().__init__()
        if rorder is None:
            rorder = 0 if causal else lorder - 1
        if causal and rorder:
            raise ValueError("a causal GatedFSMN needs rorder = 0")
        self.to_u = _ConvUnit(d_model, hidden_size, conv_kernel, causal)
        self.to_v = _ConvUnit(d_model, hidden_size, conv_kernel, causal)
        self.fsmn = FSMNMemory(hidden_size, hidden_size, lorder, rorder)
        self.out = nn.Linear(hidden_size, d_model)

    def forward(self, x: Tensor) -> Tensor:
        """x: (batch, L, d_model) → (batch, L, d_model)."""
        return x + self.out(self.to_u(x) * self.fsmn(self.to_v(x)))
