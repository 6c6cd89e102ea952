"""vision-classify against the core's bad-input corpus: exit 2, one line naming the file or
option, no traceback, nothing left behind."""

from __future__ import annotations

import pytest
from vision_helpers import make_png_folder, zip_folder

from panspectra_core.testing.bad_inputs import (
    CORPUS,
    BadInput,
    DomainTable,
    Verb,
    cases,
    run_case,
    run_good,
    run_in_process,
)

ENTRY = "panspectra_vision.cli:main"
FAST = "--model cct_2_3x2_32 --epochs 1 --batch-size 8 --threads 2 --quiet"
#: the generic file breakages, applied to images and to zips of images
FILE_BREAKAGES = ("missing", "zero_byte", "directory", "truncated", "garbage")
EXTRA = [
    BadInput(f"{entry.name}", frozenset({"image", "zip"}), entry.make)
    for entry in CORPUS
    if entry.name in FILE_BREAKAGES
]

TABLE = DomainTable(
    domain="vision",
    verbs=[
        Verb(
            "vision-classify train",
            ENTRY,
            f"train --data {{data}} {FAST} --output {{output}}".split(),
            {"data": "zip", "output": "output-dir"},
        ),
        Verb(
            "vision-classify predict",
            ENTRY,
            "predict --checkpoint {checkpoint} --input {image} --quiet --output {output}".split(),
            {"checkpoint": "checkpoint", "image": "image", "output": "output-file"},
        ),
        Verb(
            "vision-classify explain",
            ENTRY,
            "explain --checkpoint {checkpoint} --input {image} --quiet --output {output}".split(),
            {"checkpoint": "checkpoint", "image": "image", "output": "output-dir"},
        ),
    ],
    extra=EXTRA,
)


@pytest.fixture(scope="module")
def good_inputs(tmp_path_factory):
    """A zip of 3 × 6 PNGs and a one-epoch CCT trained on it."""
    root = tmp_path_factory.mktemp("vision-good")
    images = make_png_folder(root / "images", per_class=6)
    data = zip_folder(images, root / "images.zip")
    run = root / "run"
    outcome = run_in_process(ENTRY, f"train --data {data} {FAST} --output {run}".split())
    assert outcome.code == 0, outcome.stderr
    return {
        "data": data,
        "image": images / "class1" / "02.png",
        "checkpoint": run / "model.safetensors",
        "output": root / "p.csv",
    }


def test_the_good_inputs_work(good_inputs, tmp_path):
    """The corpus means something only if the unbroken inputs pass every verb."""
    for verb in TABLE.verbs[1:]:
        outcome = run_good(verb, good_inputs, tmp_path)
        assert outcome.code == 0, f"{verb.name}: {outcome.stderr}"


@pytest.mark.parametrize("case", cases(TABLE))
def test_bad_input(case, good_inputs, tmp_path):
    run_case(case, good_inputs, tmp_path)
