"""Autograd wrapper around the fused numba CPU kernels of the selective scan.

The kernels live in :mod:`panspectra_core.ssm.scan_numba_kernels` and compute only the
recurrence ``y_t = Σ_n x_t C_t``; this module applies bias and softplus to Δ and the ``D`` skip
and ``silu(z)`` gate with PyTorch ops (vectorised, differentiated by autograd), converts tensors
to contiguous numpy arrays in the compute dtype (float32, or float64 for float64 inputs), calls
the forward / adjoint kernels and reduces the per-thread partial gradients. Semantics are those of
:func:`panspectra_core.ssm.scan_ref.selective_scan_ref` (Mamba, Gu & Dao 2023).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..numba_threads import with_torch_threads
from .scan_numba_kernels import scan_backward_kernel as _scan_backward_kernel
from .scan_numba_kernels import scan_forward_kernel as _scan_forward_kernel
from .scan_ref import check_scan_shapes, compute_dtype, finish_output, prepare_delta

# numba parallel kernels, run on torch's thread count (see panspectra_core.numba_threads)
scan_forward_kernel = with_torch_threads(_scan_forward_kernel)
scan_backward_kernel = with_torch_threads(_scan_backward_kernel)

CHECKPOINT_CHUNK = 64  # time steps between stored states; the backward recomputes inside a chunk


def _np(t: Tensor) -> np.ndarray:
    return t.detach().contiguous().numpy()


def _kernel_arrays(u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor) -> list[np.ndarray]:
    """Contiguous numpy arrays in the kernels' layout (B, C time-major: (batch, L, N))."""
    return [_np(u), _np(delta), _np(A), _np(B.transpose(1, 2)), _np(C.transpose(1, 2))]


def _group_count(dim: int) -> int:
    """Independent dims groups per batch in the backward (fixed, so results are reproducible)."""
    return max(1, min(dim, 16))


class _FusedScanCore(torch.autograd.Function):
    """y = Σ_n x_t C_t and the last state, for u, Δ (batch, dim, L), A (dim, N), B, C
    (batch, N, L), all already in the compute dtype; Δ is final (bias and softplus applied)."""

    @staticmethod
    def forward(ctx, u, delta, A, B, C):
        out, last, ckpt = scan_forward_kernel(*_kernel_arrays(u, delta, A, B, C), CHECKPOINT_CHUNK)
        # saved tensors give autograd's in-place-modification checks; arrays are rebuilt later
        ctx.save_for_backward(u, delta, A, B, C)
        ctx.ckpt = ckpt
        return torch.from_numpy(out), torch.from_numpy(last)

    @staticmethod
    def backward(ctx, g_out, g_last):
        u, delta, A, B, C = ctx.saved_tensors
        batch, dim, _ = u.shape
        g_last = g_last if g_last is not None else u.new_zeros(batch, dim, A.shape[1])
        du, d_delta, dA_p, dB_p, dC_p = scan_backward_kernel(
            *_kernel_arrays(u, delta, A, B, C),
            CHECKPOINT_CHUNK,
            ctx.ckpt,
            _np(g_out.to(u.dtype)),
            _np(g_last.to(u.dtype)),
            _group_count(dim),
        )
        t = torch.from_numpy
        return (
            t(du),
            t(d_delta),
            t(dA_p.sum(axis=0)),
            t(dB_p.sum(axis=1)).transpose(1, 2),
            t(dC_p.sum(axis=1)).transpose(1, 2),
        )


def selective_scan_fused_cpu(
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
) -> Tensor | tuple[Tensor, Tensor]:
    """Selective scan with the fused numba kernel (CPU tensors only); same API as the reference.

    Shapes: u, delta, z (batch, dim, L); A (dim, N); B, C (batch, N, L); D, delta_bias (dim,).
    Returns y (batch, dim, L) in ``u``'s dtype (and the last state (batch, dim, N), which is
    differentiable too, if ``return_last_state``).
    """
    check_scan_shapes(u, delta, A, B, C)
    tensors = [t for t in (u, delta, A, B, C, D, z, delta_bias) if t is not None]
    if any(t.device.type != "cpu" for t in tensors):
        raise ValueError("the fused numba selective scan runs on CPU tensors only")
    cdtype = compute_dtype(u)
    u_c = u.to(cdtype)
    y, last = _FusedScanCore.apply(
        u_c,
        prepare_delta(delta, delta_bias, delta_softplus).to(cdtype),
        A.to(cdtype),
        B.to(cdtype),
        C.to(cdtype),
    )
    out = finish_output(y, u_c, D, z, u.dtype)
    return (out, last) if return_last_state else out
