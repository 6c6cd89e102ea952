"""Readable reference of the selective scan (S6) of Mamba (Gu & Dao 2023, arXiv:2312.00752).

This is the loop of ``mamba_ssm.ops.selective_scan_interface.selective_scan_ref``: precompute
``exp(Δ ⊙ A)`` and ``Δ ⊙ u ⊗ B`` for the whole sequence, then step over time. It holds a
``(batch, dim, L, N)`` tensor and one Python iteration per time step, so it is slow and memory
hungry, but it is the ground truth every fast path is tested against.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def check_scan_shapes(u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor) -> None:
    """Raise ``ValueError`` unless the shapes follow the pinned selective-scan convention.

    u, delta: (batch, dim, L); A: (dim, N); B, C: (batch, N, L).
    """
    if u.dim() != 3 or delta.shape != u.shape:
        raise ValueError(f"u and delta must both be (batch, dim, L); got {u.shape}, {delta.shape}")
    batch, dim, length = u.shape
    if A.dim() != 2 or A.shape[0] != dim:
        raise ValueError(f"A must be (dim={dim}, N); got {tuple(A.shape)}")
    if A.is_complex():
        raise ValueError("complex A is not supported; A must be real (dim, N)")
    n_state = A.shape[1]
    for name, t in (("B", B), ("C", C)):
        if t.shape != (batch, n_state, length):
            raise ValueError(
                f"{name} must be (batch={batch}, N={n_state}, L={length}); got {tuple(t.shape)}"
            )


def prepare_delta(delta: Tensor, delta_bias: Tensor | None, delta_softplus: bool) -> Tensor:
    """Δ = softplus(delta + delta_bias) (bias and softplus optional), as float32/float64.

    delta: (batch, dim, L); delta_bias: (dim,). Returns (batch, dim, L).
    """
    delta = delta.float() if delta.dtype != torch.float64 else delta
    if delta_bias is not None:
        delta = delta + delta_bias[..., None].to(delta.dtype)
    if delta_softplus:
        delta = F.softplus(delta)
    return delta


def finish_output(
    y: Tensor, u: Tensor, D: Tensor | None, z: Tensor | None, out_dtype: torch.dtype
) -> Tensor:
    """Apply the skip and the gate: ``(y + D ⊙ u) ⊙ silu(z)``, cast to ``out_dtype``.

    y, u, z: (batch, dim, L); D: (dim,).
    """
    if D is not None:
        y = y + u * D[..., None].to(y.dtype)
    if z is not None:
        y = y * F.silu(z.to(y.dtype))
    return y.to(out_dtype)


def compute_dtype(u: Tensor) -> torch.dtype:
    """float64 stays float64; every other dtype is computed in float32."""
    return torch.float64 if u.dtype == torch.float64 else torch.float32


def selective_scan_ref(
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
    """Selective scan by an explicit loop over time (reference, differentiable by autograd).

    Args:
        u: (batch, dim, L) input.
        delta: (batch, dim, L) step sizes before ``delta_bias`` / softplus.
        A: (dim, N) real state matrix (diagonal per channel).
        B, C: (batch, N, L) input-dependent input and output projections.
        D: optional (dim,) skip connection.
        z: optional (batch, dim, L) gate; the output is multiplied by ``silu(z)``.
        delta_bias: optional (dim,) added to ``delta``.
        delta_softplus: apply softplus to ``delta`` (after the bias).
        return_last_state: also return the final state (batch, dim, N).

    Returns:
        y: (batch, dim, L) in ``u``'s dtype, and the last state (batch, dim, N) in the compute
        dtype if ``return_last_state``.
    """
    check_scan_shapes(u, delta, A, B, C)
    dtype_in, cdtype = u.dtype, compute_dtype(u)
    u_c = u.to(cdtype)
    delta_c = prepare_delta(delta, delta_bias, delta_softplus).to(cdtype)
    A_c, B_c, C_c = A.to(cdtype), B.to(cdtype), C.to(cdtype)
    batch, dim, length = u.shape
    x = u_c.new_zeros(batch, dim, A.shape[1])
    delta_A = torch.exp(torch.einsum("bdl,dn->bdln", delta_c, A_c))
    delta_B_u = torch.einsum("bdl,bnl,bdl->bdln", delta_c, B_c, u_c)
    ys = []
    for t in range(length):
        x = delta_A[:, :, t] * x + delta_B_u[:, :, t]
        ys.append(torch.einsum("bdn,bn->bd", x, C_c[:, :, t]))
    y = torch.stack(ys, dim=2) if ys else u_c.new_zeros(batch, dim, 0)
    out = finish_output(y, u_c, D, z, dtype_in)
    return (out, x) if return_last_state else out
