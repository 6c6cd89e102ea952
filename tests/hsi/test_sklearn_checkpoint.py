"""SVM / RF baselines round-trip through the core's safetensors checkpoint (skops, no pickle);
untrusted content and broken trees are refused; the CLI trains, saves and predicts with them."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hsi_test_helpers import write_geotiff

from panspectra_core.checkpoint import load_checkpoint, save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.registry import create_model
from panspectra_hsi.cli import classify_main
from panspectra_hsi.models.sklearn_baselines import STATE_KEY, check_tree_nodes

pytest.importorskip("skops")

BANDS, CLASSES = 8, 3


def fitted(name):
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, size=(CLASSES, BANDS))
    y = np.repeat(np.arange(1, CLASSES + 1), 15)
    X = centres[y - 1] + rng.normal(0, 0.5, size=(len(y), BANDS))
    kwargs = {"n_estimators": 5} if name == "rf" else {}
    model = create_model(name, num_bands=BANDS, num_classes=CLASSES, **kwargs)
    return model.fit(X, y), X, kwargs


@pytest.mark.parametrize("name", ["svm", "rf"])
def test_checkpoint_round_trip_gives_identical_probabilities(tmp_path, name):
    model, X, kwargs = fitted(name)
    path = save_checkpoint(
        tmp_path / "m.safetensors",
        model,
        model_name=name,
        model_kwargs={"num_bands": BANDS, "num_classes": CLASSES, **kwargs},
        domain="hsi",
    )
    loaded = load_checkpoint(path).model
    assert loaded is not model and loaded.is_sklearn
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)


def test_svm_score_scale_sharpens_probabilities_and_survives_the_checkpoint(tmp_path):
    from panspectra_hsi.models.sklearn_baselines import scores_to_probabilities

    plain, X, _ = fitted("svm")
    sharp = create_model("svm", num_bands=BANDS, num_classes=CLASSES, score_scale=3.0).fit(
        X, np.repeat(np.arange(1, CLASSES + 1), 15)
    )
    scores = plain.pipeline.decision_function(X)
    np.testing.assert_allclose(sharp.predict_proba(X), scores_to_probabilities(3.0 * scores))
    np.testing.assert_array_equal(sharp.predict(X), plain.predict(X))  # same arg-max
    assert sharp.predict_proba(X).max(1).mean() > plain.predict_proba(X).max(1).mean()
    kwargs = {"num_bands": BANDS, "num_classes": CLASSES, "score_scale": 3.0}
    path = save_checkpoint(
        tmp_path / "m.safetensors", sharp, model_name="svm", model_kwargs=kwargs, domain="hsi"
    )
    np.testing.assert_array_equal(
        load_checkpoint(path).model.predict_proba(X), sharp.predict_proba(X)
    )


def test_untrusted_types_are_refused():
    import skops.io
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    model, _, _ = fitted("svm")
    evil = make_pipeline(FunctionTransformer(os.system), model.pipeline)
    state = {STATE_KEY: torch.frombuffer(bytearray(skops.io.dumps(evil)), dtype=torch.uint8)}
    fresh = create_model("svm", num_bands=BANDS, num_classes=CLASSES)
    with pytest.raises(UserError, match="untrusted types"):
        fresh.load_state_dict(state)
    with pytest.raises(UserError, match="refused"):
        fresh.load_state_dict({STATE_KEY: torch.zeros(10, dtype=torch.uint8)})


def test_tree_node_check_rejects_out_of_range_indices():
    model, _, _ = fitted("rf")
    check_tree_nodes(model.pipeline)  # a real forest passes
    tree = model.pipeline[-1].estimators_[0].tree_
    arrays = {
        "node_count": tree.node_count,
        "children_left": tree.children_left.copy(),
        "children_right": tree.children_right.copy(),
        "feature": tree.feature.copy(),
        "n_features": tree.n_features,
        "value": tree.value,
    }
    internal = np.flatnonzero(arrays["children_left"] != -1)[0]
    for field, bad in [("children_left", 10**6), ("feature", BANDS), ("children_right", -5)]:
        broken = dict(arrays)
        broken[field] = arrays[field].copy()
        broken[field][internal] = bad
        forest = SimpleNamespace(estimators_=[SimpleNamespace(tree_=SimpleNamespace(**broken))])
        with pytest.raises(ValueError, match="out of range"):
            check_tree_nodes(SimpleNamespace(steps=[("rf", forest)]))


def test_cli_svm_run_writes_a_checkpoint_that_predicts(tmp_path, scene_factory):
    import rasterio

    cube, labels = scene_factory(height=16, width=16)
    write_geotiff(tmp_path / "cube.tif", cube)
    write_geotiff(tmp_path / "gt.tif", labels.astype(np.uint8)[:, :, None])
    run = tmp_path / "run"
    common = ["--quiet", "--output"]
    train = ["train", "--cube", str(tmp_path / "cube.tif"), "--labels", str(tmp_path / "gt.tif")]
    assert classify_main([*train, "--model", "svm", "--seed", "0", *common, str(run)]) == 0
    assert (run / "model.safetensors").is_file()
    predict = ["predict", "--checkpoint", str(run / "model.safetensors")]
    predict += ["--cube", str(tmp_path / "cube.tif"), *common, str(tmp_path / "map.tif")]
    assert classify_main(predict) == 0
    with (
        rasterio.open(run / "classification_map.tif") as trained,
        rasterio.open(tmp_path / "map.tif") as predicted,
    ):
        np.testing.assert_array_equal(predicted.read(1), trained.read(1))
