"""Hostile variants of a good checkpoint, for the bad-input corpus (:mod:`.bad_inputs`).

Each ``make_*`` function takes a good checkpoint ``good`` and writes a broken copy to ``dest``.
Metadata edits recompute ``content_sha256`` (as a forger would), so the check under test is
the one that must refuse the file, not the hash. The scikit-learn edits work on the skops zip
itself (``schema.json`` and its ``.npy`` members), so no broken tree is ever built in the
process that writes them.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from panspectra_core.checkpoint import _HASH_KEY, _META_KEY, content_sha256
from panspectra_core.registry import MODELS, register_model

SKOPS_KEY = "model.skops"
FOREIGN_MODEL = "_corpus_foreign_mlp"
FOREIGN_DOMAIN = "corpus-foreign"


class NotApplicable(Exception):
    """The good example has nothing this corpus entry can break (e.g. no stored std)."""


def read_raw(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The metadata document and every tensor of a (trusted, good) checkpoint."""
    with safe_open(str(path), framework="pt") as f:
        raw = json.loads(f.metadata()[_META_KEY])
        return raw, {k: f.get_tensor(k) for k in f.keys()}


def write_raw(
    dest: Path, raw: dict[str, Any], tensors: dict[str, torch.Tensor], rehash: bool = True
) -> Path:
    """Write ``raw`` + ``tensors`` as a checkpoint, with a recomputed hash unless told not to."""
    raw = dict(raw)
    if rehash:
        raw[_HASH_KEY] = content_sha256(raw, tensors)
    save_file(tensors, str(dest), metadata={_META_KEY: json.dumps(raw)})
    return dest


def edited(edit: Callable[[dict, dict], None]) -> Callable[[Path, Path], Path]:
    """A generator applying ``edit(raw_meta, tensors)`` in place to a copy of the good file."""

    def make(good: Path, dest: Path) -> Path:
        raw, tensors = read_raw(good)
        edit(raw, tensors)
        return write_raw(dest, raw, tensors)

    return make


# -- the metadata and weights --------------------------------------------------------------------
def make_header_tampered(good: Path, dest: Path) -> Path:
    """The 8-byte header length says 2**60 bytes."""
    data = bytearray(good.read_bytes())
    data[:8] = struct.pack("<Q", 1 << 60)
    dest.write_bytes(bytes(data))
    return dest


def make_payload_flipped(good: Path, dest: Path) -> Path:
    """One byte of the tensor data flipped (the header stays valid): the hash must catch it."""
    data = bytearray(good.read_bytes())
    start = 8 + struct.unpack("<Q", bytes(data[:8]))[0]
    if start >= len(data):
        raise NotApplicable("no tensor data")
    position = start + (len(data) - start) // 2
    data[position] ^= 0xFF
    dest.write_bytes(bytes(data))
    return dest


def make_meta_not_json(good: Path, dest: Path) -> Path:
    _, tensors = read_raw(good)
    save_file(tensors, str(dest), metadata={_META_KEY: '{"model_name": '})
    return dest


def _first_int_kwarg(raw: dict) -> str:
    for key, value in raw["model_kwargs"].items():
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return key
    raise NotApplicable("no integer model_kwargs")


def _kwargs_wrong_type(raw: dict, tensors: dict) -> None:
    raw["model_kwargs"][_first_int_kwarg(raw)] = "abc"


def _kwargs_unbounded(raw: dict, tensors: dict) -> None:
    key = _first_int_kwarg(raw)
    raw["model_kwargs"][key] = raw["model_kwargs"][key] * 10**7


def _wrong_domain(raw: dict, tensors: dict) -> None:
    raw["domain"] = FOREIGN_DOMAIN


def _missing_kwargs(raw: dict, tensors: dict) -> None:
    del raw["model_kwargs"]


def _newer_format(raw: dict, tensors: dict) -> None:
    raw["format_version"] = 99


def _unknown_model(raw: dict, tensors: dict) -> None:
    raw["model_name"] = "no_such_model_anywhere"


def _nonfinite_weight(raw: dict, tensors: dict) -> None:
    for key, tensor in tensors.items():
        if key.startswith("model.") and tensor.is_floating_point() and tensor.numel():
            tensor.view(-1)[0] = float("inf")
            return
    raise NotApplicable("no floating-point weights")


def _zero_scale(raw: dict, tensors: dict) -> None:
    for key, tensor in tensors.items():
        last = key.rsplit(".", 1)[-1]
        if key.startswith("extra.") and (last in ("std", "scale") or last.endswith("_std")):
            tensor.view(-1)[0] = 0.0
            return
    if not _zero_in(raw.get("preprocessing", {})):
        raise NotApplicable("no stored std/scale")


