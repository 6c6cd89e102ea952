"""Fused CPU kernels (numba) for causal linear attention: the recurrence and its adjoint.

Per (batch, head) row the state is held transposed, ``Sᵀ`` (dv × dk), in L1 cache, so one sweep
over it per token applies the update and forms the output (Katharopoulos et al. 2020)::

    S_t = S_{t−1} + k_t v_tᵀ,   o_t = S_tᵀ q_t

Adjoint, with G_t = ∂ℓ/∂S_t = ∂ℓ/∂S_L + Σ_{s≥t} q_s ∂o_sᵀ::

    ∂q_t = S_t ∂o_t,   ∂k_t = G_t v_t,   ∂v_t = G_tᵀ k_t,   ∂S_0 = ∂ℓ/∂S_L + Σ_s q_s ∂o_sᵀ

The backward recomputes S_t in a forward sweep (for ∂q), then accumulates G in a reverse sweep
(for ∂k, ∂v); no per-token state is stored.

Layouts (C-contiguous, one float dtype): q, k (rows, L, dk); v (rows, L, dv); states
(rows, dk, dv), rows = batch · heads.
"""

from __future__ import annotations

import numba
import numpy as np

# Reassociation lets the row dot products vectorize; each row is one thread's fixed loop order,
# so results are deterministic.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
def linear_forward_kernel(q, k, v, initial_state):
    """Returns out (rows, L, dv) and the final state (rows, dk, dv)."""
    rows, length, dk = q.shape
    dv = v.shape[2]
    out = np.empty((rows, length, dv), dtype=q.dtype)
    last = np.empty((rows, dk, dv), dtype=q.dtype)
    for r in numba.prange(rows):
        state_t = initial_state[r].T.copy()  # Sᵀ: (dv, dk)
        for t in range(length):
            for j in range(dv):
                vj = v[r, t, j]
                acc = 0.0
                for i in range(dk):
                    s = state_t[j, i] + vj * k[r, t, i]
                    state_t[j, i] = s
                    acc += q[r, t, i] * s
                out[r, t, j] = acc
        last[r] = state_t.T
    return out, last


@numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
def linear_backward_kernel(q, k, v, initial_state, g_out, g_last):
    """Returns dq, dk, dv (shaped like the inputs) and the initial state's gradient."""
    rows, length, dk = q.shape
    dv = v.shape[2]
    dq = np.empty_like(q)
    dkey = np.empty_like(k)
    dval = np.empty_like(v)
    d_initial = np.empty((rows, dk, dv), dtype=q.dtype)
    for r in numba.prange(rows):
        state_t = initial_state[r].T.copy()  # forward sweep: S_t, ∂q_t = S_t ∂o_t
        acc_q = np.empty(dk, dtype=q.dtype)
        for t in range(length):
            for i in range(dk):
                acc_q[i] = 0.0
            for j in range(dv):
                vj = v[r, t, j]
                gj = g_out[r, t, j]
                for i in range(dk):
                    s = state_t[j, i] + vj * k[r, t, i]
                    state_t[j, i] = s
                    acc_q[i] += gj * s
            dq[r, t] = acc_q
        grad_t = g_last[r].T.copy()  # reverse sweep: Gᵀ (dv, dk)
        acc_k = np.empty(dk, dtype=q.dtype)
        for t in range(length - 1, -1, -1):
            for i in range(dk):
                acc_k[i] = 0.0
            for j in range(dv):
                gj = g_out[r, t, j]
                vj = v[r, t, j]
                acc_v = 0.0
                for i in range(dk):
                    g = grad_t[j, i] + gj * q[r, t, i]
                    grad_t[j, i] = g
                    acc_v += g * k[r, t, i]
                    acc_k[i] += vj * g
                dval[r, t, j] = acc_v
            dkey[r, t] = acc_k
        d_initial[r] = grad_t.T
    return dq, dkey, dval, d_initial
