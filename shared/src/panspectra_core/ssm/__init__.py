"""State-space family: selective scan (Mamba S6), Mamba blocks, S4D, LMU and FSMN memory.

Every fast path keeps its readable reference beside it: :func:`selective_scan_ref` is the loop
the chunked PyTorch path and the fused numba CPU kernel are tested against;
:func:`s4d_recurrence_ref` and :func:`lmu_memory_ref` are the loops behind the FFT paths.
"""

from ..backends import BACKENDS
from .fsmn import FSMNMemory, GatedFSMN
from .lmu import (
    LMU,
    discretize_zoh,
    impulse_response,
    legendre_decoder,
    legendre_delay_system,
    lmu_memory_ref,
)
from .mamba import BiMambaBlock, MambaBlock, MambaState
from .s4d import S4D, S4DKernel, s4d_recurrence_ref
from .scan_chunked import inclusive_affine_scan, selective_scan_chunked
from .scan_dispatch import (
    BACKEND_ENV_VAR,
    numba_available,
    resolve_backend,
    selective_scan,
)
from .scan_ref import selective_scan_ref

__all__ = [
    "BACKENDS",
    "BACKEND_ENV_VAR",
    "LMU",
    "S4D",
    "BiMambaBlock",
    "FSMNMemory",
    "GatedFSMN",
    "MambaBlock",
    "MambaState",
    "S4DKernel",
    "discretize_zoh",
    "impulse_response",
    "inclusive_affine_scan",
    "legendre_decoder",
    "legendre_delay_system",
    "lmu_memory_ref",
    "numba_available",
    "resolve_backend",
    "s4d_recurrence_ref",
    "selective_scan",
    "selective_scan_chunked",
    "selective_scan_ref",
]