def _zero_in(tree: Any) -> bool:
    """Set the first number under a ``std``/``scale``/``*_std`` key to 0; True if one was."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in ("std", "scale") or str(key).endswith("_std"):
                if isinstance(value, list) and value:
                    value[0] = 0.0
                    return True
                if isinstance(value, int | float):
                    tree[key] = 0.0
                    return True
            elif _zero_in(value):
                return True
    elif isinstance(tree, list):
        return any(_zero_in(item) for item in tree)
    return False


class _ForeignMLP(torch.nn.Module):
    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(width, width)


if FOREIGN_MODEL not in MODELS:

    @register_model(FOREIGN_MODEL, domain=FOREIGN_DOMAIN, tags=("test",))
    def _corpus_foreign_mlp(width: int = 4) -> torch.nn.Module:
        """A model of a domain no CLI serves: its checkpoints must be refused by every CLI."""
        return _ForeignMLP(width)


def make_foreign_domain(good: Path, dest: Path) -> Path:
    """A valid checkpoint of another (registered) domain, with a std in its preprocessing."""
    from panspectra_core.checkpoint import save_checkpoint

    return save_checkpoint(
        dest,
        _ForeignMLP(4),
        model_name=FOREIGN_MODEL,
        model_kwargs={"width": 4},
        domain=FOREIGN_DOMAIN,
        preprocessing={"scaler": {"mean": [0.0], "std": [1.0]}},
    )


CHECKPOINT_MAKERS: dict[str, Callable[[Path, Path], Path]] = {
    "ckpt_header_tampered": make_header_tampered,
    "ckpt_payload_flipped": make_payload_flipped,
    "ckpt_meta_not_json": make_meta_not_json,
    "ckpt_meta_missing_kwargs": edited(_missing_kwargs),
    "ckpt_newer_format": edited(_newer_format),
    "ckpt_unknown_model": edited(_unknown_model),
    "ckpt_domain_mismatch": edited(_wrong_domain),
    "ckpt_foreign_domain": make_foreign_domain,
    "ckpt_kwargs_wrong_type": edited(_kwargs_wrong_type),
    "ckpt_unbounded_shapes": edited(_kwargs_unbounded),
    "ckpt_nonfinite_weight": edited(_nonfinite_weight),
    "ckpt_zero_std": edited(_zero_scale),
}


# -- scikit-learn payloads (skops zip) ---------------------------------------------------------
def _skops_members(payload: bytes) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(members["schema.json"]), members


def _skops_bytes(schema: dict, members: dict[str, bytes]) -> bytes:
    members = {**members, "schema.json": json.dumps(schema).encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _first_tree(schema: Any) -> dict:
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("__loader__") == "TreeNode":
                return item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise NotApplicable("no decision tree in the sklearn payload")


def tamper_tree(payload: bytes, how: str) -> bytes:
    """The skops ``payload`` with its first decision tree broken in one way ``how``:
    ``child_out_of_range``, ``self_loop``, ``feature_out_of_range``, ``nan_threshold``,
    ``leaf_inconsistent`` or ``node_count_overflow``."""
    schema, members = _skops_members(payload)
    tree = _first_tree(schema)
    state = tree["content"]["content"]
    name = state["nodes"]["file"]
    nodes = np.load(io.BytesIO(members[name]), allow_pickle=False).copy()
    inner = np.flatnonzero(nodes["left_child"] != -1)
    leaves = np.flatnonzero(nodes["left_child"] == -1)
    node = inner[-1] if len(inner) else 0
    if how == "child_out_of_range":
        nodes["left_child"][0] = 10**8
    elif how == "self_loop":
        nodes["left_child"][node] = node
        nodes["right_child"][node] = node
    elif how == "feature_out_of_range":
        nodes["feature"][node] = 10**6
    elif how == "nan_threshold":
        nodes["threshold"][node] = np.nan
    elif how == "leaf_inconsistent":
        nodes["right_child"][leaves[0]] = 1
    elif how == "node_count_overflow":
        state["node_count"]["content"] = str(len(nodes) * 1000)
    else:
        raise ValueError(f"unknown tree tampering {how!r}")
    buffer = io.BytesIO()
    np.save(buffer, nodes, allow_pickle=False)
    members[name] = buffer.getvalue()
    return _skops_bytes(schema, members)


def _with_payload(make_payload: Callable[[bytes], bytes]) -> Callable[[Path, Path], Path]:
    def make(good: Path, dest: Path) -> Path:
        raw, tensors = read_raw(good)
        if SKOPS_KEY not in tensors:
            raise NotApplicable("not a scikit-learn checkpoint")
        payload = make_payload(tensors[SKOPS_KEY].numpy().tobytes())
        tensors[SKOPS_KEY] = torch.frombuffer(bytearray(payload), dtype=torch.uint8)
        return write_raw(dest, raw, tensors)

    return make


def single_tree_payload(payload: bytes) -> bytes:
    """A lone ``DecisionTreeClassifier`` whose root points 10**8 nodes away, replacing the
    pipeline (the model name still says it is the registered pipeline): the segfault case."""
    import skops.io
    from sklearn.tree import DecisionTreeClassifier

    good = skops.io.loads(payload, trusted=skops.io.get_untrusted_types(data=payload))
    classes = np.asarray(good.classes_)  # our own good file: safe to build
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20 * len(classes), good.n_features_in_))
    lone = DecisionTreeClassifier(random_state=0).fit(X, np.repeat(classes, 20))
    lone = skops.io.dumps(lone)  # same features and classes: only the tree itself is hostile
    return tamper_tree(lone, "child_out_of_range")


def untrusted_payload(payload: bytes) -> bytes:
    """A ``FunctionTransformer(os.system)``: a type skops itself refuses."""
    import os

    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    return skops.io.dumps(FunctionTransformer(os.system))


SKLEARN_MAKERS: dict[str, Callable[[Path, Path], Path]] = {
    "sk_single_hostile_tree": _with_payload(single_tree_payload),
    "sk_untrusted_type": _with_payload(untrusted_payload),
    "sk_not_a_zip": _with_payload(lambda payload: payload[: len(payload) // 3]),
    **{
        f"sk_tree_{how}": _with_payload(lambda payload, how=how: tamper_tree(payload, how))
        for how in (
            "child_out_of_range",
            "self_loop",
            "feature_out_of_range",
            "nan_threshold",
            "leaf_inconsistent",
            "node_count_overflow",
        )
    },
}
