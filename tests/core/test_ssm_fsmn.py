"""FSMN memory: FIR definition, causality, future taps, gated block."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from panspectra_core.ssm import FSMNMemory, GatedFSMN


def test_memory_matches_explicit_fir():
    torch.manual_seed(0)
    block = FSMNMemory(d_model=3, hidden_size=5, lorder=3, rorder=2).double()
    x = torch.randn(2, 9, 3, dtype=torch.float64)
    p = block.project(F.relu(block.linear(x)))  # (batch, L, d)
    taps = block.memory.weight[:, 0]  # (d, lorder + rorder): oldest past ... newest future
    expected = p.clone()
    for t in range(9):
        for k in range(5):
            s = t - (block.lorder - 1) + k
            if 0 <= s < 9:
                expected[:, t] += taps[:, k] * p[:, s]
    torch.testing.assert_close(block(x), x + expected)


def test_causal_memory_ignores_future():
    torch.manual_seed(0)
    block = FSMNMemory(4, 6, lorder=5, rorder=0).double()
    assert block.causal
    x = torch.randn(1, 14, 4, dtype=torch.float64)
    x2 = x.clone()
    x2[:, 8:] += 2.0
    torch.testing.assert_close(block(x)[:, :8], block(x2)[:, :8], rtol=0, atol=0)
    assert not torch.allclose(block(x)[:, 8:], block(x2)[:, 8:])


def test_future_taps_see_ahead():
    torch.manual_seed(0)
    block = FSMNMemory(4, 6, lorder=3, rorder=2).double()
    x = torch.randn(1, 10, 4, dtype=torch.float64)
    x2 = x.clone()
    x2[:, 6] += 2.0
    changed = (block(x) - block(x2)).abs().sum(-1)[0]
    assert changed[4] > 0 and changed[5] > 0  # frames 4 and 5 see frame 6 through future taps
    assert torch.all(changed[:4] == 0)


@pytest.mark.parametrize("causal", [True, False])
def test_gated_fsmn(causal):
    torch.manual_seed(0)
    block = GatedFSMN(6, hidden_size=8, lorder=4, conv_kernel=5, causal=causal).double()
    x = torch.randn(2, 12, 6, dtype=torch.float64, requires_grad=True)
    y = block(x)
    assert y.shape == x.shape
    y.sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    x2 = x.detach().clone()
    x2[:, 7:] += 1.0
    same_past = torch.allclose(block(x2)[:, :7], y[:, :7].detach(), rtol=0, atol=0)
    assert same_past == causal
    with pytest.raises(ValueError):
        GatedFSMN(6, 8, lorder=4, rorder=2, causal=True)
