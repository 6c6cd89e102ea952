"""End-to-end: the real ``hsi-classify`` CLI in-process on small synthetic scenes.

A tiny stand-in patch model is registered here so these tests do not depend on the zoo.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hsi_test_helpers import TINY, write_geotiff

from panspectra_hsi.cli import classify_main


@pytest.mark.slow
def test_train_predict_evaluate_geotiff_keeps_georeference(tmp_path, capsys, scene_factory):
    import rasterio

    cube, labels = scene_factory(height=24, width=24)
    transform = write_geotiff(tmp_path / "cube.tif", cube, crs="EPSG:32633")
    write_geotiff(tmp_path / "gt.tif", labels.astype(np.uint8)[:, :, None], crs="EPSG:32633")
    out = tmp_path / "run"
    argv = [
        "train",
        "--cube",
        str(tmp_path / "cube.tif"),
        "--labels",
        str(tmp_path / "gt.tif"),
        "--model",
        TINY,
        "--protocol",
        "random",
        "--train-fraction",
        "0.2",
        "--seed",
        "0",
        "--patch-size",
        "3",
        "--pca",
        "4",
        "--epochs",
        "6",
        "--lr",
        "0.05",
        "--batch-size",
        "32",
        "--augment",
        "--tta",
        "2",
        "--smooth-radius",
        "1",
        "--accelerator",
        "cpu",
        "--quiet",
        "--output",
        str(out),
    ]
    assert classify_main(argv) == 0
    printed = capsys.readouterr().out
    assert "OA" in printed and "classification_map.tif" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("overall_accuracy", "average_accuracy", "kappa"):
        assert 0.0 <= metrics[key] <= 1.0
    assert metrics["overall_accuracy"] > 0.8  # the synthetic classes are easy: it must learn
    assert metrics["protocol"]["name"] == "random" and metrics["train_seconds"] > 0
    assert metrics["time_limit_reached"] is False  # no --max-train-minutes given
    assert (metrics["config"]["augment"], metrics["config"]["tta"]) == (True, 2)
    assert metrics["config"]["smooth_radius"] == 1 and 0 <= metrics["val_overall_accuracy"] <= 1
    assert len(metrics["confusion_matrix"]) == 3 and set(metrics["per_class_accuracy"]) == {
        "class 1",
        "class 2",
        "class 3",
    }
    with rasterio.open(out / "classification_map.tif") as ds:
        assert ds.crs.to_epsg() == 32633 and ds.transform == transform
        trained_map = ds.read(1)
    # refuses to overwrite without --overwrite, before doing any work
    assert classify_main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    # predict tile by tile (TTA + smoothing come from the checkpoint) → same map and georeference
    ckpt = out / "model.safetensors"
    predict = [
        "predict",
        "--checkpoint",
        str(ckpt),
        "--cube",
        str(tmp_path / "cube.tif"),
        "--tile-size",
        "7",
        "--quiet",
        "--output",
        str(tmp_path / "map.tif"),
    ]
    assert classify_main(predict) == 0
    with rasterio.open(tmp_path / "map.tif") as ds:
        assert ds.crs.to_epsg() == 32633 and ds.transform == transform
        np.testing.assert_array_equal(ds.read(1), trained_map)
        assert "1=class 1" in ds.tags()["classes"]
    assert classify_main(predict) == 2  # exists, no --overwrite
    # evaluate re-scores the checkpoint on the scene
    assert (
        classify_main(
            [
                "evaluate",
                "--checkpoint",
                str(ckpt),
                "--cube",
                str(tmp_path / "cube.tif"),
                "--labels",
                str(tmp_path / "gt.tif"),
            ]
        )
        == 0
    )
    assert "OA" in capsys.readouterr().out


@pytest.mark.slow
def test_envi_input_fixed_split_with_sklearn_baseline(tmp_path, scene_factory):
    spectral = pytest.importorskip("spectral")
    cube, labels = scene_factory(height=20, width=20)
    spectral.envi.save_image(
        str(tmp_path / "cube.hdr"), cube, metadata={"wavelength": [str(w) for w in range(12)]}
    )
    train = np.where((np.arange(20)[:, None] % 2 == 0), labels, 0)
    test = np.where(train == 0, labels, 0)
    np.save(tmp_path / "train.npy", train)
    np.save(tmp_path / "test.npy", test)
    argv = [
        "train",
        "--cube",
        str(tmp_path / "cube.hdr"),
        "--train-labels",
        str(tmp_path / "train.npy"),
        "--test-labels",
        str(tmp_path / "test.npy"),
        "--model",
        "svm",
        "--class-names",
        "soil,tree,water",
        "--quiet",
        "--output",
        str(tmp_path / "run"),
    ]
    assert classify_main(argv) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["protocol"]["name"] == "fixed"
    assert metrics["num_test_pixels"] == int((test > 0).sum())
    assert metrics["overall_accuracy"] > 0.9  # well-separated synthetic classes
    assert set(metrics["per_class_accuracy"]) == {"soil", "tree", "water"}


@pytest.mark.parametrize(
    ("protocol", "model", "smooth_radius"),
    [("disjoint", "svm", 10), ("random", "ssftt", 1)],
)
def test_without_model_the_protocols_benchmark_winner_is_used(
    tmp_path, monkeypatch, scene_factory, protocol, model, smooth_radius
):
    from panspectra_hsi.pipeline import finalize
    from panspectra_hsi.pipeline import runs as runs_module

    cube, labels = scene_factory(height=40, width=40)
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", labels)
    chosen = []
    real = runs_module.train_classifier

    def spy(scene, options, **kwargs):
        chosen.append(finalize(options))
        if chosen[-1].model != "svm":  # the patch models are not trained here
            raise SystemExit(0)
        return real(scene, options, **kwargs)

    monkeypatch.setattr(runs_module, "train_classifier", spy)
    argv = ["train", "--cube", str(tmp_path / "cube.npy"), "--labels", str(tmp_path / "gt.npy")]
    argv += ["--protocol", protocol, "--quiet", "--output", str(tmp_path / "run")]
    try:
        classify_main(argv)
    except SystemExit:
        pass
    resolved = chosen[0]
    assert (resolved.model, resolved.smooth_radius) == (model, smooth_radius)
    if protocol == "disjoint":
        metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
        assert metrics["model"] == "svm"
        assert metrics["config"]["smooth_method"] == "random_walker"
        assert metrics["config"]["nuisance_dims"] == 1
        # every training pixel trains (nothing is chosen on validation pixels)
        assert metrics["config"]["val_fraction"] == 0.0 and metrics["protocol"]["val_pixels"] == 0
        # patch radius 0, training pixels out of the filter windows: no guard band needed
        assert metrics["protocol"]["guard_radius"] == 0
    # an explicit flag still wins over the protocol default
    chosen.clear()
    argv = [*argv[:-2], "--smooth-radius", "2", "--overwrite", "--output", str(tmp_path / "run")]
    try:
        classify_main(argv)
    except SystemExit:
        pass
    assert chosen[0].smooth_radius == 2


def test_user_errors_exit_2_with_one_line(tmp_path, capsys, scene_factory):
    from scipy.io import savemat

    cube, labels = scene_factory(height=10, width=10)
    savemat(tmp_path / "scene.mat", {"radiance": cube})
    np.save(tmp_path / "gt.npy", labels)
    code = classify_main(
        [
            "train",
            "--cube",
            str(tmp_path / "scene.mat"),
            "--cube-key",
            "cube",
            "--labels",
            str(tmp_path / "gt.npy"),
            "--output",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "scene.mat: no variable 'cube' (found: radiance (10, 10, 12))" in err
    assert not (tmp_path / "o").exists()
    np.save(tmp_path / "bad_gt.npy", labels[:, :7])
    code = classify_main(
        [
            "train",
            "--cube",
            str(tmp_path / "scene.mat"),
            "--labels",
            str(tmp_path / "bad_gt.npy"),
            "--output",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2 and "does not match the cube" in capsys.readouterr().err
    assert classify_main(["train", "--output", str(tmp_path / "o")]) == 2
    assert "pass --dataset NAME or --cube PATH" in capsys.readouterr().err


def test_a_broken_geotiff_is_one_line_even_when_not_quiet(tmp_path, capsys, scene_factory):
    """rasterio logs each GDAL error (at INFO) before raising it; the CLI prints only its own
    line, for a file GDAL cannot open and for one whose pixels end early."""
    cube, labels = scene_factory(height=10, width=10)
    write_geotiff(tmp_path / "scene.tif", cube.astype(np.float32))
    whole = (tmp_path / "scene.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(whole[: len(whole) - 200])
    (tmp_path / "junk.tif").write_bytes(b"not a raster\n" * 20)
    np.save(tmp_path / "gt.npy", labels)
    for name in ("cut.tif", "junk.tif"):
        argv = ["train", "--cube", str(tmp_path / name), "--labels", str(tmp_path / "gt.npy")]
        code = classify_main([*argv, "--model", "svm", "--output", str(tmp_path / "o")])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1 and f"{name}: cannot" in err, err
        assert not (tmp_path / "o").exists()


def test_list_models_and_info(tmp_path, capsys, scene_factory):
    assert classify_main(["list-models"]) == 0
    listing = capsys.readouterr().out
    assert TINY in listing and "Stand-in model" in listing
    assert "mixed_ensemble" in listing and "svm" in listing
    assert classify_main(["info"]) == 0  # datasets, protocols, smoothers, versions
    listing = capsys.readouterr().out
    assert "disjoint" in listing and "random_walker" in listing and "hsi-classify (" in listing
    cube, labels = scene_factory(height=10, width=10)
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", labels)
    assert (
        classify_main(
            ["info", "--cube", str(tmp_path / "cube.npy"), "--labels", str(tmp_path / "gt.npy")]
        )
        == 0
    )
    info = json.loads(capsys.readouterr().out)
    assert info["shape"] == [10, 10, 12] and info["labelled_pixels"] == int((labels > 0).sum())


@pytest.mark.data
def test_named_indian_pines_matches_its_manifest():
    from panspectra_hsi.data import load_named_scene

    try:
        scene = load_named_scene("indian_pines", download=False)
    except Exception as exc:  # no shared data and no tensorly copy
        pytest.skip(f"Indian Pines not available offline: {exc}")
    assert scene.shape == (145, 145, 200)
    assert scene.class_names[8] == "Oats" and scene.class_counts()[9] == 20
    assert sum(scene.class_counts().values()) == 10249
    assert scene.wavelengths.shape == (200,) and 400 <= scene.wavelengths[0] < scene.wavelengths[-1]


def test_seeds_write_one_folder_each_and_a_summary(tmp_path, scene_factory):
    cube, labels = scene_factory(height=16, width=16)
    np.save(tmp_path / "cube.npy", cube)
    np.save(tmp_path / "gt.npy", labels)
    out = tmp_path / "run"
    argv = ["train", "--cube", str(tmp_path / "cube.npy"), "--labels", str(tmp_path / "gt.npy")]
    argv += ["--model", "svm", "--seeds", "0,1", "--quiet", "--output", str(out)]
    assert classify_main(argv) == 0
    summary = json.loads((out / "metrics.json").read_text())
    per_seed = [json.loads((out / f"seed_{s}" / "metrics.json").read_text()) for s in (0, 1)]
    assert summary["seeds"] == [0, 1] and [m["seed"] for m in per_seed] == [0, 1]
    values = [m["overall_accuracy"] for m in per_seed]
    assert summary["seed_summary"]["overall_accuracy"]["values"] == values
    assert summary["overall_accuracy"] == pytest.approx(sum(values) / 2)
    for seed in (0, 1):
        folder = out / f"seed_{seed}"
        for name in ("model.safetensors", "classification_map.png", "confusion_matrix.png"):
            assert (folder / name).is_file(), name
        assert (folder / "config.yaml").is_file()
    assert (out / "config.yaml").is_file() and not (out / "model.safetensors").exists()
