import json
import struct

import pytest
import torch

from panspectra_core.checkpoint import (
    CheckpointError,
    load_checkpoint,
    read_checkpoint_meta,
    save_checkpoint,
)
from tests.core.fixtures.checkpoint_model import FIXTURE, NAME, TinyMLP, fixture_input


def test_committed_fixture_still_loads_and_predicts_the_same():
    ckpt = load_checkpoint(FIXTURE)
    assert ckpt.meta.format_version == 1
    assert ckpt.meta.model_name == NAME
    assert ckpt.meta.preprocessing["labels"] == ["a", "b"]
    assert torch.equal(ckpt.extra_tensors["pca_components"], torch.eye(3))
    with torch.no_grad():
        out = ckpt.model(fixture_input())
    torch.testing.assert_close(out, torch.tensor(ckpt.meta.metrics["expected_output"]))
    assert not ckpt.model.training


def test_round_trip_keeps_weights_and_metadata(tmp_path):
    model = TinyMLP(3, 7, 2)
    path = save_checkpoint(
        tmp_path / "m.safetensors",
        model,
        model_name=NAME,
        model_kwargs={"in_features": 3, "hidden": 7, "out_features": 2},
        domain="test",
        config={"lr": 1e-3},
        metrics={"acc": 0.5},
        input_spec={"bands": 3},
    )
    ckpt = load_checkpoint(path)
    for (k, v), (k2, v2) in zip(model.state_dict().items(), ckpt.model.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    meta = read_checkpoint_meta(path)
    assert meta.config == {"lr": 1e-3} and meta.input_spec == {"bands": 3}
    assert "torch" in meta.versions


def test_tied_weights_are_saved(tmp_path):
    model = TinyMLP(3, 3, 3)
    model.net[2].weight = model.net[0].weight
    save_checkpoint(
        tmp_path / "t.safetensors",
        model,
        model_name=NAME,
        model_kwargs={"in_features": 3, "hidden": 3, "out_features": 3},
        domain="test",
    )


def test_wrong_shapes_are_refused(tmp_path):
    model = TinyMLP(3, 7, 2)
    path = save_checkpoint(
        tmp_path / "m.safetensors",
        model,
        model_name=NAME,
        model_kwargs={"in_features": 3, "hidden": 5, "out_features": 2},
        domain="test",
    )
    with pytest.raises(CheckpointError, match=r"shape \[7, 3\], the model has \[5, 3\]"):
        load_checkpoint(path)


def test_non_checkpoint_files_give_one_line_errors(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a safetensors checkpoint"):
        load_checkpoint(junk)


def test_newer_format_is_refused(tmp_path):
    path = tmp_path / "future.safetensors"
    header = {
        "__metadata__": {
            "panspectra": json.dumps(
                {"format_version": 99, "model_name": NAME, "model_kwargs": {}, "domain": "test"}
            )
        }
    }
    blob = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(blob)) + blob)
    with pytest.raises(CheckpointError, match="newer"):
        read_checkpoint_meta(path)
