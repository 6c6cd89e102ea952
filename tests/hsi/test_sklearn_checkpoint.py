"""SVM / RF baselines round-trip through the core's safetensors checkpoint (skops, no pickle);
untrusted content, types the model does not build and broken trees/arrays are refused before
scikit-learn's compiled code sees them; the CLI trains, saves and predicts with them."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from hsi_test_helpers import write_geotiff

from panspectra_core.checkpoint import load_checkpoint, save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.registry import create_model
from panspectra_core.safe_sklearn import check_tree_arrays, inspect_skops
from panspectra_core.testing.hostile_checkpoints import tamper_tree
from panspectra_hsi.cli import classify_main
from panspectra_hsi.models.sklearn_baselines import STATE_KEY

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


def payload_state(estimator) -> dict[str, torch.Tensor]:
    import skops.io

    return {STATE_KEY: torch.frombuffer(bytearray(skops.io.dumps(estimator)), dtype=torch.uint8)}


def test_untrusted_and_foreign_types_are_refused():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    model, _, _ = fitted("svm")
    evil = make_pipeline(FunctionTransformer(os.system), model.pipeline)
    fresh = create_model("svm", num_bands=BANDS, num_classes=CLASSES)
    with pytest.raises(UserError, match=r"does not produce.*FunctionTransformer"):
        fresh.load_state_dict(payload_state(evil))
    with pytest.raises(UserError, match="refused: not a skops file"):
        fresh.load_state_dict({STATE_KEY: torch.zeros(10, dtype=torch.uint8)})
    forest, _, _ = fitted("rf")  # a forest where the svm builder makes an SVC
    with pytest.raises(UserError, match=r"does not produce.*RandomForest"):
        fresh.load_state_dict(payload_state(forest.pipeline))


TAMPERINGS = [
    ("child_out_of_range", "out of range"),
    ("self_loop", "cycle"),
    ("feature_out_of_range", "feature index out of range"),
    ("nan_threshold", "non-finite threshold"),
    ("leaf_inconsistent", "leaves inconsistently"),
    ("node_count_overflow", "node_count"),
]


@pytest.mark.parametrize(("how", "message"), TAMPERINGS)
def test_tree_arrays_are_checked_before_any_tree_is_built(how, message):
    """Read as plain arrays from the skops zip (nothing constructed), each broken tree is
    refused; the untampered forest passes the same check."""
    import skops.io

    forest, _, _ = fitted("rf")
    payload = skops.io.dumps(forest.pipeline)
    for args, state in inspect_skops(payload)[1]:
        check_tree_arrays(args, state)
    args, state = inspect_skops(tamper_tree(payload, how))[1][0]
    with pytest.raises(ValueError, match=message):
        check_tree_arrays(args, state)
    fresh = create_model("rf", num_bands=BANDS, num_classes=CLASSES, n_estimators=5)
    bad = {STATE_KEY: torch.frombuffer(bytearray(tamper_tree(payload, how)), dtype=torch.uint8)}
    with pytest.raises(UserError, match=message):
        fresh.load_state_dict(bad)


def test_fitted_arrays_and_parameters_must_match_the_builder():
    svm, _, _ = fitted("svm")
    fresh_svm = create_model("svm", num_bands=BANDS, num_classes=CLASSES)
    svm.pipeline[-1]._n_support = svm.pipeline[-1]._n_support + 5  # libsvm would read past SVs
    with pytest.raises(UserError, match="SVC support vectors"):
        fresh_svm.load_state_dict(payload_state(svm.pipeline))
    svm, _, _ = fitted("svm")
    svm.pipeline[0].scale_[0] = 0.0
    with pytest.raises(UserError, match="scale_ has a zero"):
        fresh_svm.load_state_dict(payload_state(svm.pipeline))
    forest, _, _ = fitted("rf")  # 5 trees; the metadata claims 7
    fresh_rf = create_model("rf", num_bands=BANDS, num_classes=CLASSES, n_estimators=7)
    with pytest.raises(UserError, match="n_estimators=5, the model sets 7"):
        fresh_rf.load_state_dict(payload_state(forest.pipeline))
    wide = create_model("svm", num_bands=BANDS + 1, num_classes=CLASSES)
    with pytest.raises(UserError, match="fitted on 8 features, expected 9"):
        wide.load_state_dict(payload_state(fitted("svm")[0].pipeline))


def test_a_regression_forest_loads_and_its_broken_trees_do_not():
    """load_fitted also serves per-target regression forests (the mol domain's baseline)."""
    import skops.io
    from sklearn.ensemble import RandomForestRegressor

    from panspectra_core.safe_sklearn import load_fitted

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, BANDS)), rng.normal(size=60)
    template = RandomForestRegressor(n_estimators=4, random_state=0)
    payload = skops.io.dumps(RandomForestRegressor(n_estimators=4, random_state=0).fit(X, y))
    np.testing.assert_array_equal(
        load_fitted(payload, template, BANDS).predict(X),
        skops.io.loads(payload, trusted=skops.io.get_untrusted_types(data=payload)).predict(X),
    )
    with pytest.raises(ValueError, match="cycle"):
        load_fitted(tamper_tree(payload, "self_loop"), template, BANDS)


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
