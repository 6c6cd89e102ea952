"""The delta rule for fast-weight / linear attention (DeltaNet).

Schlag, Irie & Schmidhuber 2021, "Linear Transformers Are Secretly Fast Weight Programmers"
(arXiv:2102.11174); chunkwise-parallel form from Yang, Wang, Zhang, Shen & Kim 2024, "Parallelizing
Linear Transformers with the Delta Rule over Sequence Length" (arXiv:2406.06484).

    S_0 = 0 (dk × dv),  S_t = S_{t-1} + k_t (β_t (v_t − S_{t-1}ᵀ k_t))ᵀ,  o_t = S_tᵀ q_t

No normalisation is applied to k here; the recurrence is stable when ‖k_t‖ ≤ 1 and β ∈ (0, 1]
(e.g. L2-normalised keys and sigmoid β, as in :class:`~.deltanet.DeltaNetLayer`).

Chunked form. In a chunk with keys K (C×dk), values V, gates β, entering state S:
write every state as ``S + Kᵀ U_eff`` with pseudo-values U_eff. They satisfy the unit lower
triangular system ``(I + tril(diag(β) K Kᵀ, −1)) U_eff = diag(β)(V − K S)``, so with the
WY / UT-transform pieces ``W = A⁻¹ diag(β) K`` and ``U = A⁻¹ diag(β) V``:

    U_eff = U − W S,   O = Q S + tril(Q Kᵀ) U_eff,   S_next = S + Kᵀ U_eff.

W and U are computed for all chunks at once (a batched triangular inverse); only the chunk-to-chunk
state recurrence is a loop over L / C chunks.

Backends (keyword ``backend``, or ``PANSPECTRA_DELTA_RULE_BACKEND`` when it is ``"auto"``):

- ``"fused"``: the recurrence as one numba loop per (batch, head) row with its own adjoint
  backward (:mod:`.delta_rule_kernels`; CPU tensors). The chunked form does at least the
  recurrence's FLOPs, so on a CPU the compiled recurrence is the fastest.
- ``"chunked"``: the WY/UT chunked form above in PyTorch (CPU or CUDA; autograd backward).
- ``"ref"``: the token-by-token recurrence (:func:`delta_rule_recurrent`).
- ``"auto"`` (default): ``"fused"`` for CPU tensors when numba imports, else ``"chunked"``.

Shapes: q, k: (batch, heads, L, dk); v: (batch, heads, L, dv); beta: (batch, heads, L);
state: (batch, heads, dk, dv).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor

from ..backends import choose_impl, load_optional
from .triangular import unit_lower_triangular_inverse

BACKEND_ENV_VAR = "PANSPECTRA_DELTA_RULE_BACKEND"

DEFAULT_CHUNK_SIZE = 32  # measured faster than 64 on the 2-core CPU (UT transform is O(C²))


def delta_rule_step(
    q_t: Tensor, k_t: Tensor, v_t: Tensor, beta_t: Tensor, state: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """One recurrent delta-rule step.

    Args:
        q_t, k_t: (batch, heads, dk); v_t: (batch, heads, dv); beta_t: (batch, heads).
        state: (batch, heads, dk, dv) or None for zeros.

    Returns:
        o_t: (batch, heads, dv) and the new state (batch, heads, dk, dv).
    """
    if state is None:
        state = k_t.new_zeros(*k_t.shape, v_t.shape[-1])
    predicted = (k_t.unsqueeze(-2) @ state).squeeze(-2)  # S_{t-1}ᵀ k_t: (b, h, dv)
    correction = beta_t.unsqueeze(-1) * (v_t - predicted)
    new_state = state + k_t.unsqueeze(-1) * correction.unsqueeze(-2)
    o_t = (q_t.unsqueeze(-2) @ new_state).squeeze(-2)
    return o_t, new_state


def delta_rule_recurrent_with_state(
    q: Tensor, k: Tensor, v: Tensor, beta: Tensor, initial_state: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Reference recurrence over tokens; returns ``(o (batch, heads, L, dv), final state)``."""
    state = initial_state
    outputs = []
    for t in range(q.shape[2]):
        o_t, state = delta_rule_step(q[:, :, t], k[:, :, t], v[:, :, t], beta[:, :, t], state)
        outputs.append(o_t)
    if not outputs:  # L == 0: no output, the state is the initial one
        if state is None:
            state = q.new_zeros(*q.shape[:2], q.shape[-1], v.shape[-1])
        return q.new_zeros(*q.shape[:3], v.shape[-1]), state
    return torch.stack(outputs, dim=2), state


def delta_rule_recurrent(q: Tensor, k: Tensor, v: Tensor, beta: Tensor) -> Tensor:
    """Reference: token-by-token delta-rule recurrence. Shapes as :func:`delta_rule`."""
    return delta_rule_recurrent_with_state(q, k, v, beta)[0]


