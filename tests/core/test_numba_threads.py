"""The fused numba kernels must leave PyTorch's intra-op thread count as they found it.

Numba's OpenMP layer resets the calling thread's OpenMP thread count the first time it runs a
parallel loop; left alone, a user's ``torch.set_num_threads(1)`` silently becomes the machine's
core count (cost: ``tools/bench/bench_numba_threads.py``). The reset happens once per process,
so each op is checked in a fresh interpreter (the selective scan through a MambaBlock of
S-Mamba's size, where the problem was found).
"""

import subprocess
import sys

import pytest

pytest.importorskip("numba")

_CHILD = """
import sys
import torch
torch.set_num_threads(1)
from panspectra_core.attention import causal_linear_attention, delta_rule
from panspectra_core.ssm import MambaBlock

op = sys.argv[1]
g = torch.Generator().manual_seed(0)
if op == "mamba_block":
    block = MambaBlock(256, d_state=2, d_conv=2, expand=1)  # S-Mamba's size: the real case
    out = block(torch.randn(32, 7, 256, generator=g))
else:
    q, k, v = (torch.randn(16, 8, 8, 16, generator=g, requires_grad=True) for _ in range(3))
    if op == "delta_rule":
        out = delta_rule(q, k, v, torch.full((16, 8, 8), 0.5), backend="fused")
    else:
        out = causal_linear_attention(q, k, v, backend="fused")
after_forward = torch.get_num_threads()
out.sum().backward()
print(after_forward, torch.get_num_threads())
"""


@pytest.mark.parametrize("op", ["mamba_block", "delta_rule", "causal_linear_attention"])
def test_fused_kernels_keep_torch_thread_count(op):
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, op], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "1"], "thread count after forward, backward"
