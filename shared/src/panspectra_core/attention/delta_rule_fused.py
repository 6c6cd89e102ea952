"""Autograd wrapper around the fused numba delta-rule kernels (CPU tensors).

Converts (batch, heads, L, d) tensors to contiguous (rows, L, d) numpy arrays in the compute
dtype (:mod:`.fused_io`), calls :mod:`.delta_rule_kernels` and reshapes back. Semantics are those
of :func:`.delta_rule.delta_rule_recurrent`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..numba_threads import with_torch_threads
from .delta_rule_kernels import delta_backward_kernel as _delta_backward_kernel
from .delta_rule_kernels import delta_forward_kernel as _delta_forward_kernel
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
delta_forward_kernel = with_torch_threads(_delta_forward_kernel)
delta_backward_kernel = with_torch_threads(_delta_backward_kernel)

CHECKPOINT_CHUNK = 64  # tokens between stored states; the backward recomputes inside a chunk


class _FusedDeltaRule(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, beta, initial_state):
        cdtype = compute_dtype(q)
        batch, heads = q.shape[:2]
        arrays = [to_rows(t, cdtype) for t in (q, k, v, beta, initial_state)]
        out, last, ckpt = delta_forward_kernel(*arrays, CHECKPOINT_CHUNK)
        ctx.save_for_backward(q, k, v, beta)
        ctx.ckpt = ckpt
        ctx.cdtype = cdtype
        ctx.dtypes = (q.dtype, k.dtype, v.dtype, beta.dtype, initial_state.dtype)
        return from_rows(out, batch, heads, q.dtype), from_rows(last, batch, heads)

    @staticmethod
    def backward(ctx, g_out, g_last):
        q, k, v, beta = ctx.saved_tensors
        batch, heads = q.shape[:2]
        cdtype = ctx.cdtype
        grad_rows = output_grads_as_rows(g_out, g_last, q, v, cdtype)
        arrays = [to_rows(t, cdtype) for t in (q, k, v, beta)]
        grads = delta_backward_kernel(*arrays, ctx.ckpt, CHECKPOINT_CHUNK, *grad_rows)
        return tuple(
            from_rows(g, batch, heads, dtype) for g, dtype in zip(grads, ctx.dtypes, strict=True)
        )


def delta_rule_fused_cpu(
    q: Tensor, k: Tensor, v: Tensor, beta: Tensor, initial_state: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Delta rule with the fused numba kernels; differentiable in every argument.

    Args:
        q, k: (batch, heads, L, dk); v: (batch, heads, L, dv); beta: (batch, heads, L), all on CPU.
        initial_state: (batch, heads, dk, dv) or None for zeros.

    Returns:
        o (batch, heads, L, dv) in q's dtype and the final state (batch, heads, dk, dv) in the
        compute dtype (float32, or float64 for float64 inputs).
    """
    check_cpu("delta rule", q, k, v, beta, initial_state)
    initial_state = initial_state_or_zeros(q, v, initial_state)
    if q.shape[2] == 0:
        return empty_sequence_result(q, v, initial_state)
    return _FusedDeltaRule.apply(q, k, v, beta, initial_state)
