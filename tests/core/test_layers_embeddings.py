"""Patch embeddings (1D, 2D, 3D), sinusoidal/learned positions and the RoPE re-export."""

from __future__ import annotations

import math

import pytest
import torch

from panspectra_core.layers import (
    LearnedPositionalEncoding,
    PatchEmbed1d,
    PatchEmbed2d,
    PatchEmbed3d,
    RotaryEmbedding,
    SinusoidalPositionalEncoding,
    apply_rotary,
    sinusoidal_table,
)


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(
    ("seq_len", "patch_len", "stride", "pad_end", "expected"),
    [(96, 16, 8, False, 11), (96, 16, 8, True, 12), (100, 10, 10, False, 10), (17, 4, 4, False, 4)],
)
def test_patch_embed_1d_counts_and_content(seq_len, patch_len, stride, pad_end, expected):
    torch.manual_seed(0)
    embed = PatchEmbed1d(patch_len, stride, dim=6, pad_end=pad_end)
    x = _randn(2, 3, seq_len)
    assert embed.num_patches(seq_len) == expected
    patches = embed.patchify(x)
    assert patches.shape == (2, 3, expected, patch_len)
    torch.testing.assert_close(patches[:, :, 1], x[..., stride : stride + patch_len])
    if pad_end:  # the last patch ends with the repeated final sample
        assert torch.all(patches[:, :, -1, -1] == x[..., -1])
    tokens = embed(x)
    assert tokens.shape == (2, 3, expected, 6)
    torch.testing.assert_close(tokens, patches @ embed.proj.weight.T + embed.proj.bias)


def test_patch_embed_2d_counts_and_equivalence_with_linear_on_patches():
    torch.manual_seed(0)
    embed = PatchEmbed2d(patch_size=(4, 2), in_channels=3, dim=5)
    x = _randn(2, 3, 8, 6)
    tokens = embed(x)
    assert embed.grid_size(8, 6) == (2, 3) and embed.num_patches(8, 6) == 6
    assert tokens.shape == (2, 6, 5)
    # token (row r, col c) is a linear map of the pixels of that patch, row-major order
    r, c = 1, 2
    patch = x[:, :, 4 * r : 4 * r + 4, 2 * c : 2 * c + 2].flatten(1)
    expected = patch @ embed.proj.weight.flatten(1).T + embed.proj.bias
    torch.testing.assert_close(tokens[:, r * 3 + c], expected)
    with pytest.raises(ValueError):
        embed(_randn(2, 3, 7, 6))


def test_patch_embed_3d_spans_bands_and_space():
    torch.manual_seed(0)
    embed = PatchEmbed3d(patch_size=(8, 3, 3), dim=16, stride=(4, 3, 3))
    cube = _randn(2, 1, 30, 9, 9)
    assert embed.grid_size(30, 9, 9) == (6, 3, 3)
    tokens = embed(cube)
    assert tokens.shape == (2, embed.num_patches(30, 9, 9), 16) == (2, 54, 16)
    # token (band b, row r, col c) sees bands 4b..4b+7 and pixels of patch (r, c)
    b, r, c = 2, 1, 0
    block = cube[:, :, 4 * b : 4 * b + 8, 3 * r : 3 * r + 3, 3 * c : 3 * c + 3].flatten(1)
    expected = block @ embed.proj.weight.flatten(1).T + embed.proj.bias
    torch.testing.assert_close(tokens[:, (b * 3 + r) * 3 + c], expected)
    # gradients reach the input cube and the conv weights
    cube.requires_grad_(True)
    embed(cube).sum().backward()
    assert cube.grad.abs().sum() > 0 and embed.proj.weight.grad is not None
    with pytest.raises(ValueError):
        embed(_randn(2, 30, 9, 9))


@pytest.mark.parametrize("dim", [8, 7])
def test_sinusoidal_table_matches_formula(dim):
    table = sinusoidal_table(50, dim)
    for pos in (0, 1, 17, 49):
        for i in range(dim):
            angle = pos / 10_000 ** (2 * (i // 2) / dim)
            value = math.sin(angle) if i % 2 == 0 else math.cos(angle)
            assert table[pos, i].item() == pytest.approx(value, abs=1e-6)


def test_sinusoidal_encoding_adds_table_with_offset_and_beyond_max_len():
    enc = SinusoidalPositionalEncoding(dim=6, max_len=16)
    x = torch.zeros(2, 5, 6)
    torch.testing.assert_close(enc(x), sinusoidal_table(5, 6).expand(2, 5, 6))
    torch.testing.assert_close(enc(x, offset=3)[0], sinusoidal_table(8, 6)[3:])
    # positions past max_len are computed on the fly and continue the same formula
    torch.testing.assert_close(enc(x, offset=14)[0], sinusoidal_table(19, 6)[14:])
    assert "table" not in enc.state_dict()


def test_learned_positional_encoding():
    torch.manual_seed(0)
    enc = LearnedPositionalEncoding(max_len=10, dim=4)
    x = _randn(2, 6, 4).requires_grad_(True)
    y = enc(x, offset=2)
    torch.testing.assert_close(y, x + enc.weight[2:8])
    y.sum().backward()
    torch.testing.assert_close(enc.weight.grad[2:8], torch.full((6, 4), 2.0))
    assert enc.weight.grad[:2].abs().sum() == 0
    assert enc.weight.abs().max() <= 0.04 + 1e-6  # truncated at 2 std
    with pytest.raises(ValueError):
        enc(x, offset=5)


def test_rope_reexport_rotates_pairs_and_preserves_norm():
    rope = RotaryEmbedding(8)
    cos, sin = rope(6, dtype=torch.float64)
    q = _randn(1, 2, 6, 8).double()
    rotated = apply_rotary(q, cos, sin)
    torch.testing.assert_close(rotated.norm(dim=-1), q.norm(dim=-1))
    torch.testing.assert_close(rotated[..., 0, :], q[..., 0, :])  # position 0: no rotation
