"""Causal linear attention, the un-normalised kernel form (Katharopoulos et al. 2020,
"Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention", arXiv:2006.16236).

    o_t = Σ_{s≤t} (q_t · k_s) v_s        equivalently  S_t = S_{t-1} + k_t v_tᵀ,  o_t = S_tᵀ q_t

No feature map and no normalisation are applied here (see :mod:`.linear_attention` for the layer).

Implementations (same math, cross-checked in tests):

- :func:`causal_linear_attention_recurrent` — reference, token-by-token RNN recurrence;
- :func:`causal_linear_attention_quadratic` — reference, masked quadratic ``tril(q kᵀ) v``;
- :func:`causal_linear_attention_chunked_with_state` — chunked form (as in
  flash-linear-attention's ``chunk``; Yang et al. 2024, "Gated Linear Attention Transformers with
  Hardware-Efficient Training", arXiv:2312.06635): within a chunk a masked matmul, across chunks
  the state ``S = Σ kᵀ v`` carried by a prefix sum over chunks (L / C additions);
- :mod:`.causal_linear_fused` — the recurrence as a fused numba loop per (batch, head) with its
  own adjoint (CPU): no more FLOPs than the recurrence, the state kept in cache;
- :func:`causal_linear_attention` / ``_with_state`` — the dispatcher: ``backend="auto"`` (fused on
  CPU when numba imports, chunked elsewhere; ``PANSPECTRA_LINEAR_ATTENTION_BACKEND`` overrides),
  ``"fused"``, ``"chunked"`` or ``"ref"``;
- :func:`causal_linear_attention_step` — one streaming step (attention as an RNN).

Shapes: q, k: (batch, heads, L, dk); v: (batch, heads, L, dv); state: (batch, heads, dk, dv).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor

from ..backends import choose_impl, load_optional

DEFAULT_CHUNK_SIZE = 64
BACKEND_ENV_VAR = "PANSPECTRA_LINEAR_ATTENTION_BACKEND"


def _accumulation_dtype(dtype: torch.dtype) -> torch.dtype:
    """States of half-precision inputs are accumulated in float32."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def causal_linear_attention_step(
    q_t: Tensor, k_t: Tensor, v_t: Tensor, state: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """One recurrent step: ``S_t = S_{t-1} + k_t v_tᵀ``, ``o_t = S_tᵀ q_t``.

    Args:
        q_t, k_t: (batch, heads, dk); v_t: (batch, heads, dv).
        state: (batch, heads, dk, dv) or None for zeros.

    Returns:
        o_t: (batch, heads, dv) and the new state (batch, heads, dk, dv).
    """
    update = k_t.unsqueeze(-1) * v_t.unsqueeze(-2)
    new_state = update if state is None else state + update
    o_t = (q_t.unsqueeze(-2) @ new_state.to(q_t.dtype)).squeeze(-2)
    return o_t, new_state


