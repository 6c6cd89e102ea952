"""Tensor ↔ numpy plumbing shared by the fused numba attention kernels.

The kernels work on C-contiguous ``(rows, ...)`` arrays with rows = batch · heads, in float32
(or float64 for float64 inputs; half-precision inputs are computed in float32).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def compute_dtype(t: Tensor) -> torch.dtype:
    """float64 for float64 tensors, else float32."""
    return torch.float64 if t.dtype == torch.float64 else torch.float32


def to_rows(t: Tensor, dtype: torch.dtype) -> np.ndarray:
    """(batch, heads, ...) -> contiguous numpy (batch · heads, ...) in ``dtype``."""
    return t.detach().to(dtype).reshape(-1, *t.shape[2:]).contiguous().numpy()


def from_rows(a: np.ndarray, batch: int, heads: int, dtype: torch.dtype | None = None) -> Tensor:
    """Inverse of :func:`to_rows`: (batch · heads, ...) numpy -> (batch, heads, ...) tensor."""
    out = torch.from_numpy(a).reshape(batch, heads, *a.shape[1:])
    return out if dtype is None else out.to(dtype)


def check_cpu(op: str, *tensors: Tensor | None) -> None:
    """Raise ``ValueError`` unless every given tensor is on the CPU."""
    if any(t is not None and t.device.type != "cpu" for t in tensors):
        raise ValueError(f"the fused numba {op} runs on CPU tensors only")


def initial_state_or_zeros(q: Tensor, v: Tensor, initial_state: Tensor | None) -> Tensor:
    """``initial_state`` or zeros (batch, heads, dk, dv) in the compute dtype of ``q``."""
    if initial_state is None:
        return torch.zeros(*q.shape[:2], q.shape[-1], v.shape[-1], dtype=compute_dtype(q))
    return initial_state


def empty_sequence_result(q: Tensor, v: Tensor, initial_state: Tensor) -> tuple[Tensor, Tensor]:
    """What an op returns for L = 0: an empty output and the initial state (no kernel call)."""
    return q.new_zeros(*q.shape[:3], v.shape[-1]), initial_state.to(compute_dtype(q))


def output_grads_as_rows(
    g_out: Tensor | None, g_last: Tensor | None, q: Tensor, v: Tensor, dtype: torch.dtype
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of (o, final state) as kernel rows; zeros for an output autograd left out."""
    if g_out is None:
        g_out = torch.zeros(*v.shape, dtype=dtype)
    if g_last is None:
        g_last = torch.zeros(*q.shape[:2], q.shape[-1], v.shape[-1], dtype=dtype)
    return to_rows(g_out, dtype), to_rows(g_last, dtype)
