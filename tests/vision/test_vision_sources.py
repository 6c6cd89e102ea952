"""Image sources: ImageFolder, CSV, zip of either, and their one-line errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from vision_helpers import zip_folder

from panspectra_core.errors import UserError
from panspectra_vision.data.sources import open_source


def test_image_folder_lists_every_image_with_its_class(png_folder: Path) -> None:
    source = open_source(png_folder)
    assert len(source.records) == 30
    assert source.class_names() == ["class0", "class1", "class2"]
    assert all(r.split is None for r in source.records)
    assert source.reader.read("class1/03.png")[:4] == b"\x89PNG"


def test_train_test_layout_keeps_the_official_split(png_folder: Path, tmp_path: Path) -> None:
    root = tmp_path / "split"
    for split in ("train", "test"):
        for cls in ("a", "b"):
            (root / split / cls).mkdir(parents=True)
            (root / split / cls / "x.png").write_bytes(
                (png_folder / "class0" / "00.png").read_bytes()
            )
    source = open_source(root)
    assert {r.split for r in source.records} == {"train", "test"}
    assert len(source.split("test")) == 2


def test_zip_of_a_folder_under_one_top_level_directory(png_folder: Path, tmp_path: Path) -> None:
    archive = zip_folder(png_folder, tmp_path / "imgs.zip", top="dataset")
    source = open_source(archive)
    assert len(source.records) == 30
    assert source.records[0].name.startswith("dataset/class0/")
    assert source.reader.read(source.records[0].name)[:4] == b"\x89PNG"


def test_csv_and_zipped_csv(png_folder: Path, tmp_path: Path) -> None:
    lines = ["path,label"] + [f"class{c}/0{i}.png,c{c}" for c in range(3) for i in range(3)]
    (png_folder / "labels.csv").write_text("\n".join(lines) + "\n")
    source = open_source(png_folder / "labels.csv")
    assert len(source.records) == 9 and source.class_names() == ["c0", "c1", "c2"]
    archive = zip_folder(png_folder, tmp_path / "withcsv.zip")
    zipped = open_source(archive)
    assert [r.label for r in zipped.records] == [r.label for r in source.records]


def test_csv_naming_a_missing_file_is_one_line(png_folder: Path) -> None:
    (png_folder / "labels.csv").write_text("path,label\nclass0/00.png,a\nnope.png,b\n")
    with pytest.raises(UserError, match=r"line 3: image 'nope.png' does not exist"):
        open_source(png_folder / "labels.csv")


def test_empty_class_folder_is_named(png_folder: Path) -> None:
    (png_folder / "empty_class").mkdir()
    with pytest.raises(UserError, match="class folder 'empty_class' holds no images"):
        open_source(png_folder)


def test_one_class_and_no_images_are_refused(tmp_path: Path, png_folder: Path) -> None:
    with pytest.raises(UserError, match="one class only"):
        open_source(_only(png_folder, tmp_path))
    with pytest.raises(UserError, match="no such file"):
        open_source(tmp_path / "missing")
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK not a zip")
    with pytest.raises(UserError, match="not a readable zip"):
        open_source(bad)


def _only(png_folder: Path, tmp_path: Path) -> Path:
    root = tmp_path / "one"
    (root / "cls").mkdir(parents=True)
    (root / "cls" / "a.png").write_bytes((png_folder / "class0" / "00.png").read_bytes())
    return root


def test_unlabelled_sources_for_prediction(png_folder: Path, tmp_path: Path) -> None:
    assert len(open_source(png_folder, labelled=False).records) == 30
    single = open_source(png_folder / "class2" / "05.png", labelled=False)
    assert [r.name for r in single.records] == ["05.png"]
    archive = zip_folder(png_folder, tmp_path / "p.zip")
    with zipfile.ZipFile(archive) as zf:
        assert len(open_source(archive, labelled=False).records) == len(zf.namelist())
