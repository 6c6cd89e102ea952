"""Choosing between the implementations of one op: readable reference, portable PyTorch, fused CPU.

Ops with a fused numba kernel (:func:`panspectra_core.ssm.selective_scan`,
:func:`panspectra_core.attention.delta_rule`) take ``backend="auto" | "ref" | "chunked" |
"fused"``; ``"auto"`` defers to an environment variable of the op, then picks ``"fused"`` for
CPU tensors when numba imports and ``"chunked"`` otherwise (CUDA, or no numba).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from functools import cache
from typing import Any

BACKENDS = ("auto", "ref", "chunked", "fused")
NUMBA_INSTALL_HINT = "pip install 'numba>=0.59'"


def resolve_backend(
    backend: str, *, op: str, env_var: str, on_cpu: bool, fused_available: bool
) -> str:
    """Turn ``backend`` (and ``env_var`` when it is ``"auto"``) into a concrete backend name.

    Args:
        backend: one of :data:`BACKENDS`.
        op: the op's name, for error messages.
        env_var: environment variable consulted when ``backend == "auto"``.
        on_cpu: whether the op's tensors are on the CPU.
        fused_available: whether the fused kernel imports (numba installed).

    Raises:
        ValueError: unknown name, or ``"fused"`` for non-CPU tensors.
        ImportError: ``"fused"`` requested without numba (the message has the pip command).
    """
    if backend == "auto":
        backend = os.environ.get(env_var, "auto").strip().lower() or "auto"
    if backend not in BACKENDS:
        raise ValueError(f"unknown {op} backend {backend!r}; choose one of {BACKENDS}")
    if backend == "fused":
        if not fused_available:
            raise ImportError(f"the 'fused' {op} backend needs numba: {NUMBA_INSTALL_HINT}")
        if not on_cpu:
            raise ValueError(f"the 'fused' {op} backend runs on CPU tensors only")
    if backend == "auto":
        backend = "fused" if on_cpu and fused_available else "chunked"
    return backend


@cache
def load_optional(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name``, or ``None`` when importing the module fails (e.g. numba is missing)."""
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        return None


def choose_impl(
    backend: str,
    *,
    op: str,
    env_var: str,
    on_cpu: bool,
    fused: Callable[..., Any] | None,
    chunked: Callable[..., Any],
    ref: Callable[..., Any],
) -> Callable[..., Any]:
    """The implementation :func:`resolve_backend` selects among ``fused`` (None when numba is
    missing), ``chunked`` and ``ref``."""
    kind = resolve_backend(
        backend, op=op, env_var=env_var, on_cpu=on_cpu, fused_available=fused is not None
    )
    return {"fused": fused, "chunked": chunked, "ref": ref}[kind]