def causal_linear_attention_recurrent_with_state(
    q: Tensor, k: Tensor, v: Tensor, initial_state: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Reference recurrence over tokens; returns ``(o (batch, heads, L, dv), final state)``."""
    batch, heads, _, dk = q.shape
    state = initial_state
    if state is None:
        state = q.new_zeros(batch, heads, dk, v.shape[-1])
    outputs = [q.new_zeros(batch, heads, 0, v.shape[-1])]  # L == 0 stays well-defined
    for t in range(q.shape[2]):
        o_t, state = causal_linear_attention_step(q[:, :, t], k[:, :, t], v[:, :, t], state)
        outputs.append(o_t.unsqueeze(2))
    return torch.cat(outputs, dim=2), state


def causal_linear_attention_recurrent(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Reference: token-by-token recurrence. Shapes as :func:`causal_linear_attention`."""
    return causal_linear_attention_recurrent_with_state(q, k, v)[0]


def causal_linear_attention_quadratic(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Reference: ``o = tril(q kᵀ) v`` with an explicit (L, L) causal mask. O(L²) memory."""
    scores = q @ k.transpose(-1, -2)
    length = q.shape[2]
    keep = torch.ones(length, length, dtype=torch.bool, device=q.device).tril()
    return scores.masked_fill(~keep, 0.0) @ v


def causal_linear_attention_chunked_with_state(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    initial_state: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Chunked causal linear attention that also returns the final state (for prefill + step).

    Args:
        q, k: (batch, heads, L, dk); v: (batch, heads, L, dv).
        chunk_size: tokens per chunk (the tail is zero-padded; zero k/v add nothing to the state).
        initial_state: (batch, heads, dk, dv) state before the first token, or None for zeros.

    Returns:
        o: (batch, heads, L, dv) in q's dtype; final state (batch, heads, dk, dv), float32 for
        half-precision inputs.
    """
    batch, heads, length, dk = q.shape
    dv = v.shape[-1]
    pad = (-length) % chunk_size
    if pad:
        q, k, v = (F.pad(t, (0, 0, 0, pad)) for t in (q, k, v))
    num_chunks = (length + pad) // chunk_size
    q_c = q.reshape(batch, heads, num_chunks, chunk_size, dk)
    k_c = k.reshape(batch, heads, num_chunks, chunk_size, dk)
    v_c = v.reshape(batch, heads, num_chunks, chunk_size, dv)

    acc = _accumulation_dtype(q.dtype)
    chunk_kv = (k_c.transpose(-1, -2) @ v_c).to(acc)  # (b, h, n, dk, dv)
    # Exclusive prefix sum over chunks. A short loop of adds: torch.cumsum over a middle dimension
    # is several times slower on CPU.
    state = chunk_kv.new_zeros(batch, heads, dk, dv)
    if initial_state is not None:
        state = state + initial_state.to(acc)
    states_before = []
    for i in range(num_chunks):
        states_before.append(state)
        state = state + chunk_kv[:, :, i]
    if not states_before:  # L == 0
        return q.new_zeros(batch, heads, 0, dv), state
    state_before_chunk = torch.stack(states_before, dim=2).to(q.dtype)

    out = q_c @ state_before_chunk  # inter-chunk part, (b, h, n, c, dv)
    scores = (q_c @ k_c.transpose(-1, -2)).tril_()  # intra-chunk causal scores
    out = out + scores @ v_c
    out = out.reshape(batch, heads, num_chunks * chunk_size, dv)[:, :, :length]
    return out, state


def _load_fused() -> Callable[..., tuple[Tensor, Tensor]] | None:
    """The fused numba kernel's wrapper, or ``None`` when numba cannot be imported."""
    return load_optional(
        "panspectra_core.attention.causal_linear_fused", "causal_linear_attention_fused_cpu"
    )


def causal_linear_attention_with_state(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    initial_state: Tensor | None = None,
    backend: str = "auto",
) -> tuple[Tensor, Tensor]:
    """Causal linear attention that also returns the final state (for prefill + step).

    Args:
        q, k: (batch, heads, L, dk); v: (batch, heads, L, dv).
        chunk_size: tokens per chunk of the ``"chunked"`` backend.
        initial_state: (batch, heads, dk, dv) state before the first token, or None for zeros.
        backend: ``"auto" | "ref" | "chunked" | "fused"`` (see the module docstring).

    Returns:
        o: (batch, heads, L, dv) in q's dtype; the final state (batch, heads, dk, dv), float32
        for half-precision inputs.
    """
    impl = choose_impl(
        backend,
        op="causal-linear-attention",
        env_var=BACKEND_ENV_VAR,
        on_cpu=q.device.type == "cpu",
        fused=_load_fused(),
        chunked=partial(causal_linear_attention_chunked_with_state, chunk_size=chunk_size),
        ref=causal_linear_attention_recurrent_with_state,
    )
    return impl(q, k, v, initial_state=initial_state)


def causal_linear_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    backend: str = "auto",
) -> Tensor:
    """Causal linear attention ``o_t = Σ_{s≤t} (q_t · k_s) v_s``.

    Args:
        q, k: (batch, heads, L, dk); v: (batch, heads, L, dv).
        chunk_size: tokens per chunk of the ``"chunked"`` backend (64 default).
        backend: ``"auto"`` (fused numba on CPU, chunked elsewhere), ``"fused"``, ``"chunked"``
            or ``"ref"``.

    Returns:
        (batch, heads, L, dv) in q's dtype.
    """
    return causal_linear_attention_with_state(q, k, v, chunk_size=chunk_size, backend=backend)[0]
