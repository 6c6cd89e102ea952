"""Mamba block and its bidirectional variant (Gu & Dao 2023, "Mamba: Linear-Time Sequence
Modeling with Selective State Spaces", arXiv:2312.00752; layout of ``mamba_ssm``'s ``Mamba``).

``BiMambaBlock`` runs a forward and a backward (flipped) Mamba over the sequence and combines
them, as Vision Mamba (Zhu et al. 2024, arXiv:2401.09417) and MHSSMamba do.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .scan_chunked import selective_scan_chunked
from .scan_dispatch import selective_scan
from .scan_ref import compute_dtype


class MambaState(NamedTuple):
    """Streaming state of a :class:`MambaBlock`.

    conv: (batch, d_inner, d_conv) last conv inputs (oldest first); ssm: (batch, d_inner, N).
    """

    conv: Tensor
    ssm: Tensor


class MambaBlock(nn.Module):
    """Mamba mixer: (batch, L, d_model) → (batch, L, d_model), causal.

    in_proj → (x, z); x → causal depthwise conv1d → SiLU → x_proj → (Δ low rank, B, C);
    Δ = dt_proj(Δ_lowrank) (bias = ``delta_bias``, softplus); selective scan with A = -exp(A_log),
    D skip and silu(z) gate; out_proj.

    Args:
        d_model: model width. d_state: N. d_conv: conv kernel width. expand: d_inner / d_model.
        dt_rank: rank of Δ (``"auto"`` = ceil(d_model / 16)).
        dt_min, dt_max, dt_init_floor, dt_scale, dt_init: Mamba's dt initialisation.
        conv_bias, bias: biases of the conv and of the in/out projections.
        scan_backend: backend of :func:`selective_scan` (``"auto"`` by default).
    """

    def __init__(
        self,
        d_model: int,
        d_state: int = 16,
        d_conv: int = 4,
        expand: int = 2,
        dt_rank: int | str = "auto",
        dt_min: float = 0.001,
        dt_max: float = 0.1,
        dt_init: str = "random",
        dt_scale: float = 1.0,
        dt_init_floor: float = 1e-4,
        conv_bias: bool = True,
        bias: bool = False,
        scan_backend: str = "auto",
    ) -> None:
        super().__init__()
        self.d_model, self.d_state, self.d_conv = d_model, d_state, d_conv
        self.d_inner = expand * d_model
        self.dt_rank = math.ceil(d_model / 16) if dt_rank == "auto" else int(dt_rank)
        self.scan_backend = scan_backend
        self.in_proj = nn.Linear(d_model, 2 * self.d_inner, bias=bias)
        self.conv1d = nn.Conv1d(
            self.d_inner,
            self.d_inner,
            kernel_size=d_conv,
            groups=self.d_inner,
            padding=d_conv - 1,
            bias=conv_bias,
        )
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner, bias=True)
        self._init_dt(dt_min, dt_max, dt_init, dt_scale, dt_init_floor)
        # S4D-real initialisation: A_n = -(n + 1)
        a_init = torch.arange(1, d_state + 1, dtype=torch.float32).repeat(self.d_inner, 1)
        self.A_log = nn.Parameter(torch.log(a_init))
        self.D = nn.Parameter(torch.ones(self.d_inner))
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=bias)

    def _init_dt(self, dt_min, dt_max, dt_init, dt_scale, dt_init_floor) -> None:
        """Mamba's Δ init: weight ~ U(±dt_rank^-0.5·scale), bias = softplus⁻¹(log-uniform dt)."""
        std = self.dt_rank**-0.5 * dt_scale
        if dt_init == "constant":
            nn.init.constant_(self.dt_proj.weight, std)
        elif dt_init == "random":
            nn.init.uniform_(self.dt_proj.weight, -std, std)
        else:
            raise ValueError(f"dt_init must be 'constant' or 'random', got {dt_init!r}")
        dt = torch.exp(
            torch.rand(self.d_inner) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        ).clamp(min=dt_init_floor)
        inv_softplus_dt = dt + torch.log(-torch.expm1(-dt))
        with torch.no_grad():
            self.dt_proj.bias.copy_(inv_softplus_dt)

    def _ssm_params(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """x: (..., d_inner) → Δ before bias (..., d_inner), B (..., N), C (..., N)."""
        dt, B, C = torch.split(self.x_proj(x), [self.dt_rank, self.d_state, self.d_state], -1)
        return F.linear(dt, self.dt_proj.weight), B, C

    def _scan(self, x, delta, B, C, z, cdtype, scan=None, **kwargs):
        """The block's selective scan: x (batch, d_inner, L); delta, z (batch, L, d_inner);
        B, C (batch, L, N); ``scan``: :func:`selective_scan` on ``scan_backend`` by default."""
        if scan is None:
            scan, kwargs = selective_scan, {**kwargs, "backend": self.scan_backend}
        return scan(
            x,
            delta.transpose(1, 2),
            -torch.exp(self.A_log.to(cdtype)),
            B.transpose(1, 2),
            C.transpose(1, 2),
            self.D.to(cdtype),
            z.transpose(1, 2),
            delta_bias=self.dt_proj.bias.to(cdtype),
            delta_softplus=True,
            **kwargs,
        )

    def forward(self, hidden: Tensor) -> Tensor:
        """hidden: (batch, L, d_model) → (batch, L, d_model)."""
        length = hidden.shape[1]
        x, z = self.in_proj(hidden).chunk(2, dim=-1)  # (batch, L, d_inner) each
        x = F.silu(self.conv1d(x.transpose(1, 2))[..., :length])  # (batch, d_inner, L)
        delta, B, C = self._ssm_params(x.transpose(1, 2))
        y = self._scan(x, delta, B, C, z, compute_dtype(hidden))
        return self.out_proj(y.transpose(1, 2))

    def init_state(self, batch: int, device=None, dtype=None) -> MambaState:
        """Zero streaming state for ``batch`` sequences (the SSM state in the scan's compute
        dtype: float64 for float64, else float32)."""
        device = device if device is not None else self.A_log.device
        dtype = dtype if dtype is not None else self.in_proj.weight.dtype
        return MambaState(
            conv=torch.zeros(batch, self.d_inner, self.d_conv, device=device, dtype=dtype),
            ssm=torch.zeros(
                batch,
                self.d_inner,
                self.d_state,
                device=device,
                dtype=torch.float64 if dtype == torch.float64 else torch.float32,
            ),
        )

    def step(self, x_t: Tensor, state: MambaState | None = None) -> tuple[Tensor, MambaState]:
        """One streaming step: x_t (batch, d_model) → (batch, d_model), new state.

        Equals ``forward`` on the sequence seen so far, evaluated at its last position. The
        readable per-frame reference of :meth:`step_chunk`.
        """
        if state is None:
            state = self.init_state(x_t.shape[0], x_t.device, x_t.dtype)
        x, z = self.in_proj(x_t).chunk(2, dim=-1)  # (batch, d_inner)
        conv = torch.cat([state.conv[..., 1:], x.unsqueeze(-1)], dim=-1)
        x = (conv * self.conv1d.weight.squeeze(1)).sum(-1)
        if self.conv1d.bias is not None:
            x = x + self.conv1d.bias
        x = F.silu(x)
        delta, B, C = self._ssm_params(x)
        cdtype = compute_dtype(x_t)
        delta = F.softplus(delta.to(cdtype) + self.dt_proj.bias.to(cdtype))  # (batch, d_inner)
        A = -torch.exp(self.A_log.to(cdtype))
        x_f = x.to(cdtype)
        ssm = torch.exp(delta.unsqueeze(-1) * A) * state.ssm.to(cdtype) + (
            (delta * x_f).unsqueeze(-1) * B.to(cdtype).unsqueeze(1)
        )
        y = torch.einsum("bdn,bn->bd", ssm, C.to(cdtype)) + self.D.to(cdtype) * x_f
        y = (y * F.silu(z.to(cdtype))).to(x_t.dtype)
        return self.out_proj(y), MambaState(conv=conv, ssm=ssm)

    def step_chunk(
        self, hidden: Tensor, state: MambaState | None = None
    ) -> tuple[Tensor, MambaState]:
        """A chunk of T streaming steps at once: hidden (batch, T, d_model) → (batch, T,
        d_model), new state; equal to T calls of :meth:`step` (and to ``forward`` on the whole
        sequence seen so far, at its last T positions), without a Python loop per frame.

        The causal conv runs over the carried last inputs followed by the chunk; the selective
        scan is the parallel (Hillis–Steele) chunked scan (:func:`selective_scan_chunked`, pure
        PyTorch, whatever ``scan_backend`` is) started from the carried state h0: its
        contribution ``exp(A ⊙ Σ_{s≤t} Δ_s) ⊙ h0`` is added to every state, so y_t gains
        ``C_t · exp(A ⊙ Σ_{s≤t} Δ_s) h0`` and the final state is returned. Differentiable in
        the inputs, the parameters and the incoming state. A one-frame chunk takes
        :meth:`step` (fewer operations, the same result).
        """
        batch, length, _ = hidden.shape
        if state is None:
            state = self.init_state(batch, hidden.device, hidden.dtype)
        if length <= 1:  # nothing to parallelise: the per-step path has the fewest ops
            if length == 0:
                return hidden.new_zeros(batch, 0, self.d_model), state
            y, state = self.step(hidden[:, 0], state)
            return y.unsqueeze(1), state
        x, z = self.in_proj(hidden).chunk(2, dim=-1)  # (batch, T, d_inner) each
        inputs = torch.cat([state.conv, x.transpose(1, 2)], dim=-1)  # (batch, d_inner, k + T)
        # causal depthwise conv over the carried inputs and the chunk, as in ``step``
        windows = inputs[..., 1:].unfold(-1, self.d_conv, 1)  # (batch, d_inner, T, k)
        x = (windows * self.conv1d.weight[:, None, 0]).sum(-1)
        if self.conv1d.bias is not None:
            x = x + self.conv1d.bias[:, None]
        x = F.silu(x)  # (batch, d_inner, T)
        delta, B, C = self._ssm_params(x.transpose(1, 2))
        y, ssm = self._scan(
            x,
            delta,
            B,
            C,
            z,
            compute_dtype(hidden),
            scan=selective_scan_chunked,
            return_last_state=True,
            initial_state=state.ssm,
        )
        out = self.out_proj(y.transpose(1, 2))
        return out, MambaState(conv=inputs[..., inputs.shape[-1] - self.d_conv :], ssm=ssm)


class BiMambaBlock(nn.Module):
    """Bidirectional Mamba: (batch, L, d_model) → (batch, L, d_model), non-causal.

    y = combine(Mamba_fwd(x), flip(Mamba_bwd(flip(x)))) with ``combine`` = ``"sum"`` or
    ``"concat"`` (concatenate then project 2·d_model → d_model). The two directions have
    independent parameters (as Vision Mamba's forward / backward SSMs).

    Args:
        d_model: width. combine: ``"sum"`` | ``"concat"``. **mamba_kwargs: for both MambaBlocks.
    """

    def __init__(self, d_model: int, combine: str = "sum", **mamba_kwargs) -> None:
        super().__init__()
        if combine not in ("sum", "concat"):
            raise ValueError(f"combine must be 'sum' or 'concat', got {combine!r}")
        self.combine = combine
        self.forward_block = MambaBlock(d_model, **mamba_kwargs)
        self.backward_block = MambaBlock(d_model, **mamba_kwargs)
        self.merge = nn.Linear(2 * d_model, d_model) if combine == "concat" else None

    def forward(self, hidden: Tensor) -> Tensor:
        """hidden: (batch, L, d_model) → (batch, L, d_model)."""
        forward_out = self.forward_block(hidden)
        backward_out = self.backward_block(hidden.flip(1)).flip(1)
        if self.merge is None:
            return forward_out + backward_out
        return self.merge(torch.cat([forward_out, backward_out], dim=-1))
