"""Window attention vs explicit full attention whose mask allows only same-window pairs."""

import math

import pytest
import torch

from panspectra_core.attention import LocalWindowAttention1d, WindowAttention2d

DTYPE = torch.float64


def full_masked_attention(module, tokens, keep, bias=None):
    """Explicit attention over all tokens (batch, N, C) with keep: (batch or 1, N, N) and an
    optional additive score bias (heads, N, N)."""
    b, n, c = tokens.shape
    h = module.num_heads
    qkv = tokens @ module.qkv.weight.T + module.qkv.bias
    q, k, v = (t.reshape(b, n, h, c // h).transpose(1, 2) for t in qkv.split(c, dim=-1))
    scores = q @ k.transpose(-1, -2) / math.sqrt(c // h)
    if bias is not None:
        scores = scores + bias
    keep = keep[:, None]
    probs = torch.softmax(scores.masked_fill(~keep, -1e300), dim=-1) * keep
    out = (probs @ v).transpose(1, 2).reshape(b, n, c)
    return out @ module.out.weight.T + module.out.bias


def check_outputs_and_grads(out, ref, inputs):
    torch.testing.assert_close(out, ref)
    w = torch.randn_like(out)
    ga = torch.autograd.grad((out * w).sum(), inputs)
    gb = torch.autograd.grad((ref * w).sum(), inputs)
    for a, b in zip(ga, gb):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("length", [12, 13])  # 13: tail window padded
def test_local_window_1d_matches_masked_full_attention(causal, length):
    torch.manual_seed(0)
    m = LocalWindowAttention1d(16, 2, window_size=4, causal=causal).to(DTYPE)
    x = torch.randn(2, length, 16, dtype=DTYPE, requires_grad=True)
    key_keep = torch.rand(2, length) > 0.2
    key_keep[:, ::4] = True  # first token of every window kept: no empty causal rows
    pos = torch.arange(length)
    keep = (pos[:, None] // 4 == pos[None, :] // 4)[None] & key_keep[:, None, :]
    if causal:
        keep = keep & (pos[None, :] <= pos[:, None])[None]
    check_outputs_and_grads(m(x, key_keep), full_masked_attention(m, x, keep), [x, *m.parameters()])


def test_local_window_1d_tokens_do_not_see_other_windows():
    torch.manual_seed(1)
    m = LocalWindowAttention1d(8, 2, window_size=5).to(DTYPE)
    x = torch.randn(1, 15, 8, dtype=DTYPE)
    y = x.clone()
    y[:, 10:] += 1.0  # change only the last window
    torch.testing.assert_close(m(x)[:, :10], m(y)[:, :10])
    assert not torch.allclose(m(x)[:, 10:], m(y)[:, 10:])


def reference_2d_keep(height, width, window, shift):
    """keep[i, j] over the original tokens: same window after padding + cyclic shift, and both on
    the same side of the wrap-around on each axis (what Swin's region mask enforces)."""
    hp, wp = -(-height // window) * window, -(-width // window) * window
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    rows, cols = rows.flatten(), cols.flatten()
    rolled_r, rolled_c = (rows - shift) % hp, (cols - shift) % wp
    win = (rolled_r // window) * (wp // window) + rolled_c // window
    wrap = (rows < shift).long() * 2 + (cols < shift).long()
    return (win[:, None] == win[None, :]) & (wrap[:, None] == wrap[None, :])


@pytest.mark.parametrize(
    ("height", "width", "shift"), [(8, 8, 0), (8, 8, 2), (7, 10, 0), (7, 10, 2)]
)
def test_window_2d_matches_masked_full_attention(height, width, shift):
    torch.manual_seed(2)
    m = WindowAttention2d(12, 3, window_size=4, shift_size=shift).to(DTYPE)
    x = torch.randn(2, height, width, 12, dtype=DTYPE, requires_grad=True)
    keep = reference_2d_keep(height, width, 4, shift)[None]
    out = m(x).reshape(2, height * width, 12)
    ref = full_masked_attention(m, x.reshape(2, height * width, 12), keep)
    check_outputs_and_grads(out, ref, [x, *m.parameters()])


def test_shifted_windows_mix_across_unshifted_window_borders():
    torch.manual_seed(3)
    plain = WindowAttention2d(8, 2, window_size=4).to(DTYPE)
    shifted = WindowAttention2d(8, 2, window_size=4, shift_size=2).to(DTYPE)
    shifted.load_state_dict(plain.state_dict())
    x = torch.randn(1, 8, 8, 8, dtype=DTYPE)
    y = x.clone()
    y[:, 4, 4] += 1.0  # token in the bottom-right regular window
    assert torch.allclose(plain(x)[:, 3, 3], plain(y)[:, 3, 3])  # other regular window
    assert not torch.allclose(shifted(x)[:, 3, 3], shifted(y)[:, 3, 3])  # same shifted window


def reference_relative_bias(table, height, width, window, shift):
    """(heads, N, N) over the original tokens: the table entry of the offset between the two
    tokens' positions inside their (rolled) window, from Swin's (2w − 1)² table layout."""
    hp, wp = -(-height // window) * window, -(-width // window) * window
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    in_row = ((rows.flatten() - shift) % hp) % window
    in_col = ((cols.flatten() - shift) % wp) % window
    d_row = in_row[:, None] - in_row[None, :] + window - 1
    d_col = in_col[:, None] - in_col[None, :] + window - 1
    return table[d_row * (2 * window - 1) + d_col].permute(2, 0, 1)


@pytest.mark.parametrize(("height", "width", "shift"), [(8, 8, 0), (7, 10, 2)])
def test_window_2d_relative_position_bias_matches_explicit_table_lookup(height, width, shift):
    torch.manual_seed(4)
    m = WindowAttention2d(12, 3, 4, shift, relative_position_bias=True).to(DTYPE)
    assert m.relative_bias_table.shape == (7 * 7, 3)
    with torch.no_grad():
        m.relative_bias_table.normal_()  # large enough to matter
    x = torch.randn(2, height, width, 12, dtype=DTYPE, requires_grad=True)
    keep = reference_2d_keep(height, width, 4, shift)[None]
    bias = reference_relative_bias(m.relative_bias_table, height, width, 4, shift)
    out = m(x).reshape(2, height * width, 12)
    ref = full_masked_attention(m, x.reshape(2, height * width, 12), keep, bias)
    check_outputs_and_grads(out, ref, [x, *m.parameters()])
