"""Selective scan (S6) of Mamba (Gu & Dao 2023, arXiv:2312.00752) with backend dispatch.

``selective_scan(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False)``
follows ``mamba_ssm.ops.selective_scan_interface.selective_scan_fn`` exactly::

    Δ = softplus(delta + delta_bias)            (bias and softplus optional)
    x_0 = 0,  x_t = exp(Δ_t ⊙ A) ⊙ x_{t-1} + (Δ_t ⊙ u_t) ⊗ B_t      x_t ∈ R^{dim×N}
    y_t = Σ_N x_t ⊙ C_t,   y += D ⊙ u,   y ⊙= silu(z)

Backends (keyword ``backend``, or the environment variable ``PANSPECTRA_SCAN_BACKEND`` when the
keyword is ``"auto"``):

- ``"fused"``: numba kernel with its own adjoint backward (CPU tensors; needs numba).
- ``"chunked"``: portable pure PyTorch, chunked over time with checkpointing (CPU or CUDA).
- ``"ref"``: the readable loop (:func:`selective_scan_ref`), for tests and debugging.
- ``"auto"`` (default): ``"fused"`` for CPU tensors when numba imports, else ``"chunked"``.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from ..backends import load_optional
from ..backends import resolve_backend as resolve_op_backend
from .scan_chunked import selective_scan_chunked
from .scan_ref import selective_scan_ref

BACKEND_ENV_VAR = "PANSPECTRA_SCAN_BACKEND"


def _load_fused() -> Callable[..., object] | None:
    """The fused CPU scan, or ``None`` when numba cannot be imported."""
    return load_optional("panspectra_core.ssm.scan_fused_cpu", "selective_scan_fused_cpu")


def numba_available() -> bool:
    """Whether the fused numba backend can be used."""
    return _load_fused() is not None


def resolve_backend(backend: str, on_cpu: bool) -> str:
    """Turn ``backend`` (and ``PANSPECTRA_SCAN_BACKEND`` when it is ``"auto"``) into a concrete one.

    Raises ``ValueError`` for unknown names and ``ImportError`` (with the pip command) when
    ``"fused"`` is requested without numba.
    """
    return resolve_op_backend(
        backend,
        op="selective-scan",
        env_var=BACKEND_ENV_VAR,
        on_cpu=on_cpu,
        fused_available=numba_available(),
    )


def selective_scan(
    u: Tensor,
    delta: Tensor,
    A: Tensor,
    B: Tensor,
    C: Tensor,
    D: Tensor | None = None,
    z: Tensor | None = None,
    delta_bias: Tensor | None = None,
    delta_softplus: bool = False,
    *,
    return_last_state: bool = False,
    backend: str = "auto",
) -> Tensor | tuple[Tensor, Tensor]:
    """Selective scan (Mamba S6), differentiable in every tensor argument.

    Args:
        u: (batch, dim, L) input.
        delta: (batch, dim, L) step sizes before bias / softplus.
        A: (dim, N) real, usually negative (``-exp(A_log)``).
        B, C: (batch, N, L) input-dependent projections.
        D: optional (dim,) skip.
        z: optional (batch, dim, L) gate (output multiplied by ``silu(z)``).
        delta_bias: optional (dim,) added to ``delta``.
        delta_softplus: apply softplus to ``delta + delta_bias``.
        return_last_state: also return the final state (batch, dim, N) for streaming.
        backend: ``"auto" | "ref" | "chunked" | "fused"`` (see the module docstring).

    Returns:
        (batch, dim, L) in ``u``'s dtype (computed in float32, or float64 for float64 inputs);
        with ``return_last_state`` a tuple ``(y, last_state)``.
    """
    kind = resolve_backend(backend, on_cpu=u.device.type == "cpu")
    if kind == "fused":
        impl = _load_fused()
    elif kind == "chunked":
        impl = selective_scan_chunked
    else:
        impl = selective_scan_ref
    return impl(
        u,
        delta,
        A,
        B,
        C,
        D,
        z,
        delta_bias,
        delta_softplus,
        return_last_state=return_last_state,
    )
