"""``hsi-unmix`` end to end on a synthetic cube (.npy) and, when present, on Samson."""

from __future__ import annotations

import json

import numpy as np
import pytest

from panspectra_hsi.cli_unmix import unmix_main
from panspectra_hsi.unmixing import synthetic_mixture


@pytest.fixture
def cube_file(tmp_path):
    pixels, _, _ = synthetic_mixture(20 * 15, 3, 24, noise_std=0.005, seed=2)
    path = tmp_path / "cube.npy"
    np.save(path, pixels.reshape(20, 15, 24).astype(np.float32))
    return path


def test_unmix_cube_writes_all_outputs(cube_file, tmp_path):
    out = tmp_path / "run"
    code = unmix_main(["--cube", str(cube_file), "-k", "3", "--output", str(out), "--quiet"])
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["method"] == "nfindr" and metrics["num_endmembers"] == 3  # the default
    assert metrics["reconstruction_rmse"] < 0.02 and "mean_sad" not in metrics
    abundances = np.load(out / "abundances.npy")
    assert abundances.shape == (20, 15, 3)
    np.testing.assert_allclose(abundances.sum(-1), 1.0, atol=1e-5)
    header = (out / "endmembers.csv").read_text().splitlines()
    assert header[0].startswith("band,") and len(header) == 1 + 24
    assert (out / "abundance_maps.png").stat().st_size > 0
    assert not (out / "abundances.tif").exists()  # a .npy cube carries no georeference


def test_user_errors_exit_2(cube_file, tmp_path, capsys):
    out = tmp_path / "run"
    assert unmix_main(["--cube", str(cube_file), "--output", str(out)]) == 2  # no -k
    assert "--endmembers K is required" in capsys.readouterr().err
    assert unmix_main(["--dataset", "samson", "--cube", str(cube_file), "-o", str(out)]) == 2
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert unmix_main(["--cube", str(cube_file), "-k", "3", "-o", str(out)]) == 2
    assert (out / "keep.txt").exists()


@pytest.mark.data
def test_samson_vca_scores(tmp_path):
    pytest.importorskip("scipy")
    from panspectra_core.datasets import DatasetError

    out = tmp_path / "samson"
    try:
        code = unmix_main(["--dataset", "samson", "-o", str(out), "--quiet", "--seed", "0"])
    except DatasetError:
        pytest.skip("Samson not available")
    if code != 0:
        pytest.skip("Samson not available")
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["sad"]) == {"rock", "tree", "water"}
    assert metrics["mean_sad"] < 0.15  # VCA finds near-pure pixels of all three materials
    assert 0 < metrics["mean_rmse"] < 0.4


def test_georeferenced_cube_gets_abundance_geotiff(tmp_path):
    rasterio = pytest.importorskip("rasterio")
    pixels, _, _ = synthetic_mixture(12 * 10, 3, 8, seed=4)
    cube = pixels.reshape(12, 10, 8).astype(np.float32)
    path = tmp_path / "cube.tif"
    transform = rasterio.Affine(30.0, 0.0, 500000.0, 0.0, -30.0, 4100000.0)
    profile = {"driver": "GTiff", "height": 12, "width": 10, "count": 8, "dtype": "float32"}
    with rasterio.open(path, "w", crs="EPSG:32633", transform=transform, **profile) as dst:
        dst.write(np.moveaxis(cube, -1, 0))
    out = tmp_path / "run"
    assert unmix_main(["--cube", str(path), "-k", "3", "-o", str(out), "--quiet"]) == 0
    with rasterio.open(out / "abundances.tif") as src:
        assert src.count == 3 and src.crs.to_epsg() == 32633
        assert src.transform == transform
        np.testing.assert_allclose(src.read().sum(0), 1.0, atol=1e-5)


def test_cli_method_choices_match_the_unmixing_methods():
    from panspectra_hsi import cli_unmix, unmixing

    assert cli_unmix.METHODS == unmixing.METHODS


def test_unmix_writes_config_that_reproduces_the_run(cube_file, tmp_path):
    out, again = tmp_path / "run", tmp_path / "again"
    assert unmix_main(["--cube", str(cube_file), "-k", "3", "-o", str(out), "--quiet"]) == 0
    assert unmix_main(["--config", str(out / "config.yaml"), "-o", str(again), "--quiet"]) == 0
    first = json.loads((out / "metrics.json").read_text())
    second = json.loads((again / "metrics.json").read_text())
    assert first["config"] == second["config"] and first["config"]["endmembers"] == 3
    assert first["reconstruction_rmse"] == second["reconstruction_rmse"]
