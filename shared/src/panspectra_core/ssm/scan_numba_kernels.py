"""Fused CPU kernels (numba) for the selective scan: forward and reverse-time adjoint.

Both kernels run ``prange`` over the flattened ``batch × dim`` rows; each row keeps its ``N``
state values in a small local array and walks over time, so nothing of size
``(batch, dim, L, N)`` is ever materialised (Mamba, Gu & Dao 2023, arXiv:2312.00752, §3.3.2:
"kernel fusion and recomputation", done here on the CPU).

The loops over the state index ``n`` are written so that LLVM vectorises them: ``exp`` is
:func:`~panspectra_core.numba_math.exp_vectorisable` and the sums over ``n`` may be reassociated
(``fastmath={"reassoc", "contract"}``; no flag that changes NaN or infinity handling). The
per-step scalar work around the recurrence (bias and softplus of Δ, the ``D`` skip and the
``silu(z)`` gate) is left to PyTorch's vectorised ops in
:mod:`panspectra_core.ssm.scan_fused_cpu`.

Layouts (all C-contiguous, one float dtype — float32 or float64):

- ``u``, ``delta``: (batch, dim, L); ``delta`` is the final Δ (after bias and softplus).
- ``A``: (dim, N); ``B``, ``C``: (batch, L, N) (time-major so the inner ``N`` loop is contiguous).

The forward pass stores the state at the start of every ``chunk`` steps: (batch, dim, n_chunks, N).
The backward pass recomputes the states of one chunk from that checkpoint, then runs the adjoint
recurrence ``h_t = g_y_t C_t + exp(Δ_{t+1} A) ⊙ h_{t+1}`` backwards through the chunk.
"""

from __future__ import annotations

import numba
import numpy as np

from ..numba_math import exp_vectorisable

_FASTMATH = {"reassoc", "contract"}


@numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
def scan_forward_kernel(u, delta, A, B, C, chunk):
    """Returns y = Σ_n x_t C_t (batch, dim, L), the last state (batch, dim, N) and the
    checkpoints (batch, dim, n_chunks, N)."""
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
            dt = delta[b, d, t]
            dtu = dt * u[b, d, t]
            b_t = B[b, t]
            c_t = C[b, t]
            y = u.dtype.type(0.0)
            for n in range(n_state):
                xn = exp_vectorisable(dt * a_row[n]) * x[n] + dtu * b_t[n]
                x[n] = xn
                y += xn * c_t[n]
            out[b, d, t] = y
        last[b, d, :] = x
    return out, last, ckpt


@numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
def scan_backward_kernel(u, delta, A, B, C, chunk, ckpt, g_out, g_last, n_groups):
    """Gradients of y = Σ_n x_t C_t (and of the last state) by the reverse-time adjoint.

    Rows (b, d) are split into ``n_groups`` contiguous groups of dims per batch; each group
    accumulates its own partial ``dB``/``dC`` (batch, n_groups, L, N) so no two threads write the
    same memory. Returns du, dΔ (batch, dim, L), dA partials (batch, dim, N) and dB/dC partials.
    """
    batch, dim, length = u.shape
    n_state = A.shape[1]
    du = np.empty_like(u)
    d_delta = np.empty_like(u)
    dA_part = np.zeros((batch, dim, n_state), dtype=u.dtype)
    dB_part = np.zeros((batch, n_groups, length, n_state), dtype=u.dtype)
    dC_part = np.zeros((batch, n_groups, length, n_state), dtype=u.dtype)
    dims_per_group = (dim + n_groups - 1) // n_groups
    n_chunks = (length + chunk - 1) // chunk
    for task in numba.prange(batch * n_groups):
        b = task // n_groups
        grp = task % n_groups
        states = np.empty((chunk + 1, n_state), dtype=u.dtype)
        decays = np.empty((chunk + 1, n_state), dtype=u.dtype)  # exp(Δ_t A) of the chunk
        h = np.empty(n_state, dtype=u.dtype)
        dA_acc = np.empty(n_state, dtype=u.dtype)
        d_lo = grp * dims_per_group
        d_hi = min(dim, d_lo + dims_per_group)
        for d in range(d_lo, d_hi):
            a_row = A[d]
            h[:] = g_last[b, d, :]
            dA_acc[:] = 0.0
            decays[chunk, :] = 1.0  # h_L gets no decay term from a step L+1
            for c in range(n_chunks - 1, -1, -1):
                t0 = c * chunk
                t1 = min(length, t0 + chunk)
                # states[k] = state before step t0 + k; decays[k] = exp(Δ_{t0+k} A)
                states[0, :] = ckpt[b, d, c, :]
                for t in range(t0, t1):
                    k = t - t0
                    dt = delta[b, d, t]
                    dtu = dt * u[b, d, t]
                    b_t = B[b, t]
                    for n in range(n_state):
                        decay = exp_vectorisable(dt * a_row[n])
                        decays[k, n] = decay
                        states[k + 1, n] = decay * states[k, n] + dtu * b_t[n]
                for t in range(t1 - 1, t0 - 1, -1):
                    k = t - t0
                    dt = delta[b, d, t]
                    ut = u[b, d, t]
                    g = g_out[b, d, t]
                    b_t = B[b, t]
                    c_t = C[b, t]
                    db_t = dB_part[b, grp, t]
                    dc_t = dC_part[b, grp, t]
                    # decay of step t+1: the next chunk's first step when k is the last index
                    next_decays = decays[k + 1] if k + 1 < t1 - t0 else decays[chunk]
                    # h_t = g_y C_t + exp(Δ_{t+1} A) h_{t+1}; short loops, each vectorised
                    for n in range(n_state):
                        h[n] = g * c_t[n] + next_decays[n] * h[n]
                    for n in range(n_state):
                        dc_t[n] += g * states[k + 1, n]
                    g_u = u.dtype.type(0.0)
                    for n in range(n_state):
                        g_u += h[n] * b_t[n]
                    hdu = dt * ut
                    for n in range(n_state):
                        db_t[n] += h[n] * hdu
                    # ∂/∂(ΔA) of exp(ΔA) x_{t-1}
                    g_decay_a = u.dtype.type(0.0)
                    for n in range(n_state):
                        g_decay = h[n] * states[k, n] * decays[k, n]
                        dA_acc[n] += g_decay * dt
                        g_decay_a += g_decay * a_row[n]
                    g_dt = g_decay_a + ut * g_u
                    du[b, d, t] = g_u * dt
                    d_delta[b, d, t] = g_dt
                # the first step of this chunk is the "next" step of the previous chunk's last
                decays[chunk, :] = decays[0, :]
            dA_part[b, d, :] = dA_acc
    return du, d_delta, dA_part, dB_part, dC_part