def delta_rule_chunked_with_state(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    beta: Tensor,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    initial_state: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Chunked (WY/UT) delta rule that also returns the final state (for prefill + step).

    Args:
        q, k: (batch, heads, L, dk); v: (batch, heads, L, dv); beta: (batch, heads, L).
        chunk_size: tokens per chunk; the tail is zero-padded (β = 0 leaves the state unchanged).
        initial_state: (batch, heads, dk, dv) or None for zeros.

    Returns:
        o: (batch, heads, L, dv) and the final state (batch, heads, dk, dv). Half-precision
        inputs are computed in float32 and o is cast back.
    """
    in_dtype = q.dtype
    work = torch.float32 if in_dtype in (torch.float16, torch.bfloat16) else in_dtype
    q, k, v, beta = (t.to(work) for t in (q, k, v, beta))
    batch, heads, length, dk = q.shape
    dv = v.shape[-1]
    pad = (-length) % chunk_size
    if pad:
        q, k, v = (F.pad(t, (0, 0, 0, pad)) for t in (q, k, v))
        beta = F.pad(beta, (0, pad))
    n, c = (length + pad) // chunk_size, chunk_size
    q_c = q.reshape(batch, heads, n, c, dk)
    k_c = k.reshape(batch, heads, n, c, dk)
    v_c = v.reshape(batch, heads, n, c, dv)
    beta_c = beta.reshape(batch, heads, n, c, 1)

    # UT transform: A = I + tril(diag(β) K Kᵀ, -1); [W | U] = A⁻¹ diag(β) [K | V].
    k_beta = k_c * beta_c
    lower = (k_beta @ k_c.transpose(-1, -2)).tril_(-1)  # unit diagonal is implicit below
    inverse = unit_lower_triangular_inverse(lower)  # batched over all chunks; see .triangular
    w, u = inverse @ k_beta, inverse @ (v_c * beta_c)
    state = q.new_zeros(batch, heads, dk, dv)
    if initial_state is not None:
        state = initial_state.to(work)
    intra = (q_c @ k_c.transpose(-1, -2)).tril_()  # (b, h, n, c, c), causal incl. diagonal
    outputs = []
    for i in range(n):  # the only sequential part: L / C small matmuls (cache-resident)
        u_eff = u[:, :, i] - w[:, :, i] @ state  # (b, h, c, dv)
        outputs.append(q_c[:, :, i] @ state + intra[:, :, i] @ u_eff)
        state = state + k_c[:, :, i].transpose(-1, -2) @ u_eff
    out = torch.stack(outputs, dim=2) if outputs else q_c  # L == 0: an empty (b, h, 0, c, dk)
    out = out.reshape(batch, heads, n * c, dv)[:, :, :length]
    return out.to(in_dtype), state


def _load_fused() -> Callable[..., tuple[Tensor, Tensor]] | None:
    """The fused numba kernel's wrapper, or ``None`` when numba cannot be imported."""
    return load_optional("panspectra_core.attention.delta_rule_fused", "delta_rule_fused_cpu")


def delta_rule_with_state(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    beta: Tensor,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    initial_state: Tensor | None = None,
    backend: str = "auto",
) -> tuple[Tensor, Tensor]:
    """Delta rule that also returns the final state (for prefill + step); any backend.

    Args:
        q, k: (batch, heads, L, dk); v: (batch, heads, L, dv); beta: (batch, heads, L).
        chunk_size: tokens per chunk of the ``"chunked"`` backend.
        initial_state: (batch, heads, dk, dv) or None for zeros.
        backend: ``"auto" | "ref" | "chunked" | "fused"`` (see the module docstring).

    Returns:
        o: (batch, heads, L, dv) in q's dtype and the final state (batch, heads, dk, dv).
    """
    impl = choose_impl(
        backend,
        op="delta-rule",
        env_var=BACKEND_ENV_VAR,
        on_cpu=q.device.type == "cpu",
        fused=_load_fused(),
        chunked=partial(delta_rule_chunked_with_state, chunk_size=chunk_size),
        ref=delta_rule_recurrent_with_state,
    )
    return impl(q, k, v, beta, initial_state=initial_state)


def delta_rule(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    beta: Tensor,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    backend: str = "auto",
) -> Tensor:
    """Delta-rule attention ``S_t = S_{t-1} + k_t (β_t (v_t − S_{t-1}ᵀ k_t))ᵀ``, ``o_t = S_tᵀ q_t``.

    Args:
        q, k: (batch, heads, L, dk); v: (batch, heads, L, dv); beta: (batch, heads, L).
        chunk_size: tokens per chunk of the ``"chunked"`` backend (Yang et al. 2024).
        backend: ``"auto"`` (fused numba on CPU, chunked elsewhere), ``"fused"``, ``"chunked"``
            or ``"ref"``.

    Returns:
        (batch, heads, L, dv) in q's dtype.
    """
    return delta_rule_with_state(q, k, v, beta, chunk_size=chunk_size, backend=backend)[0]
