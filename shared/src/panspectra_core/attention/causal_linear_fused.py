"""Autograd wrapper around the fused numba causal-linear-attention kernels (CPU tensors).

Semantics are those of :func:`.causal_linear.causal_linear_attention_recurrent_with_state`;
the kernels are in :mod:`.causal_linear_kernels`, the tensor plumbing in :mod:`.fused_io`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..numba_threads import with_torch_threads
from .causal_linear_kernels import linear_backward_kernel as _linear_backward_kernel
from .causal_linear_kernels import linear_forward_kernel as _linear_forward_kernel
from .fused_io import (
    check_cpu,
    compute_dtype,
    empty_sequence_result,
    from_rows,
    initial_state_or_zeros,
    output_grads_as_rows,
    to_rows,
)

# numba parallel kernels, run on torch's thread count (see panspectra_core.numba_threads)
linear_forward_kernel = with_torch_threads(_linear_forward_kernel)
linear_backward_kernel = with_torch_threads(_linear_backward_kernel)


class _FusedCausalLinearAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, initial_state):
        cdtype = compute_dtype(q)
        batch, heads = q.shape[:2]
        out, last = linear_forward_kernel(*(to_rows(t, cdtype) for t in (q, k, v, initial_state)))
        ctx.save_for_backward(q, k, v, initial_state)
        ctx.cdtype = cdtype
        return from_rows(out, batch, heads, q.dtype), from_rows(last, batch, heads)

    @staticmethod
    def backward(ctx, g_out, g_last):
        q, k, v, initial_state = ctx.saved_tensors
        batch, heads = q.shape[:2]
        cdtype = ctx.cdtype
        grad_rows = output_grads_as_rows(g_out, g_last, q, v, cdtype)
        arrays = [to_rows(t, cdtype) for t in (q, k, v, initial_state)]
        grads = linear_backward_kernel(*arrays, *grad_rows)
        dtypes = (q.dtype, k.dtype, v.dtype, initial_state.dtype)
        return tuple(from_rows(g, batch, heads, dt) for g, dt in zip(grads, dtypes, strict=True))


def causal_linear_attention_fused_cpu(
    q: Tensor, k: Tensor, v: Tensor, initial_state: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Causal linear attention with the fused numba kernels; differentiable in every argument.

    Args:
        q, k: (batch, heads, L, dk); v: (batch, heads, L, dv), all on CPU.
        initial_state: (batch, heads, dk, dv) or None for zeros.

    Returns:
        o (batch, heads, L, dv) in q's dtype and the final state (batch, heads, dk, dv) in the
        compute dtype (float32, or float64 for float64 inputs).
    """
    check_cpu("causal linear attention", q, k, v, initial_state)
    initial_state = initial_state_or_zeros(q, v, initial_state)
    if q.shape[2] == 0:
        return empty_sequence_result(q, v, initial_state)
    return _FusedCausalLinearAttention.apply(q, k, v, initial_state)
