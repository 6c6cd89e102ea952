"""``hsi-unmix`` on scenes stored the way many are shared: a 2-D ``bands × pixels`` matrix in a
.mat with ``nRow``/``nCol``/``nBand``/``maxValue`` keys, reference ``M``/``A`` in another file."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from scipy.io import savemat

from panspectra_hsi.cli_unmix import unmix_main
from panspectra_hsi.data import HSIDataError, open_cube
from panspectra_hsi.unmixing import synthetic_mixture, unmix

H, W, B, K = 12, 9, 20, 3


@pytest.fixture
def scene_files(tmp_path):
    """A MATLAB-layout scene: V = bands x pixels (column-major pixels), raw uint16 counts."""
    pixels, endmembers, abundances = synthetic_mixture(H * W, K, B, noise_std=0.002, seed=5)
    cube = pixels.reshape(H, W, B, order="F")  # the image whose MATLAB matrix is V
    truth = abundances.reshape(H, W, K, order="F")
    counts = np.round(pixels * 4000).astype(np.uint16)
    scene = tmp_path / "scene.mat"
    savemat(scene, {"V": counts.T, "nRow": H, "nCol": W, "nBand": B + 5, "maxValue": 4000})
    reference = tmp_path / "end3.mat"
    savemat(reference, {"M": endmembers.T, "A": abundances.T})
    return tmp_path, scene, reference, cube, truth


def _run(tmp_path, *args) -> tuple[int, dict]:
    out = tmp_path / "run"
    code = unmix_main([*args, "-o", str(out), "--quiet", "--overwrite"])
    metrics = json.loads((out / "metrics.json").read_text()) if code == 0 else {}
    return code, metrics


def test_matrix_is_reshaped_in_matlab_order_from_the_declared_size(scene_files):
    tmp_path, scene, reference, cube, truth = scene_files
    source = open_cube(scene)
    assert source.shape == (H, W, B)
    np.testing.assert_allclose(source.read() / 4000, cube, atol=2e-4)
    assert any("nRow/nCol" in note for note in source.notes)
    assert any("nBand=25 disagrees" in note for note in source.notes)
    code, metrics = _run(tmp_path, "--cube", str(scene), "--reference", str(reference))
    assert code == 0
    abundances = np.load(tmp_path / "run" / "abundances.npy")
    assert np.abs(abundances - truth).max() < 0.1  # the right pixels in the right place
    assert metrics["mean_sad"] < 0.05 and metrics["mean_rmse"] < 0.05
    assert metrics["input_scaling"] == {"divided_by": 4000.0, "source": "the file's maxValue"}


def test_wrong_order_or_shape_is_visible_or_refused(scene_files, tmp_path):
    _, scene, _, cube, _ = scene_files
    assert not np.allclose(open_cube(scene, order="C").read() / 4000, cube, atol=1e-3)
    with pytest.raises(HSIDataError, match=r"no axis of H\*W = 10\*10"):
        open_cube(scene, shape=(10, 10))
    bare = tmp_path / "bare.mat"
    savemat(bare, {"V": np.ones((B, H * W))})
    with pytest.raises(HSIDataError, match=r"2-D matrix.*--shape H,W"):
        open_cube(bare)
    assert open_cube(bare, shape=(H, W)).shape == (H, W, B)
    np.save(tmp_path / "matrix.npy", (cube.reshape(-1, B, order="F")).T)
    np.testing.assert_allclose(
        open_cube(tmp_path / "matrix.npy", shape=(H, W)).read(), cube, rtol=1e-6
    )


def test_max_value_flag_and_normalisation_note(scene_files, tmp_path):
    _, scene, _, cube, _ = scene_files
    code, metrics = _run(tmp_path, "--cube", str(scene), "-k", "3", "--max-value", "8000")
    assert code == 0 and metrics["input_scaling"]["divided_by"] == 8000.0
    raw = tmp_path / "raw.npy"
    np.save(raw, (cube * 4000).astype(np.float32))
    code, metrics = _run(tmp_path, "--cube", str(raw), "-k", "3")
    assert code == 0 and metrics["input_scaling"]["source"].startswith("the data maximum")
    assert _run(tmp_path, "--cube", str(raw), "-k", "3", "--max-value", "nan")[0] == 2


def test_reference_with_wrong_band_count_is_a_one_line_error(scene_files, tmp_path, capsys):
    _, scene, _, _, _ = scene_files
    bad = tmp_path / "bad_ref.mat"
    savemat(bad, {"M": np.ones((B + 1, K))})
    assert _run(tmp_path, "--cube", str(scene), "--reference", str(bad))[0] == 2
    err = capsys.readouterr().err.strip()
    assert "bad_ref.mat" in err and "20 bands" in err and len(err.splitlines()) == 1


def test_vca_restarts_keep_the_lowest_reconstruction_error():
    pixels, _, _ = synthetic_mixture(200, 4, 24, noise_std=0.01, seed=1)
    single = [unmix(pixels, 4, "vca", seed=s).reconstruction_rmse for s in range(4)]
    best = unmix(pixels, 4, "vca", seed=0, restarts=4)
    assert best.restart_rmse == pytest.approx(single)
    assert best.reconstruction_rmse == pytest.approx(min(single))


def test_autoencoder_stuck_on_unscaled_data_warns(caplog):
    pixels, _, _ = synthetic_mixture(200, 3, 16, noise_std=0.002, seed=3)
    with caplog.at_level(logging.WARNING, logger="panspectra.hsi.unmix"):
        stuck = unmix(pixels * 10000, 3, "autoencoder", ae_epochs=1)
    assert stuck.warnings and "unscaled" in stuck.warnings[0]
    assert any("unscaled" in r.getMessage() for r in caplog.records)
    moving = unmix(pixels, 3, "autoencoder", ae_epochs=1)
    assert moving.warnings == []
