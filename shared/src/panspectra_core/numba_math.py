"""Elementary functions for numba kernels that LLVM can vectorise.

numba lowers ``math.exp`` to a scalar libm call: without Intel's SVML (not shipped with the
PyPI wheels) a loop containing it is never vectorised, and in the selective scan that one call
per state element costs more than the rest of the recurrence. :func:`exp_vectorisable` is
``math.exp`` for float64 and, for float32, Cephes' ``expf`` written in plain arithmetic
(Moshier, *Methods and Programs for Mathematical Functions*, 1989): ``exp(x) = 2^k · p(r)`` with
``k = round(x / ln 2)``, ``r = x − k ln 2`` in two parts (Cody & Waite) and a degree-6
polynomial ``p``; ``2^k`` is built from its IEEE-754 bits. Its error is below one ulp of the
exact value for float32 ``x`` in [−87.3, 88.3]; below −87.3 it returns the smallest normal
float32 (1.2e-38) instead of a denormal or zero, above 88.37 it returns ``inf`` (float32 itself
overflows at 88.72), and NaN stays NaN.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload


@intrinsic
def _float32_from_bits(typingctx, bits):
    """The float32 whose IEEE-754 bit pattern is the low 32 bits of the integer ``bits``."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        value = args[0]
        if bits.bitwidth > 32:
            value = builder.trunc(value, ir.IntType(32))
        return builder.bitcast(value, ir.FloatType())

    return types.float32(bits), codegen


_F32 = np.float32
_EXP_LO, _EXP_HI = _F32(-87.33654), _F32(88.72283)  # 2^-126 (smallest normal) .. FLT_MAX
_LOG2E = _F32(1.44269504088896341)
_LN2_HI, _LN2_LO = _F32(0.693359375), _F32(-2.12194440e-4)  # ln 2 = hi + lo (Cody–Waite)
_P0, _P1, _P2 = _F32(1.9875691500e-4), _F32(1.3981999507e-3), _F32(8.3334519073e-3)
_P3, _P4, _P5 = _F32(4.1665795894e-2), _F32(1.6666665459e-1), _F32(5.0000001201e-1)
_HALF, _ONE = _F32(0.5), _F32(1.0)


def exp_vectorisable(x: float) -> float:
    """``exp(x)``; inside numba kernels a float32 argument uses the vectorisable polynomial."""
    return math.exp(x)


@overload(exp_vectorisable, inline="always")
def _exp_vectorisable_overload(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:

        def exp_float32(x):
            x = min(max(x, _EXP_LO), _EXP_HI)
            k = math.floor(x * _LOG2E + _HALF)
            r = x - k * _LN2_HI - k * _LN2_LO
            p = ((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5
            p = p * r * r + r + _ONE
            return p * _float32_from_bits((np.int32(k) + 127) << 23)

        return exp_float32
    return lambda x: math.exp(x)
