"""Fused CPU kernels (numba) for the delta rule: the token recurrence and its reverse-time adjoint.

The chunked form (:mod:`.delta_rule`) does at least as many FLOPs as the recurrence — every
token still meets the full ``dk × dv`` state three times — so on a CPU its only advantage is
BLAS efficiency. Run as one compiled loop per (batch, head) row with the state held in L1 cache,
the recurrence itself is the fastest form here: two streaming passes over the ``dk × dv`` state
per token, no Python per token, no (L × dk × dv) intermediates.

Forward, per row (Schlag et al. 2021; the pinned math of :func:`.delta_rule.delta_rule`)::

    e_t = v_t − S_{t−1}ᵀ k_t,   S_t = S_{t−1} + β_t k_t e_tᵀ,   o_t = S_tᵀ q_t

Adjoint, with G = ∂ℓ/∂S_t accumulated backwards (G starts at the gradient of the final state)::

    G  += q_t ∂o_tᵀ                     ∂q_t = S_t ∂o_t
    ∂v_t = β_t Gᵀ k_t                   ∂β_t = (Gᵀ k_t) · e_t
    ∂k_t = β_t G e_t − S_{t−1} ∂v_t     G ← G − k_t ∂v_tᵀ   (= ∂ℓ/∂S_{t−1})

The forward pass stores the state at the start of every ``chunk`` tokens; the backward pass
recomputes the states of one chunk from that checkpoint and walks it in reverse. Timings against
the recurrence and the chunked form: ``tools/bench/bench_linear_attention.py``.

Layouts (C-contiguous, one float dtype): q, k (rows, L, dk); v (rows, L, dv); beta (rows, L);
states (rows, dk, dv); checkpoints (rows, n_chunks, dk, dv), with rows = batch · heads.
"""

from __future__ import annotations

import numba
import numpy as np

# Reassociation lets the row reductions (dot products) vectorize; results stay deterministic: each
# row is one thread's fixed loop order.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
def delta_forward_kernel(q, k, v, beta, initial_state, chunk):
    """Returns out (rows, L, dv), final state (rows, dk, dv), checkpoints (rows, n_chunks, dk, dv).

    The state is held transposed, ``Sᵀ`` (dv × dk), so every row of it is one contiguous dot
    product, and one sweep over it per token does three things: apply token t's update, form
    o_t, and form the prediction ``S_tᵀ k_{t+1}`` for the next token.
    """
    rows, length, dk = q.shape
    dv = v.shape[2]
    n_chunks = max((length + chunk - 1) // chunk, 1)
    out = np.empty((rows, length, dv), dtype=q.dtype)
    last = np.empty((rows, dk, dv), dtype=q.dtype)
    ckpt = np.empty((rows, n_chunks, dk, dv), dtype=q.dtype)
    for r in numba.prange(rows):
        state_t = initial_state[r].T.copy()  # Sᵀ: (dv, dk)
        err = np.empty(dv, dtype=q.dtype)  # β_t e_t for the token about to be applied
        if length > 0:
            for j in range(dv):
                acc = 0.0
                for i in range(dk):
                    acc += state_t[j, i] * k[r, 0, i]
                err[j] = beta[r, 0] * (v[r, 0, j] - acc)
        for t in range(length):
            if t % chunk == 0:
                ckpt[r, t // chunk] = state_t.T
            nxt = min(t + 1, length - 1)  # the last token's "next" prediction is unused
            b_next = beta[r, nxt]
            for j in range(dv):
                e = err[j]
                acc_out = 0.0
                acc_next = 0.0
                for i in range(dk):
                    s = state_t[j, i] + k[r, t, i] * e
                    state_t[j, i] = s
                    acc_out += q[r, t, i] * s
                    acc_next += k[r, nxt, i] * s
                out[r, t, j] = acc_out
                err[j] = b_next * (v[r, nxt, j] - acc_next)
        if length == 0:
            ckpt[r, 0] = state_t.T
        last[r] = state_t.T
    return out, last, ckpt


@numba.njit(parallel=True, fastmath=_FASTMATH, cache=True)
def delta_backward_kernel(q, k, v, beta, ckpt, chunk, g_out, g_last):
    """Returns dq, dk, dv, dbeta (shaped like the inputs) and the initial state's gradient."""
    rows, length, dk = q.shape
    dv = v.shape[2]
    n_chunks = ckpt.shape[1]
    dq = np.empty_like(q)
    dkey = np.empty_like(k)
    dval = np.empty_like(v)
    dbeta = np.empty_like(beta)
    d_initial = np.empty((rows, dk, dv), dtype=q.dtype)
    for r in numba.prange(rows):
        grad = g_last[r].copy()  # G = ∂ℓ/∂S_t
        states = np.empty((chunk + 1, dk, dv), dtype=q.dtype)
        errs = np.empty((chunk, dv), dtype=q.dtype)  # e_t (unscaled by β)
        k_grad = np.empty(dv, dtype=q.dtype)  # Gᵀ k_t
        g_err = np.empty(dk, dtype=q.dtype)  # G e_t
        for c in range(n_chunks - 1, -1, -1):
            t0 = c * chunk
            n = min(length, t0 + chunk) - t0
            states[0] = ckpt[r, c]
            for s in range(n):  # recompute S_{t0} … S_{t0+n} and e_t
                t = t0 + s
                for j in range(dv):
                    errs[s, j] = v[r, t, j]
                for i in range(dk):
                    ki = k[r, t, i]
                    for j in range(dv):
                        errs[s, j] -= ki * states[s, i, j]
                bt = beta[r, t]
                for i in range(dk):
                    ki = bt * k[r, t, i]
                    for j in range(dv):
                        states[s + 1, i, j] = states[s, i, j] + ki * errs[s, j]
            for s in range(n - 1, -1, -1):
                t = t0 + s
                bt = beta[r, t]
                for j in range(dv):
                    k_grad[j] = 0.0
                for i in range(dk):
                    qi = q[r, t, i]
                    ki = k[r, t, i]
                    acc_dq = 0.0
                    acc_ge = 0.0
                    for j in range(dv):
                        do_j = g_out[r, t, j]
                        g = grad[i, j] + qi * do_j
                        grad[i, j] = g
                        k_grad[j] += ki * g
                        acc_ge += g * errs[s, j]
                        acc_dq += states[s + 1, i, j] * do_j
                    dq[r, t, i] = acc_dq
                    g_err[i] = acc_ge
                acc_db = 0.0
                for j in range(dv):
                    acc_db += k_grad[j] * errs[s, j]
                    k_grad[j] *= bt  # now ∂v_t
                    dval[r, t, j] = k_grad[j]
                dbeta[r, t] = acc_db
                for i in range(dk):
                    ki = k[r, t, i]
                    acc = 0.0
                    for j in range(dv):
                        acc += states[s, i, j] * k_grad[j]
                        grad[i, j] -= ki * k_grad[j]
                    dkey[r, t, i] = bt * g_err[i] - acc
        d_initial[r] = grad
    return dq, dkey, dval, dbeta, d_initial
