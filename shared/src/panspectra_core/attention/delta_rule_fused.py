"""Autograd wrapper around the fused numba delta-rule kernels (CPU tensors).

Converts (batch, heads, L, d) tensors to contiguous (rows, L, d) numpy arrays in the compute
dtype (float32, or float64 for float64 inputs), calls :mod:`.delta_rule_kernels` and reshapes
back. Semantics are those of :func:`.delta_rule.delta_rule_recurrent`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .delta_rule_kernels import delta_backward_kernel, delta_forward_kernel

CHECKPOINT_CHUNK = 64  # tokens between stored states; the backward recomputes inside a chunk


def _compute_dtype(t: Tensor) -> torch.dtype:
    return torch.float64 if t.dtype == torch.float64 else torch.float32


def _rows(t: Tensor, dtype: torch.dtype) -> np.ndarray:
    """(batch, heads, ...) -> contiguous numpy (batch · heads, ...)."""
    return t.detach().to(dtype).reshape(-1, *t.shape[2:]).contiguous().numpy()


class _FusedDeltaRule(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, beta, initial_state):
        cdtype = _compute_dtype(q)
        batch, heads = q.shape[:2]
        arrays = [_rows(t, cdtype) for t in (q, k, v, beta, initial_state)]
        out, last, ckpt = delta_forward_kernel(*arrays, CHECKPOINT_CHUNK)
        ctx.save_for_backward(q, k, v, beta)
        ctx.ckpt = ckpt
        ctx.cdtype = cdtype
        ctx.dtypes = (q.dtype, k.dtype, v.dtype, beta.dtype, initial_state.dtype)
        out = torch.from_numpy(out).reshape(batch, heads, *out.shape[1:]).to(q.dtype)
        last = torch.from_numpy(last).reshape(batch, heads, *last.shape[1:])
        return out, last

    @staticmethod
    def backward(ctx, g_out, g_last):
        q, k, v, beta = ctx.saved_tensors
        batch, heads, _, dk = q.shape
        dv = v.shape[-1]
        cdtype = ctx.cdtype
        if g_out is None:
            g_out = torch.zeros(*v.shape, dtype=cdtype)
        if g_last is None:
            g_last = torch.zeros(batch, heads, dk, dv, dtype=cdtype)
        arrays = [_rows(t, cdtype) for t in (q, k, v, beta)]
        grads = delta_backward_kernel(
            *arrays, ctx.ckpt, CHECKPOINT_CHUNK, _rows(g_out, cdtype), _rows(g_last, cdtype)
        )
        return tuple(
            torch.from_numpy(g).reshape(batch, heads, *g.shape[1:]).to(dtype)
            for g, dtype in zip(grads, ctx.dtypes, strict=True)
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
    tensors = [t for t in (q, k, v, beta, initial_state) if t is not None]
    if any(t.device.type != "cpu" for t in tensors):
        raise ValueError("the fused numba delta rule runs on CPU tensors only")
    if initial_state is None:
        initial_state = q.new_zeros(*q.shape[:2], q.shape[-1], v.shape[-1])
    return _FusedDeltaRule.apply(q, k, v, beta, initial_state)
