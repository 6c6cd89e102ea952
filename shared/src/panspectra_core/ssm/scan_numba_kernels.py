"""Fused CPU kernels (numba) for the selective scan: forward and reverse-time adjoint.

Both kernels run ``prange`` over the flattened ``batch × dim`` rows; each row keeps its ``N``
state values in a small local array and walks over time, so nothing of size
``(batch, dim, L, N)`` is ever materialised (Mamba, Gu & Dao 2023, arXiv:2312.00752, §3.3.2:
"kernel fusion and recomputation", done here on the CPU).

Layouts (all C-contiguous, one float dtype — float32 or float64):

- ``u``, ``delta``, ``z``: (batch, dim, L); ``delta`` is Δ *before* bias / softplus.
- ``A``: (dim, N); ``B``, ``C``: (batch, L, N) (time-major so the inner ``N`` loop is contiguous).
- ``D``, ``delta_bias``: (dim,) (zeros when absent); flags say whether ``z`` / softplus apply.

The forward pass stores the state at the start of every ``chunk`` steps: (batch, dim, n_chunks, N).
The backward pass recomputes the states of one chunk from that checkpoint, then runs the adjoint
recurrence ``h_t = g_y_t C_t + exp(Δ_{t+1} A) ⊙ h_{t+1}`` backwards through the chunk.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(inline="always")
def _softplus(v):
    # matches torch.nn.functional.softplus (beta=1, threshold=20)
    return v if v > 20.0 else math.log1p(math.exp(v))


@numba.njit(inline="always")
def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


@numba.njit(parallel=True, fastmath=False, cache=True)
def scan_forward_kernel(u, delta, A, B, C, D, z, delta_bias, has_z, softplus, chunk):
    """Returns out (batch, dim, L), last state (batch, dim, N), checkpoints (b, d, n_chunks, N)."""
    batch, dim, length = u.shape
    n_state = A.shape[1]
    n_chunks = (length + chunk - 1) // chunk
    out = np.empty_like(u)
    last = np.empty((batch, dim, n_state), dtype=u.dtype)
    ckpt = np.empty((batch, dim, max(n_chunks, 1), n_state), dtype=u.dtype)
    for row in numba.prange(batch * dim):
        b = row // dim
        d = row % dim
        x = np.zeros(n_state, dtype=u.dtype)
        a_row = A[d]
        for t in range(length):
            if t % chunk == 0:
                ckpt[b, d, t // chunk, :] = x
            dt = delta[b, d, t] + delta_bias[d]
            if softplus:
                dt = _softplus(dt)
            dtu = dt * u[b, d, t]
            y = 0.0
            for n in range(n_state):
                x[n] = math.exp(dt * a_row[n]) * x[n] + dtu * B[b, t, n]
                y += x[n] * C[b, t, n]
            y += D[d] * u[b, d, t]
            if has_z:
                zv = z[b, d, t]
                y *= zv * _sigmoid(zv)
            out[b, d, t] = y
        last[b, d, :] = x
    return out, last, ckpt


@numba.njit(parallel=True, fastmath=False, cache=True)
def scan_backward_kernel(
    u, delta, A, B, C, D, z, delta_bias, has_z, softplus, chunk, ckpt, g_out, g_last, n_groups
):
    """Gradients of the selective scan by the reverse-time adjoint recurrence.

    Rows (b, d) are split into ``n_groups`` contiguous groups of dims per batch; each group
    accumulates its own partial ``dB``/``dC`` (batch, n_groups, L, N) so no two threads write the
    same memory. Returns du, d_delta (w.r.t. the raw delta), dA partials (batch, dim, N),
    dB/dC partials, dD partials (batch, dim), dz, d_delta_bias partials (batch, dim).
    """
    batch, dim, length = u.shape
    n_state = A.shape[1]
    du = np.empty_like(u)
    d_delta = np.empty_like(u)
    dz = np.zeros_like(u)
    dA_part = np.zeros((batch, dim, n_state), dtype=u.dtype)
    dB_part = np.zeros((batch, n_groups, length, n_state), dtype=u.dtype)
    dC_part = np.zeros((batch, n_groups, length, n_state), dtype=u.dtype)
    dD_part = np.zeros((batch, dim), dtype=u.dtype)
    d_bias_part = np.zeros((batch, dim), dtype=u.dtype)
    dims_per_group = (dim + n_groups - 1) // n_groups
    for task in numba.prange(batch * n_groups):
        b = task // n_groups
        grp = task % n_groups
        states = np.empty((chunk + 1, n_state), dtype=u.dtype)
        decays = np.empty((chunk, n_state), dtype=u.dtype)  # exp(Δ_t A) of the chunk, reused
        h = np.empty(n_state, dtype=u.dtype)
        decay_next = np.empty(n_state, dtype=u.dtype)
        d_lo = grp * dims_per_group
        d_hi = min(dim, d_lo + dims_per_group)
        for d in range(d_lo, d_hi):
            a_row = A[d]
            h[:] = g_last[b, d, :]
            decay_next[:] = 1.0  # h_L gets no decay term from a step L+1
            n_chunks = (length + chunk - 1) // chunk
            for c in range(n_chunks - 1, -1, -1):
                t0 = c * chunk
                t1 = min(length, t0 + chunk)
                # recompute states x_{t0-1} .. x_{t1-1} (states[k] = state before step t0 + k)
                states[0, :] = ckpt[b, d, c, :]
                for t in range(t0, t1):
                    dt = delta[b, d, t] + delta_bias[d]
                    if softplus:
                        dt = _softplus(dt)
                    dtu = dt * u[b, d, t]
                    k = t - t0
                    for n in range(n_state):
                        decays[k, n] = math.exp(dt * a_row[n])
                        states[k + 1, n] = decays[k, n] * states[k, n] + dtu * B[b, t, n]
                for t in range(t1 - 1, t0 - 1, -1):
                    k = t - t0
                    raw = delta[b, d, t] + delta_bias[d]
                    dt = _softplus(raw) if softplus else raw
                    ut = u[b, d, t]
                    g = g_out[b, d, t]
                    if has_z:
                        zv = z[b, d, t]
                        sig = _sigmoid(zv)
                        y = D[d] * ut
                        for n in range(n_state):
                            y += states[k + 1, n] * C[b, t, n]
                        dz[b, d, t] = g * y * sig * (1.0 + zv * (1.0 - sig))
                        g = g * zv * sig
                    dD_part[b, d] += g * ut
                    g_u = g * D[d]
                    g_dt = 0.0
                    for n in range(n_state):
                        # h_t = g_y C_t + exp(Δ_{t+1} A) h_{t+1}
                        hn = g * C[b, t, n] + decay_next[n] * h[n]
                        dC_part[b, grp, t, n] += g * states[k + 1, n]
                        decay = decays[k, n]
                        g_decay = hn * states[k, n] * decay  # ∂/∂(Δ A) of exp(ΔA) x_{t-1}
                        g_dt += g_decay * a_row[n] + hn * ut * B[b, t, n]
                        dA_part[b, d, n] += g_decay * dt
                        g_u += hn * dt * B[b, t, n]
                        dB_part[b, grp, t, n] += hn * dt * ut
                        h[n] = hn
                        decay_next[n] = decay
                    if softplus:
                        g_dt *= _sigmoid(raw)
                    du[b, d, t] = g_u
                    d_delta[b, d, t] = g_dt
                    d_bias_part[b, d] += g_dt
    return du, d_delta, dA_part, dB_part, dC_part, dD_part, dz, d_bias_part
