"""Autograd wrapper around the fused numba CPU kernels of the selective scan.

The kernels live in :mod:`panspectra_core.ssm.scan_numba_kernels`; this module converts tensors
to contiguous numpy arrays in the compute dtype (float32, or float64 for float64 inputs), calls the
forward / adjoint kernels and reduces the per-thread partial gradients. Semantics are those of
:func:`panspectra_core.ssm.scan_ref.selective_scan_ref` (Mamba, Gu & Dao 2023).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..numba_threads import with_torch_threads
from .scan_numba_kernels import scan_backward_kernel as _scan_backward_kernel
from .scan_numba_kernels import scan_forward_kernel as _scan_forward_kernel
from .scan_ref import check_scan_shapes, compute_dtype

# numba parallel kernels, run on torch's thread count (see panspectra_core.numba_threads)
scan_forward_kernel = with_torch_threads(_scan_forward_kernel)
scan_backward_kernel = with_torch_threads(_scan_backward_kernel)

_NUMPY_DTYPE = {torch.float32: np.float32, torch.float64: np.float64}
CHECKPOINT_CHUNK = 64  # time steps between stored states; the backward recomputes inside a chunk


def _np(t: Tensor, dtype: torch.dtype) -> np.ndarray:
    return t.detach().to(dtype).contiguous().numpy()


def _group_count(dim: int) -> int:
    """Independent dims groups per batch in the backward (fixed, so results are reproducible)."""
    return max(1, min(dim, 16))


def _kernel_arrays(u, delta, A, B, C, D, z, delta_bias, cdtype) -> tuple[np.ndarray, ...]:
    """Contiguous numpy views/copies in the kernels' layout (B, C time-major: (batch, L, N))."""
    zeros_dim = torch.zeros(u.shape[1], dtype=cdtype)
    return (
        _np(u, cdtype),
        _np(delta, cdtype),
        _np(A, cdtype),
        _np(B.transpose(1, 2), cdtype),
        _np(C.transpose(1, 2), cdtype),
        _np(D if D is not None else zeros_dim, cdtype),
        _np(z, cdtype) if z is not None else np.zeros((1, 1, 1), dtype=_NUMPY_DTYPE[cdtype]),
        _np(delta_bias if delta_bias is not None else zeros_dim, cdtype),
    )


class _FusedSelectiveScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u, delta, A, B, C, D, z, delta_bias, delta_softplus):
        cdtype = compute_dtype(u)
        arrays = _kernel_arrays(u, delta, A, B, C, D, z, delta_bias, cdtype)
        out, last, ckpt = scan_forward_kernel(
            *arrays, z is not None, bool(delta_softplus), CHECKPOINT_CHUNK
        )
        # saved tensors give autograd's in-place-modification checks; arrays are rebuilt later
        ctx.save_for_backward(u, delta, A, B, C, D, z, delta_bias)
        ctx.cdtype = cdtype
        ctx.ckpt = ckpt
        ctx.flags = (z is not None, bool(delta_softplus))
        ctx.present = (D is not None, z is not None, delta_bias is not None)
        ctx.dtypes = (u.dtype, delta.dtype, A.dtype, B.dtype, C.dtype)
        ctx.param_dtypes = tuple(t.dtype if t is not None else None for t in (D, z, delta_bias))
        return torch.from_numpy(out).to(u.dtype), torch.from_numpy(last)

    @staticmethod
    def backward(ctx, g_out, g_last):
        cdtype = ctx.cdtype
        arrays = _kernel_arrays(*ctx.saved_tensors, cdtype)
        batch, dim, _ = arrays[0].shape
        n_state = arrays[2].shape[1]
        g_out_np = _np(g_out, cdtype)
        g_last_np = (
            _np(g_last, cdtype)
            if g_last is not None
            else np.zeros((batch, dim, n_state), dtype=_NUMPY_DTYPE[cdtype])
        )
        du, d_delta, dA_p, dB_p, dC_p, dD_p, dz, d_bias_p = scan_backward_kernel(
            *arrays,
            *ctx.flags,
            CHECKPOINT_CHUNK,
            ctx.ckpt,
            g_out_np,
            g_last_np,
            _group_count(dim),
        )
        u_dt, delta_dt, A_dt, B_dt, C_dt = ctx.dtypes
        D_dt, z_dt, bias_dt = ctx.param_dtypes
        has_D, has_z, has_bias = ctx.present
        t = torch.from_numpy
        grads = [
            t(du).to(u_dt),
            t(d_delta).to(delta_dt),
            t(dA_p.sum(axis=0)).to(A_dt),
            t(dB_p.sum(axis=1)).transpose(1, 2).to(B_dt),
            t(dC_p.sum(axis=1)).transpose(1, 2).to(C_dt),
            t(dD_p.sum(axis=0)).to(D_dt) if has_D else None,
            t(dz).to(z_dt) if has_z else None,
            t(d_bias_p.sum(axis=0)).to(bias_dt) if has_bias else None,
            None,
        ]
        return tuple(grads)


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
    out, last = _FusedSelectiveScan.apply(u, delta, A, B, C, D, z, delta_bias, delta_softplus)
    return (out, last) if return_last_state else out
