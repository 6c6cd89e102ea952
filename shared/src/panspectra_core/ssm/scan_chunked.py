"""Portable pure-PyTorch selective scan, chunked over time (runs on CPU and CUDA).

The sequence is cut into chunks of ``chunk_size`` steps. Inside a chunk the linear recurrence
``x_t = a_t ⊙ x_{t-1} + b_t`` (``a = exp(Δ A)``, ``b = Δ u B``) is solved by a log-depth
Hillis–Steele inclusive scan of the affine maps ``(a, b)``; only products of decays appear, so it
is as stable as the sequential loop (Blelloch 1990, "Prefix sums and their applications"; the
parallel-scan view of S6 in Mamba, Gu & Dao 2023, §3.3). The state is carried from chunk to chunk.

Each chunk runs under activation checkpointing, so autograd stores only the chunk inputs and the
(batch, dim, N) carry, never a (batch, dim, L, N) tensor: memory is O(batch·dim·chunk·N) plus the
inputs, in the forward and the backward.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from .scan_ref import check_scan_shapes, compute_dtype, finish_output, prepare_delta

DEFAULT_CHUNK_SIZE = 128


def inclusive_affine_scan(a: Tensor, b: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """Compose affine maps ``x ↦ a_t x + b_t`` cumulatively along ``dim`` (Hillis–Steele).

    Returns ``(A_t, S_t)`` with ``x_t = A_t ⊙ x_{-1} + S_t``: ``A_t = Π_{s≤t} a_s`` and
    ``S_t = Σ_{s≤t} (Π_{s<r≤t} a_r) b_s``. ``a`` and ``b`` have the same shape.
    """
    length = a.shape[dim]
    step = 1
    while step < length:
        a_prev = a.narrow(dim, 0, length - step)
        b_prev = b.narrow(dim, 0, length - step)
        a_cur = a.narrow(dim, step, length - step)
        b_cur = b.narrow(dim, step, length - step)
        b = torch.cat([b.narrow(dim, 0, step), torch.addcmul(b_cur, a_cur, b_prev)], dim=dim)
        a = torch.cat([a.narrow(dim, 0, step), a_cur * a_prev], dim=dim)
        step *= 2
    return a, b


def _scan_one_chunk(
    u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, x0: Tensor
) -> tuple[Tensor, Tensor]:
    """One chunk: u, delta (batch, dim, T); A (dim, N); B, C (batch, N, T); x0 (batch, dim, N).

    Returns y (batch, dim, T) without skip / gate, and the last state (batch, dim, N).
    """
    decay = torch.exp(delta.unsqueeze(-1) * A[:, None, :])  # (batch, dim, T, N)
    drive = (delta * u).unsqueeze(-1) * B.transpose(1, 2).unsqueeze(1)  # (batch, dim, T, N)
    decay_cum, states = inclusive_affine_scan(decay, drive, dim=2)
    states = torch.addcmul(states, decay_cum, x0.unsqueeze(2))
    y = torch.einsum("bdtn,bnt->bdt", states, C)
    return y, states[:, :, -1].clone()  # clone: a view would pin the whole chunk of states


def selective_scan_chunked(
    u: Tensor,
    delta: Tensor,
    A: Tensor,
    B: Tensor,
    C: Tensor,
    D: Tensor | None = None,
    z: Tensor | None = None,
    delta_bias: Tensor | None = None,
    delta_softplus: bool = False,
    return_last_state: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    initial_state: Tensor | None = None,
) -> Tensor | tuple[Tensor, Tensor]:
    """Selective scan in chunks of ``chunk_size`` steps; same API as the reference.

    Shapes: u, delta, z (batch, dim, L); A (dim, N); B, C (batch, N, L); D, delta_bias (dim,).
    ``initial_state`` (batch, dim, N): x_0 instead of zeros (streaming; its contribution
    ``exp(A ⊙ Σ_{s≤t} Δ_s) ⊙ x_0`` is added to every state, and it receives gradients).
    Returns y (batch, dim, L) in ``u``'s dtype (and the last state (batch, dim, N) in the compute
    dtype if ``return_last_state``).
    """
    check_scan_shapes(u, delta, A, B, C)
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    dtype_in, cdtype = u.dtype, compute_dtype(u)
    u_c = u.to(cdtype)
    delta_c = prepare_delta(delta, delta_bias, delta_softplus).to(cdtype)
    A_c, B_c, C_c = A.to(cdtype), B.to(cdtype), C.to(cdtype)
    batch, dim, length = u.shape
    x = u_c.new_zeros(batch, dim, A.shape[1]) if initial_state is None else initial_state.to(cdtype)
    needs_grad = torch.is_grad_enabled() and any(
        t is not None and t.requires_grad for t in (u, delta, A, B, C, delta_bias, initial_state)
    )
    ys = []
    for start in range(0, length, chunk_size):
        sl = slice(start, min(length, start + chunk_size))
        args = (u_c[..., sl], delta_c[..., sl], A_c, B_c[..., sl], C_c[..., sl], x)
        if needs_grad:
            y, x = checkpoint(_scan_one_chunk, *args, use_reentrant=False)
        else:
            y, x = _scan_one_chunk(*args)
        ys.append(y)
    y = torch.cat(ys, dim=2) if ys else u_c.new_zeros(batch, dim, 0)
    out = finish_output(y, u_c, D, z, dtype_in)
    return (out, x) if return_last_state else out
