"""Legendre Memory Unit (Voelker, Kajić & Eliasmith 2019, "Legendre Memory Units:
Continuous-Time Representation in Recurrent Neural Networks", NeurIPS) in its parallelisable
form (Chilkuri & Eliasmith 2021, "Parallelizing Legendre Memory Unit Training", ICML).

The memory is the Legendre delay system of order d and window θ::

    θ m'(t) = Â m(t) + B̂ u(t),  Â_ij = (2i+1)·(-1 if i < j else (-1)^{i-j+1}),  B̂_i = (2i+1)(-1)^i

discretised by zero-order hold (``torch.matrix_exp``, no scipy). ``m_t`` holds the shifted-
Legendre coefficients of the last θ steps of ``u``: ``u(t - rθ) ≈ Σ_i P_i(2r - 1) m_i(t)``
(:func:`legendre_decoder`). Without the hidden-to-memory feedback the memory is a linear time-
invariant filter, so training convolves ``u`` with the impulse response ``Ā^l B̄`` (FFT), and
inference runs the recurrence (:meth:`LMU.step`).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..spectral.fftconv import fft_conv


def legendre_delay_system(order: int, theta: float) -> tuple[Tensor, Tensor]:
    """Continuous-time (A (order, order), B (order,)) of the Legendre delay system, float64."""
    i = torch.arange(order, dtype=torch.float64)
    scale = (2 * i + 1).unsqueeze(1) / theta
    ii, jj = i.unsqueeze(1), i.unsqueeze(0)
    A = torch.where(ii < jj, -1.0, (-1.0) ** (ii - jj + 1)) * scale
    B = (2 * i + 1) * (-1.0) ** i / theta
    return A, B


def discretize_zoh(A: Tensor, B: Tensor, dt: float = 1.0) -> tuple[Tensor, Tensor]:
    """Zero-order hold: Ā = exp(A dt), B̄ = A⁻¹(Ā - I)B, from one matrix exponential of the
    augmented matrix [[A, B], [0, 0]]·dt. A: (d, d), B: (d,) → Ā (d, d), B̄ (d,)."""
    d = A.shape[0]
    aug = torch.zeros(d + 1, d + 1, dtype=A.dtype, device=A.device)
    aug[:d, :d], aug[:d, d] = A * dt, B * dt
    expm = torch.linalg.matrix_exp(aug)
    return expm[:d, :d], expm[:d, d]


def impulse_response(Ad: Tensor, Bd: Tensor, length: int) -> Tensor:
    """H (d, length) with H[:, l] = Ā^l B̄, by repeated doubling (log2(length) matmuls)."""
    H = Bd.unsqueeze(1)
    power = Ad
    while H.shape[1] < length:
        H = torch.cat([H, power @ H], dim=1)
        power = power @ power
    return H[:, :length]


def legendre_decoder(order: int, r: Tensor | float) -> Tensor:
    """Shifted Legendre values P_i(2r - 1), i < order, for delays r ∈ [0, 1] (fractions of θ).

    Returns (..., order); ``u(t - rθ) ≈ legendre_decoder(order, r) @ m_t``.
    """
    x = 2 * torch.as_tensor(r, dtype=torch.float64) - 1
    values = [torch.ones_like(x), x]
    for n in range(1, order - 1):  # Bonnet recursion
        values.append(((2 * n + 1) * x * values[n] - n * values[n - 1]) / (n + 1))
    return torch.stack(values[:order], dim=-1)


def lmu_memory_ref(u: Tensor, Ad: Tensor, Bd: Tensor) -> Tensor:
    """Reference loop m_t = Ā m_{t-1} + B̄ u_t. u: (batch, L, channels) → (batch, L, channels, d)."""
    m = u.new_zeros(*u.shape[:1], u.shape[2], Ad.shape[0])
    out = []
    for t in range(u.shape[1]):
        m = m @ Ad.T + u[:, t, :, None] * Bd
        out.append(m)
    return torch.stack(out, dim=1)


class LMU(nn.Module):
    """Parallelisable LMU layer: (batch, L, input_size) → (batch, L, hidden_size), causal.

    u_t = W_u x_t + b_u (``memory_channels`` scalars), m_t = Legendre memory of each channel
    (order coefficients), h_t = activation(W_h [m_t, x_t] + b_h).

    Args:
        input_size, hidden_size: widths. order: Legendre order d. theta: window length in steps.
        memory_channels: independent memories. activation: applied to the output (default tanh).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        order: int,
        theta: float,
        memory_channels: int = 1,
        activation: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.order, self.theta, self.memory_channels = order, theta, memory_channels
        Ad, Bd = discretize_zoh(*legendre_delay_system(order, theta))
        self.register_buffer("Ad", Ad.float())
        self.register_buffer("Bd", Bd.float())
        self.encoder = nn.Linear(input_size, memory_channels)
        self.hidden = nn.Linear(memory_channels * order + input_size, hidden_size)
        self.activation = activation if activation is not None else nn.Tanh()

    def memory(self, u: Tensor) -> Tensor:
        """Parallel memory: u (batch, L, channels) → m (batch, L, channels, order) by FFT conv."""
        batch, length, channels = u.shape
        H = impulse_response(self.Ad.to(u.dtype), self.Bd.to(u.dtype), length)  # (order, L)
        u_rep = u.transpose(1, 2).repeat_interleave(self.order, dim=1)  # (batch, c·order, L)
        m = fft_conv(u_rep, H.repeat(channels, 1), causal=True)
        return m.view(batch, channels, self.order, length).permute(0, 3, 1, 2)

    def _readout(self, m: Tensor, x: Tensor) -> Tensor:
        return self.activation(self.hidden(torch.cat([m.flatten(-2), x], dim=-1)))

    def forward(self, x: Tensor) -> Tensor:
        """x: (batch, L, input_size) → (batch, L, hidden_size)."""
        return self._readout(self.memory(self.encoder(x)), x)

    def step(self, x_t: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """x_t (batch, input_size) → (h_t (batch, hidden), memory (batch, channels, order))."""
        if state is None:
            state = x_t.new_zeros(x_t.shape[0], self.memory_channels, self.order)
        u_t = self.encoder(x_t)
        state = state @ self.Ad.to(x_t.dtype).T + u_t.unsqueeze(-1) * self.Bd.to(x_t.dtype)
        return self._readout(state, x_t), state


__all__ = [
    "LMU",
    "discretize_zoh",
    "impulse_response",
    "legendre_decoder",
    "legendre_delay_system",
    "lmu_memory_ref",
]
