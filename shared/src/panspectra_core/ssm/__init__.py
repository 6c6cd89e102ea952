"""State-space family: selective scan (Mamba S6), Mamba blocks, S4D, LMU and FSMN memory.

Every fast path keeps its readable reference beside it: :func:`selective_scan_ref` is the loop
the chunked PyTorch path and the fused numba CPU kernel are tested against.
"""

from .mamba import BiMambaBlock, MambaBlock, MambaState
from .scan_chunked import selective_scan_chunked
from .scan_dispatch import (
    BACKEND_ENV_VAR,
    BACKENDS,
    numba_available,
    resolve_backend,
    selective_scan,
)
from .scan_ref import selective_scan_ref

__all__ = [
    "BACKENDS",
    "BACKEND_ENV_VAR",
    "BiMambaBlock",
    "MambaBlock",
    "MambaState",
    "numba_available",
    "resolve_backend",
    "selective_scan",
    "selective_scan_chunked",
    "selective_scan_ref",
]
