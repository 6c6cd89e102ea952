"""Issue 21 items 5-7 in the hsi data layer: broken inputs are one-line errors naming the file
or the field, and a corrupted named dataset is never swapped for another copy."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from panspectra_core.errors import UserError
from panspectra_hsi.data import HSIDataError, load_scene, open_cube, read_array
from panspectra_hsi.data.named import load_indian_pines, tensorly_data_dir
from panspectra_hsi.data.protocols import disjoint_split, random_split


def _one_line(info) -> str:
    message = str(info.value)
    assert "\n" not in message and message
    return message


# -- item 5: a corrupted named dataset ----------------------------------------------------


@pytest.fixture
def wheel_dir():
    dirs = tensorly_data_dir()
    if not dirs or not (dirs[0] / "Indian_pines_corrected.npy").exists():
        pytest.skip("tensorly's Indian Pines copy is not installed")
    return dirs[0]


def test_corrupted_indian_pines_is_refused_not_replaced_by_the_wheel_copy(
    tmp_path, monkeypatch, wheel_dir
):
    shared = tmp_path / "data" / "hyperspectral" / "indian_pines"
    shared.mkdir(parents=True)
    for name in ("Indian_pines_corrected.npy", "Indian_pines_gt.npy"):
        shutil.copy(wheel_dir / name, shared / name)
    corrupted = shared / "Indian_pines_corrected.npy"
    data = bytearray(corrupted.read_bytes())
    data[-100] ^= 0xFF  # one flipped byte, same size
    corrupted.write_bytes(bytes(data))
    monkeypatch.setenv("PANSPECTRA_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("PANSPECTRA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(UserError) as info:
        load_indian_pines(download=False)
    assert str(corrupted) in _one_line(info) and "sha256" in str(info.value)


def test_named_scene_records_which_copy_and_hash_were_used(tmp_path, monkeypatch, wheel_dir):
    monkeypatch.setenv("PANSPECTRA_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("PANSPECTRA_CACHE", str(tmp_path / "cache"))
    scene = load_indian_pines(download=False)
    files = {entry["file"]: entry for entry in scene.provenance}
    assert set(files) == {"Indian_pines_corrected.npy", "Indian_pines_gt.npy"}
    cube = files["Indian_pines_corrected.npy"]
    assert cube["source"] == f"extra:{wheel_dir}"
    assert cube["sha256"].startswith("8f038e4d8156")


# -- item 6: broken cube files ------------------------------------------------------------


def _cube(tmp_path):
    cube = np.random.default_rng(0).random((6, 5, 4)).astype(np.float32)
    path = tmp_path / "cube.npy"
    np.save(path, cube)
    return path, cube


@pytest.mark.parametrize("cut", ["zero", "header", "data"])
def test_truncated_or_empty_npy_is_one_line_error(tmp_path, cut):
    path, _ = _cube(tmp_path)
    raw = path.read_bytes()
    path.write_bytes({"zero": b"", "header": raw[:40], "data": raw[:-17]}[cut])
    with pytest.raises(HSIDataError) as info:
        open_cube(path)
    assert str(path) in _one_line(info)
    with pytest.raises(HSIDataError):
        read_array(path, None, ndim=3, what="cube")


def test_object_and_text_npy_are_refused(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.empty((2, 2, 2), dtype=object), allow_pickle=True)
    with pytest.raises(HSIDataError, match="dtype object") as info:
        open_cube(path)
    assert str(path) in _one_line(info)
    text = tmp_path / "text.npy"
    np.save(text, np.full((2, 2, 2), "a"))
    with pytest.raises(HSIDataError, match="numeric"):
        open_cube(text)
    npz = tmp_path / "obj.npz"
    np.savez(npz, cube=np.empty((2, 2, 2), dtype=object))
    with pytest.raises(HSIDataError) as info:
        open_cube(npz)
    assert str(npz) in _one_line(info)


@pytest.mark.parametrize("name", ["folder", "folder.npy", "folder.tif", "folder.mat"])
def test_directory_as_cube_or_labels_is_one_line_error(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    with pytest.raises(HSIDataError, match="is a directory") as info:
        open_cube(folder)
    assert str(folder) in _one_line(info)
    with pytest.raises(HSIDataError, match="is a directory"):
        read_array(folder, None, ndim=2, what="labels")


# -- items 6 and 7: fields ----------------------------------------------------------------


@pytest.mark.parametrize("bad", [[999], [-1], [1, 1]])
def test_drop_bands_out_of_range_or_repeated_is_refused(tmp_path, bad):
    path, _ = _cube(tmp_path)
    with pytest.raises(HSIDataError, match="--drop-bands") as info:
        load_scene(path, drop_bands=bad)
    assert str(path) in _one_line(info)


def test_drop_bands_cannot_drop_every_band(tmp_path):
    path, _ = _cube(tmp_path)
    with pytest.raises(HSIDataError, match="every band"):
        load_scene(path, drop_bands=[0, 1, 2, 3])


def test_valid_drop_bands_still_work(tmp_path):
    path, cube = _cube(tmp_path)
    scene = load_scene(path, drop_bands=[1, 3])
    np.testing.assert_array_equal(scene.cube, cube[:, :, [0, 2]])


@pytest.mark.parametrize("split", [random_split, disjoint_split])
@pytest.mark.parametrize("value", [float("nan"), 0.0, -0.1, 1.0, 1.5, float("inf")])
def test_train_fraction_outside_zero_one_is_refused(split, value, synthetic_scene):
    _, labels = synthetic_scene
    with pytest.raises(UserError, match=r"train_fraction=.*expected a fraction in \(0, 1\)"):
        split(labels, train_fraction=value)


@pytest.mark.parametrize(
    "field_value",
    [
        {"val_fraction": float("nan")},
        {"val_fraction": 1.0},
        {"train_count": 0},
        {"min_per_class": -1},
    ],
)
def test_other_split_fields_are_checked(field_value, synthetic_scene):
    _, labels = synthetic_scene
    name = next(iter(field_value))
    with pytest.raises(UserError, match=name):
        random_split(labels, **field_value)


def test_empty_cube_and_truncated_npz_are_one_line_errors(tmp_path):
    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros((0, 5, 4), dtype=np.float32))
    with pytest.raises(HSIDataError, match="empty") as info:
        open_cube(empty)
    assert str(empty) in _one_line(info)
    npz = tmp_path / "cube.npz"
    np.savez(npz, cube=np.ones((4, 4, 3), dtype=np.float32))
    npz.write_bytes(npz.read_bytes()[:60])
    with pytest.raises(HSIDataError, match=r"not a readable \.npz") as info:
        open_cube(npz)
    assert str(npz) in _one_line(info)
