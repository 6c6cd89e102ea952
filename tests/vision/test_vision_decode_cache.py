"""Decoding (8/16-bit, multi-page TIFF, gray in RGB, corrupt, too small) and the pixel cache."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from panspectra_vision.data import cache as cache_module
from panspectra_vision.data.cache import load_decoded
from panspectra_vision.data.decode import DecodeSpec, SkipImage, decode_image, read_array
from panspectra_vision.data.sources import open_source


def _bytes(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_16_bit_tiff_keeps_its_depth() -> None:
    values = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).astype(np.uint16)
    data = _bytes(Image.fromarray(values), "TIFF")
    arr = read_array(data)
    assert arr.dtype == np.uint16 and np.array_equal(arr[:, :, 0], values)
    out = decode_image(data, DecodeSpec(8, 1, bits=16), {})
    assert out.shape == (1, 8, 8) and np.array_equal(out[0], values)
    eight = decode_image(data, DecodeSpec(8, 1, bits=8), {})
    assert np.array_equal(eight[0], np.round(values / 257.0).astype(np.uint8))


def test_multi_page_tiff_becomes_channels() -> None:
    pages = [Image.fromarray(np.full((6, 6), 10 * (k + 1), np.uint8)) for k in range(5)]
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:])
    out = decode_image(buf.getvalue(), DecodeSpec(6, 5), {})
    assert out.shape == (5, 6, 6)
    assert out[:, 0, 0].tolist() == [10, 20, 30, 40, 50]


def test_gray_in_rgb_set_is_replicated_and_counted() -> None:
    gray = np.arange(16, dtype=np.uint8).reshape(4, 4) * 10
    counts: dict[str, int] = {}
    out = decode_image(_bytes(Image.fromarray(gray), "PNG"), DecodeSpec(4, 3), counts)
    assert counts == {"gray_to_rgb": 1}
    assert all(np.array_equal(out[c], gray) for c in range(3))


def test_corrupt_truncated_and_small_images_are_skipped() -> None:
    good = _bytes(Image.fromarray(np.zeros((32, 32, 3), np.uint8) + 7), "JPEG")
    for broken in (good[: len(good) // 2], b"not an image at all"):
        with pytest.raises(SkipImage, match="unreadable"):
            decode_image(broken, DecodeSpec(32, 3), {})
    tiny = _bytes(Image.fromarray(np.zeros((2, 2, 3), np.uint8)), "PNG")
    with pytest.raises(SkipImage, match="smaller than 4 px"):
        decode_image(tiny, DecodeSpec(32, 3, min_side=4), {})


def test_resize_keeps_aspect_by_centre_crop() -> None:
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, 10:30] = 255  # the centre square is white
    out = decode_image(_bytes(Image.fromarray(img), "PNG"), DecodeSpec(10, 3), {})
    assert out.shape == (3, 10, 10) and out[:, :, 1:-1].min() >= 250 and out.min() > 128


def test_cache_decodes_once_and_matches_pil(png_folder: Path, monkeypatch) -> None:
    source = open_source(png_folder)
    spec = DecodeSpec(32, 3)
    calls = []
    real = cache_module.decode_image
    monkeypatch.setattr(cache_module, "decode_image", lambda *a: calls.append(1) or real(*a))
    first = load_decoded(source.records, source.reader, spec)
    assert first.decoded and len(calls) == 30
    second = load_decoded(source.records, source.reader, spec)
    assert not second.decoded and len(calls) == 30  # read from the memory map
    assert torch.equal(first.pixels, second.pixels) and first.key == second.key
    for i in (0, 17, 29):
        pil = np.asarray(Image.open(png_folder / first.records[i].name)).transpose(2, 0, 1)
        assert np.array_equal(second.pixels[i].numpy(), pil)


def test_cache_key_follows_content(png_folder: Path) -> None:
    source = open_source(png_folder)
    spec = DecodeSpec(32, 3)
    key = load_decoded(source.records, source.reader, spec).key
    img = np.asarray(Image.open(png_folder / "class0" / "00.png")).copy()
    img[0, 0] = 255 - img[0, 0]
    Image.fromarray(img).save(png_folder / "class0" / "00.png")
    changed = load_decoded(source.records, source.reader, spec)
    assert changed.decoded and changed.key != key
    assert load_decoded(source.records, source.reader, DecodeSpec(16, 3)).key != changed.key


def test_corrupt_file_in_a_set_is_counted(png_folder: Path) -> None:
    (png_folder / "class1" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    source = open_source(png_folder)
    decoded = load_decoded(source.records, source.reader, DecodeSpec(32, 3), use_cache=False)
    assert decoded.counts == {"skipped_unreadable": 1}
    assert len(decoded.records) == 30 and decoded.skipped[0][0] == "class1/broken.png"
