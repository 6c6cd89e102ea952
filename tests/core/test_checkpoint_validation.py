"""load_checkpoint treats the file as hostile: metadata types, the model's domain, builder
argument types, parameter shapes from a meta-device build (nothing allocated from the file's
numbers), the content hash, finite weights, positive stored scales and domain validators."""

from __future__ import annotations

import pytest
import torch

from panspectra_core.checkpoint import (
    CheckpointError,
    load_checkpoint,
    read_checkpoint_meta,
    register_checkpoint_validator,
    save_checkpoint,
)
from panspectra_core.registry import MODELS, register_model
from panspectra_core.testing.hostile_checkpoints import read_raw, write_raw
from tests.core.fixtures.checkpoint_model import FIXTURE, NAME, TinyMLP

SPY = "_checkpoint_spy_mlp"
BUILD_DEVICES: list[str] = []

if SPY not in MODELS:

    @register_model(SPY, domain="spy-domain")
    def _spy(in_features: int, hidden: int = 4, scale: float = 1.0) -> torch.nn.Module:
        """Records the device each build happens on (meta = a shape check, no memory)."""
        BUILD_DEVICES.append(str(torch.empty(0).device))
        return TinyMLP(in_features, hidden, 2)


@pytest.fixture
def good(tmp_path):
    torch.manual_seed(0)
    return save_checkpoint(
        tmp_path / "good.safetensors",
        TinyMLP(3, 4, 2),
        model_name=SPY,
        model_kwargs={"in_features": 3, "hidden": 4},
        domain="spy-domain",
        preprocessing={"scaler": {"mean": [0.0, 1.0], "std": [1.0, 2.0]}},
        extra_tensors={"band_std": torch.ones(3)},
    )


def tampered(good, tmp_path, edit, rehash=True):
    raw, tensors = read_raw(good)
    edit(raw, tensors)
    return write_raw(tmp_path / "bad.safetensors", raw, tensors, rehash=rehash)


def test_good_checkpoint_loads_with_a_hash_and_old_files_without_one_still_load(good):
    ckpt = load_checkpoint(good, expect_domain="spy-domain")
    assert len(ckpt.meta.content_sha256) == 64
    assert torch.equal(ckpt.extra_tensors["band_std"], torch.ones(3))
    assert read_checkpoint_meta(FIXTURE).content_sha256 == ""  # written before the hash
    assert load_checkpoint(FIXTURE).meta.model_name == NAME


def test_the_hash_covers_weights_and_metadata(good, tmp_path):
    def bump_weight(raw, tensors):
        tensors["model.net.0.weight"][0, 0] += 1e-3

    with pytest.raises(CheckpointError, match=r"bad.safetensors: content hash mismatch"):
        load_checkpoint(tampered(good, tmp_path, bump_weight, rehash=False))

    def bump_mean(raw, tensors):
        raw["preprocessing"]["scaler"]["mean"][0] = 7.0

    with pytest.raises(CheckpointError, match="content hash mismatch"):
        load_checkpoint(tampered(good, tmp_path, bump_mean, rehash=False))


def test_unbounded_shapes_are_refused_before_any_real_allocation(good, tmp_path):
    def huge(raw, tensors):
        raw["model_kwargs"]["hidden"] = 10**12  # 3e12 floats if anything were allocated

    path = tampered(good, tmp_path, huge)
    BUILD_DEVICES.clear()
    with pytest.raises(
        CheckpointError, match=r"shape \[4, 3\], the model has \[1000000000000, 3\]"
    ):
        load_checkpoint(path)
    assert BUILD_DEVICES == ["meta"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"in_features": "abc"}, r"model_kwargs.in_features='abc': expected int"),
        ({"in_features": 3, "hidden": True}, "model_kwargs.hidden=True: expected int"),
        ({"in_features": 3, "scale": "x"}, "model_kwargs.scale='x': expected"),
        ({"in_features": 3, "depth": 2}, "model_kwargs.depth: not an argument"),
        ({"hidden": 4}, "model_kwargs: missing in_features"),
    ],
)
def test_constructor_arguments_are_type_checked(good, tmp_path, kwargs, message):
    def edit(raw, tensors):
        raw["model_kwargs"] = kwargs

    BUILD_DEVICES.clear()
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tampered(good, tmp_path, edit))
    assert BUILD_DEVICES == []


def test_domains_must_agree(good, tmp_path):
    with pytest.raises(CheckpointError, match=r"a 'spy-domain' checkpoint .* expected a 'hsi' one"):
        load_checkpoint(good, expect_domain="hsi")
    with pytest.raises(CheckpointError, match="expected a 'ts' one"):
        read_checkpoint_meta(good, expect_domain="ts")

    def relabel(raw, tensors):
        raw["domain"] = "ts"

    with pytest.raises(CheckpointError, match="is a 'spy-domain' model, the file says domain 'ts'"):
        load_checkpoint(tampered(good, tmp_path, relabel))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda raw, t: raw["preprocessing"]["scaler"]["std"].__setitem__(1, 0.0), "scaler.std"),
        (lambda raw, t: t["extra.band_std"].__setitem__(0, float("nan")), "extra.band_std"),
        (lambda raw, t: t["model.net.2.bias"].__setitem__(0, float("inf")), "not finite"),
        (lambda raw, t: raw.__setitem__("model_kwargs", [3, 4]), "model_kwargs is list"),
        (lambda raw, t: raw.__setitem__("format_version", "1"), "format_version '1'"),
    ],
)
def test_stored_values_are_checked(good, tmp_path, edit, message):
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tampered(good, tmp_path, edit))


def test_save_refuses_non_finite_parameters(tmp_path):
    model = TinyMLP(3, 4, 2)
    with torch.no_grad():
        model.net[0].weight[0, 0] = float("nan")
    with pytest.raises(CheckpointError, match=r"parameter net.0.weight is not finite"):
        save_checkpoint(
            tmp_path / "nan.safetensors", model, model_name=SPY, model_kwargs={}, domain="x"
        )
    assert not list(tmp_path.iterdir())


def test_domain_validators_run_and_name_the_file(good):
    seen = []

    def validator(meta, extra):
        seen.append(meta.model_name)
        if len(meta.preprocessing["scaler"]["mean"]) != len(extra["band_std"]):
            raise ValueError("preprocessing.scaler.mean: 2 values for 3 bands")

    register_checkpoint_validator("spy-domain", validator)
    try:
        with pytest.raises(CheckpointError, match=r"good.safetensors: preprocessing.scaler.mean"):
            load_checkpoint(good)
    finally:
        from panspectra_core.checkpoint import _VALIDATORS

        _VALIDATORS["spy-domain"].remove(validator)
    assert seen == [SPY]
    load_checkpoint(good)


def test_a_nesting_bomb_in_the_metadata_is_one_line(good, tmp_path):
    from safetensors.torch import save_file

    _, tensors = read_raw(good)
    path = tmp_path / "deep.safetensors"
    save_file(tensors, str(path), metadata={"panspectra": "[" * 100_000 + "]" * 100_000})
    with pytest.raises(CheckpointError, match=r"deep.safetensors: metadata is not valid JSON"):
        load_checkpoint(path)
