"""S4D: diagonal complex state space layer (Gu, Gupta, Goel & Ré 2022, "On the Parameterization
and Initialization of Diagonal State Space Models", NeurIPS; arXiv:2206.11893).

Per channel h and state n (N/2 complex conjugate pairs, so the output is real)::

    x'(t) = A x(t) + u(t),  y(t) = 2·Re(C x(t)) + D u(t)     A = -exp(log_A_real) + i·A_imag
    ZOH:  Ā = exp(Δ A),  B̄ = (exp(Δ A) - 1) / A
    kernel K_l = 2·Re(Σ_n C_n B̄_n Ā_n^l)      (a Vandermonde product), y = K * u + D u

The layer applies the kernel by FFT convolution (O(L log L)) in training and by the recurrence
``x_t = Ā x_{t-1} + B̄ u_t`` in :meth:`S4D.step`. :func:`s4d_recurrence_ref` is the reference loop.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..spectral.fftconv import fft_conv


def s4d_recurrence_ref(u: Tensor, dA: Tensor, dB: Tensor, C: Tensor) -> Tensor:
    """Explicit recurrence of the discretised diagonal SSM (reference for the FFT path).

    u: (batch, H, L) real; dA, dB, C: (H, N/2) complex. Returns y (batch, H, L) without D:
    ``x_t = dA ⊙ x_{t-1} + dB u_t``, ``y_t = 2·Re(Σ_n C_n x_{t,n})``.
    """
    x = torch.zeros(u.shape[0], *dA.shape, dtype=dA.dtype, device=u.device)
    ys = []
    for t in range(u.shape[-1]):
        x = dA * x + dB * u[..., t, None]
        ys.append(2 * (x * C).sum(-1).real)
    return torch.stack(ys, dim=-1)


class S4DKernel(nn.Module):
    """Discretised S4D-Lin parameters and their convolution kernel.

    Args:
        d_model: channels H. d_state: N (N/2 complex modes). dt_min, dt_max: log-uniform Δ init.

    Init: A_n = -1/2 + iπn (S4D-Lin), C ~ CN(0, 1), Δ log-uniform in [dt_min, dt_max].
    """

    def __init__(
        self, d_model: int, d_state: int = 64, dt_min: float = 0.001, dt_max: float = 0.1
    ) -> None:
        super().__init__()
        if d_state % 2:
            raise ValueError(f"d_state must be even (complex conjugate pairs), got {d_state}")
        modes = d_state // 2
        log_dt = torch.rand(d_model) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        self.log_dt = nn.Parameter(log_dt)
        self.C = nn.Parameter(torch.view_as_real(torch.randn(d_model, modes, dtype=torch.cfloat)))
        self.log_A_real = nn.Parameter(torch.log(0.5 * torch.ones(d_model, modes)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(modes).float().repeat(d_model, 1))

    def discrete(self) -> tuple[Tensor, Tensor, Tensor]:
        """(Ā, B̄, C), each (H, N/2) complex (ZOH discretisation)."""
        A = torch.complex(-torch.exp(self.log_A_real), self.A_imag)
        dtA = A * torch.exp(self.log_dt).unsqueeze(-1)
        dA = torch.exp(dtA)
        return dA, (dA - 1) / A, torch.view_as_complex(self.C)

    def forward(self, length: int) -> Tensor:
        """The real convolution kernel (H, length): K_l = 2·Re(Σ_n C_n B̄_n Ā_n^l)."""
        A = torch.complex(-torch.exp(self.log_A_real), self.A_imag)
        dtA = A * torch.exp(self.log_dt).unsqueeze(-1)
        powers = dtA.unsqueeze(-1) * torch.arange(length, device=dtA.device)  # (H, N/2, L)
        C_dB = torch.view_as_complex(self.C) * (torch.exp(dtA) - 1) / A
        return 2 * torch.einsum("hn,hnl->hl", C_dB, torch.exp(powers)).real


class S4D(nn.Module):
    """S4D layer: (batch, L, d_model) → (batch, L, d_model), causal.

    y = K * u + D u (FFT convolution), GELU, dropout, then a pointwise GLU output projection
    (as the reference S4D layer of the ``state-spaces`` repository).

    Args:
        d_model: channels H. d_state: N. dropout: after the activation. dt_min, dt_max: Δ init.
    """

    def __init__(
        self,
        d_model: int,
        d_state: int = 64,
        dropout: float = 0.0,
        dt_min: float = 0.001,
        dt_max: float = 0.1,
    ) -> None:
        super().__init__()
        self.kernel = S4DKernel(d_model, d_state, dt_min, dt_max)
        self.D = nn.Parameter(torch.randn(d_model))
        self.dropout = nn.Dropout(dropout)
        self.output_linear = nn.Linear(d_model, 2 * d_model)

    def _output(self, y: Tensor) -> Tensor:
        """(…, H) SSM output → activation, dropout, GLU projection (…, H)."""
        return F.glu(self.output_linear(self.dropout(F.gelu(y))), dim=-1)

    def ssm(self, u: Tensor) -> Tensor:
        """The linear SSM part only: u (batch, L, H) → K * u + D u (batch, L, H)."""
        k = self.kernel(u.shape[1]).to(u.dtype)
        y = fft_conv(u.transpose(1, 2), k, causal=True).transpose(1, 2)
        return y + u * self.D

    def forward(self, u: Tensor) -> Tensor:
        """u: (batch, L, d_model) → (batch, L, d_model)."""
        return self._output(self.ssm(u))

    def init_state(self, batch: int, dtype: torch.dtype = torch.float32) -> Tensor:
        """Zero recurrent state (batch, H, N/2), complex."""
        cdtype = torch.complex128 if dtype == torch.float64 else torch.complex64
        return torch.zeros(batch, *self.kernel.C.shape[:2], dtype=cdtype, device=self.D.device)

    def step(self, u_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One recurrent step: u_t (batch, H) → (y_t (batch, H), new state (batch, H, N/2))."""
        if state is None:
            state = self.init_state(u_t.shape[0], u_t.dtype)
        dA, dB, C = self.kernel.discrete()
        state = dA * state + dB * u_t.unsqueeze(-1)
        y = 2 * (state * C).sum(-1).real.to(u_t.dtype) + self.D * u_t
        return self._output(y), state
