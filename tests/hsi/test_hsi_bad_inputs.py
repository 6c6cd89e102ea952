"""hsi-classify train/predict/evaluate and hsi-unmix against the core's bad-input corpus: exit
2, one line naming the file or option, no traceback, nothing left behind."""

from __future__ import annotations

import numpy as np
import pytest
from hsi_test_helpers import make_synthetic_scene, tiny_classifier

from panspectra_core.registry import create_model
from panspectra_core.testing.bad_inputs import (
    CHECKPOINTS,
    BadInput,
    DomainTable,
    Verb,
    cases,
    run_case,
    run_good,
)
from panspectra_core.testing.hostile_checkpoints import edited

CLASSIFY, UNMIX = "panspectra_hsi.cli:classify_main", "panspectra_hsi.cli_unmix:unmix_main"
TRAIN = "train --cube {cube} --labels {labels} --model svm --seed 0 --quiet --output {output}"
PREDICT = ["predict", "--cube", "{cube}", "--quiet", "--output", "{output}"]
NPY_ROLES = [
    ("hsi-classify train", "cube"),
    ("hsi-classify train", "labels"),
    ("hsi-classify predict", "cube"),
    ("hsi-classify evaluate", "labels"),
    ("hsi-unmix", "cube"),
]


def _short_label_values(raw: dict, tensors: dict) -> None:
    raw["preprocessing"]["label_values"].pop()


def _patch_size_text(raw: dict, tensors: dict) -> None:
    raw["preprocessing"]["patch_size"] = "five"


TABLE = DomainTable(
    domain="hsi",
    extra=[
        BadInput("hsi_short_label_values", CHECKPOINTS, edited(_short_label_values)),
        BadInput("hsi_patch_size_text", CHECKPOINTS, edited(_patch_size_text)),
    ],
    verbs=[
        Verb(
            "hsi-classify train",
            CLASSIFY,
            TRAIN.split(),
            {"cube": "npy", "labels": "npy", "output": "output-dir"},
        ),
        Verb(
            "hsi-classify predict",
            CLASSIFY,
            [*PREDICT, "--checkpoint", "{checkpoint}"],
            {"checkpoint": "checkpoint", "cube": "npy", "output": "output-file"},
        ),
        Verb(
            "hsi-classify predict-rf",
            CLASSIFY,
            [*PREDICT, "--checkpoint", "{rf_checkpoint}"],
            {"rf_checkpoint": "sklearn-checkpoint"},
        ),
        Verb(
            "hsi-classify evaluate",
            CLASSIFY,
            "evaluate --checkpoint {checkpoint} --cube {cube} --labels {labels} --quiet".split(),
            {"checkpoint": "checkpoint", "labels": "npy"},
            outputs=(),
        ),
        Verb(
            "hsi-unmix",
            UNMIX,
            "--cube {cube} --endmembers 3 --method vca --quiet --output {output}".split(),
            {"cube": "npy", "output": "output-dir"},
        ),
        Verb(
            "hsi-classify train tif",
            CLASSIFY,
            TRAIN.replace("{cube}", "{cube_tif}").split(),
            {"cube_tif": "tif"},
        ),
        Verb(
            "hsi-classify predict tif",
            CLASSIFY,
            "predict --cube {cube_tif} --checkpoint {checkpoint} --quiet --output {output}".split(),
            {"cube_tif": "tif"},
        ),
        Verb(
            "hsi-unmix mat",
            UNMIX,
            ["--cube", "{cube_mat}", "--endmembers", "3", "--quiet", "--output", "{output}"],
            {"cube_mat": "mat"},
        ),
        Verb(
            "hsi-unmix npz",
            UNMIX,
            ["--cube", "{cube_npz}", "--endmembers", "3", "--quiet", "--output", "{output}"],
            {"cube_npz": "npz"},
        ),
    ],
    skip={
        ("hsi-classify predict", "cube", name): "predict maps pixels with NaN/inf bands to the "
        "ignore label (nodata), by design"
        for name in ("npy_nan", "npy_inf")
    },
)


@pytest.fixture(scope="module")
def good_inputs(tmp_path_factory):
    """A 16 x 16 x 12 scene as .npy/.mat/.npz/GeoTIFF, its labels, a torch and a random-forest
    checkpoint of the scene."""
    import rasterio
    from rasterio.transform import from_origin
    from scipy.io import savemat

    from panspectra_hsi.data import SpectralPreprocessor
    from panspectra_hsi.pipeline import PixelClassifier

    root = tmp_path_factory.mktemp("hsi-good")
    cube, labels = make_synthetic_scene(16, 16)
    paths = {
        "cube": root / "cube.npy",
        "labels": root / "labels.npy",
        "cube_mat": root / "cube.mat",
        "cube_npz": root / "cube.npz",
        "cube_tif": root / "cube.tif",
        "checkpoint": root / "tiny.safetensors",
        "rf_checkpoint": root / "rf.safetensors",
        "output": root / "map.tif",
    }
    np.save(paths["cube"], cube)
    np.save(paths["labels"], labels.astype(np.int64))
    savemat(paths["cube_mat"], {"cube": cube})
    np.savez(paths["cube_npz"], cube=cube)
    height, width, bands = cube.shape
    profile = {"driver": "GTiff", "height": height, "width": width, "count": bands}
    profile.update(dtype="float32", crs="EPSG:32633", transform=from_origin(5e5, 4e6, 30, 30))
    with rasterio.open(paths["cube_tif"], "w", **profile) as raster:
        raster.write(cube.transpose(2, 0, 1).astype(np.float32))
    tiny_kwargs = {"num_bands": 4, "num_classes": 3, "patch_size": 5}
    tiny = tiny_classifier(cube, model_kwargs=tiny_kwargs)
    tiny.save(paths["checkpoint"], config={}, metrics={}, protocol={})
    spectra = cube.reshape(-1, cube.shape[-1])
    prep = SpectralPreprocessor.fit(spectra)
    kwargs = {"num_bands": cube.shape[-1], "num_classes": 3, "n_estimators": 3}
    forest = create_model("rf", **kwargs)
    known = labels.reshape(-1) > 0
    forest.fit(
        prep.transform(cube).reshape(-1, cube.shape[-1])[known], labels.reshape(-1)[known] - 1
    )
    PixelClassifier(
        model=forest,
        preprocessor=prep,
        patch_size=1,
        class_names=["a", "b", "c"],
        label_values=[1, 2, 3],
        model_name="rf",
        model_kwargs=kwargs,
    ).save(paths["rf_checkpoint"], config={}, metrics={}, protocol={})
    return paths


def test_the_good_inputs_work(good_inputs, tmp_path):
    """The corpus means something only if the unbroken inputs pass every verb."""
    for verb in TABLE.verbs:
        outcome = run_good(verb, good_inputs, tmp_path)
        assert outcome.code == 0, f"{verb.name}: {outcome.stderr}"


@pytest.mark.parametrize("case", cases(TABLE))
def test_bad_input(case, good_inputs, tmp_path):
    run_case(case, good_inputs, tmp_path)
