"""Self-describing, pickle-free checkpoints: one ``.safetensors`` file with JSON metadata.

Layout of a checkpoint file (safetensors format):

- tensors ``model.<param>`` — the model's ``state_dict``;
- tensors ``extra.<name>`` — optional arrays too large for JSON (e.g. PCA components);
- header metadata key ``"panspectra"`` — a JSON document::

      {"format_version": 1, "model_name": ..., "model_kwargs": {...}, "domain": ...,
       "preprocessing": {...}, "config": {...}, "metrics": {...}, "input_spec": {...},
       "versions": {...}, "created": "...", "content_sha256": "..."}

Nothing is unpickled, and :func:`load_checkpoint` treats the file as hostile (the trust model is
in ``docs/checkpoints.md``). Before any model is built it checks the metadata's types, that the
model is registered for the stored domain (and the one the caller expects), that
``model_kwargs`` have the builder's types, and — building the model on PyTorch's ``meta``
device, which allocates nothing — that the parameter shapes these kwargs produce are exactly the
tensor shapes in the safetensors header, so the file cannot choose how much memory is allocated
beyond its own size. It then checks ``content_sha256`` (written since this field was added;
older files without it still load), that every parameter is finite, that stored scales
(preprocessing keys or extra tensors named ``std``, ``scale`` or ``*_std``) are finite and
positive, and runs the validators a domain registered with :func:`register_checkpoint_validator`.
Models that are not ``nn.Module`` (the hsi scikit-learn baselines) validate their own
``load_state_dict`` input. Every refusal is a one-line :class:`CheckpointError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from panspectra_core.checkpoint_checks import (
    check_model_kwargs,
    check_shapes,
    check_stored_scales,
    shadow_shapes,
)
from panspectra_core.errors import UserError
from panspectra_core.io import _json_safe, atomic_write
from panspectra_core.registry import RegistryError, create_model, model_entry

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "CheckpointMeta",
    "check_model_kwargs",
    "content_sha256",
    "load_checkpoint",
    "read_checkpoint_meta",
    "register_checkpoint_validator",
    "save_checkpoint",
]

FORMAT_VERSION = 1
_META_KEY = "panspectra"
_HASH_KEY = "content_sha256"

#: a domain's extra check of a loaded checkpoint: ``(meta, extra_tensors)``, raises ValueError
MetaValidator = Callable[["CheckpointMeta", Mapping[str, torch.Tensor]], None]
_VALIDATORS: dict[str, list[MetaValidator]] = {}


class CheckpointError(UserError):
    """A checkpoint file that is missing, not a PanSpectra checkpoint, or incompatible."""


@dataclass
class CheckpointMeta:
    """Everything needed to rebuild a model and its preprocessing, as stored in the file."""

    model_name: str
    model_kwargs: dict[str, Any]
    domain: str
    format_version: int = FORMAT_VERSION
    preprocessing: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    input_spec: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    created: str = ""
    content_sha256: str = ""


@dataclass
class Checkpoint:
    """A loaded checkpoint: the rebuilt model (eval mode), its metadata and extra arrays."""

    model: torch.nn.Module
    meta: CheckpointMeta
    extra_tensors: dict[str, torch.Tensor]


def register_checkpoint_validator(domain: str, validator: MetaValidator) -> MetaValidator:
    """Run ``validator(meta, extra_tensors)`` on every checkpoint of ``domain`` that
    :func:`load_checkpoint` opens, after the generic checks and before the model is returned.

    It should raise :class:`ValueError` (or :class:`UserError`) naming the field, e.g.
    ``"preprocessing.label_values: 3 values for 4 class_names"``; the message is prefixed with the
    file. Register it where the domain registers its models, so it is in place whenever one of
    its models can be built. Returns ``validator``.
    """
    _VALIDATORS.setdefault(domain, []).append(validator)
    return validator


def content_sha256(raw_meta: Mapping[str, Any], tensors: Mapping[str, torch.Tensor]) -> str:
    """sha256 over the metadata (canonical JSON, without this hash) and every tensor in name
    order (name, dtype, shape, then its bytes): detects corruption and casual edits, not a
    forger, who can recompute it."""
    digest = hashlib.sha256()
    meta = {k: v for k, v in raw_meta.items() if k != _HASH_KEY}
    digest.update(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous().reshape(-1)
        digest.update(json.dumps([name, str(tensor.dtype), list(tensors[name].shape)]).encode())
        digest.update(tensor.view(torch.uint8).numpy())
    return digest.hexdigest()


def save_checkpoint(
    path: str | os.PathLike[str],
    model: torch.nn.Module,
    *,
    model_name: str,
    model_kwargs: dict[str, Any],
    domain: str,
    preprocessing: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    input_spec: dict[str, Any] | None = None,
    extra_tensors: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write ``model`` and its metadata to ``path`` (``.safetensors``) atomically.

    Raises:
        CheckpointError: a floating-point parameter holds NaN or inf (nothing is written).
    """
    from panspectra_core.runtime import package_versions

    _check_finite_parameters(model, path)
    meta = CheckpointMeta(
        model_name=model_name,
        model_kwargs=dict(model_kwargs),
        domain=domain,
        preprocessing=preprocessing or {},
        config=config or {},
        metrics=metrics or {},
        input_spec=input_spec or {},
        versions=package_versions(),
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for name, value in (extra_tensors or {}).items():
        tensors[f"extra.{name}"] = torch.as_tensor(value).detach().cpu().contiguous()
    tensors = _unshare(tensors)
    raw = json.loads(json.dumps(_json_safe(asdict(meta))))  # exactly what a reader will parse
    raw[_HASH_KEY] = content_sha256(raw, tensors)
    path = Path(path)
    with atomic_write(path) as tmp:
        save_file(tensors, str(tmp), metadata={_META_KEY: json.dumps(raw)})
    return path


def _check_finite_parameters(model: Any, path: Any) -> None:
    if not isinstance(model, torch.nn.Module):
        return
    for name, param in model.named_parameters():
        if param.is_floating_point() and not bool(torch.isfinite(param.detach()).all()):
            raise CheckpointError(f"{path}: parameter {name} is not finite (NaN or inf)")


def _unshare(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """safetensors refuses tensors sharing memory (tied weights): store copies."""
    seen: set[int] = set()
    out = {}
    for name, t in tensors.items():
        ptr = t.untyped_storage().data_ptr() if t.numel() else -1
        out[name] = t.clone() if ptr in seen else t
        if ptr != -1:
            seen.add(ptr)
    return out


# -- reading -----------------------------------------------------------------------------------
_FIELD_TYPES = {
    "model_name": str,
    "model_kwargs": dict,
    "domain": str,
    "preprocessing": dict,
    "config": dict,
    "metrics": dict,
    "input_spec": dict,
    "versions": dict,
    "created": str,
    _HASH_KEY: str,
}


def _read_raw(path: Path) -> tuple[dict[str, Any], dict[str, tuple[str, list[int]]]]:
    """The parsed metadata document and ``{tensor name: (dtype, shape)}`` from the header."""
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "not found"
        raise CheckpointError(f"{path}: checkpoint file {what}")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
            shapes = {k: (f.get_slice(k).get_dtype(), f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise CheckpointError(f"{path}: not a safetensors checkpoint ({reason})") from None
    if _META_KEY not in header:
        raise CheckpointError(f"{path}: safetensors file without PanSpectra metadata")
    try:
        raw = json.loads(header[_META_KEY])
    except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nesting bomb
        raise CheckpointError(f"{path}: metadata is not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise CheckpointError(f"{path}: metadata is not a JSON object")
    return raw, shapes


def _parse_meta(path: Path, raw: dict[str, Any]) -> CheckpointMeta:
    version = raw.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"{path}: metadata format_version {version!r} is not an integer")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format {version} is newer than this "
            f"panspectra-core understands ({FORMAT_VERSION}); upgrade panspectra-core"
        )
    for key in ("model_name", "model_kwargs", "domain"):
        if key not in raw:
            raise CheckpointError(f"{path}: metadata has no {key!r}")
    for key, kind in _FIELD_TYPES.items():
        if key in raw and not isinstance(raw[key], kind):
            raise CheckpointError(
                f"{path}: metadata {key} is {type(raw[key]).__name__}, expected {kind.__name__}"
            )
    known = set(CheckpointMeta.__dataclass_fields__)
    return CheckpointMeta(**{k: v for k, v in raw.items() if k in known})


def read_checkpoint_meta(
    path: str | os.PathLike[str], *, expect_domain: str | None = None
) -> CheckpointMeta:
    """Read only the metadata of a checkpoint (no tensors are loaded), type-checked.

    Args:
        expect_domain: refuse a checkpoint of another domain (e.g. a ts forecaster given to
            ``hsi-classify``) in one line.
    """
    path = Path(path)
    meta = _parse_meta(path, _read_raw(path)[0])
    _check_domain(path, meta, expect_domain)
    return meta


def _check_domain(path: Path, meta: CheckpointMeta, expect_domain: str | None) -> None:
    if expect_domain is not None and meta.domain != expect_domain:
        raise CheckpointError(
            f"{path}: a {meta.domain!r} checkpoint (model {meta.model_name!r}); "
            f"expected a {expect_domain!r} one"
        )


# -- loading -------------------------------------------------------------------------------------
def load_checkpoint(
    path: str | os.PathLike[str],
    *,
    map_location: str | torch.device = "cpu",
    expect_domain: str | None = None,
) -> Checkpoint:
    """Validate ``path`` (see the module docstring), rebuild its registered model and load the
    weights (strict). ``expect_domain`` refuses a checkpoint of another domain.

    Raises:
        CheckpointError: one line naming the file and what is wrong.
    """
    path = Path(path)
    raw, header = _read_raw(path)
    meta = _parse_meta(path, raw)
    _check_domain(path, meta, expect_domain)
    try:
        entry = model_entry(meta.model_name)
    except RegistryError as exc:
        raise CheckpointError(f"{path}: {exc}; is panspectra-{meta.domain} installed?") from None
    try:
        if entry.domain != meta.domain:
            raise ValueError(
                f"model {meta.model_name!r} is a {entry.domain!r} model, the file says "
                f"domain {meta.domain!r}"
            )
        check_model_kwargs(meta.model_name, meta.model_kwargs)
        expected = shadow_shapes(meta.model_name, meta.model_kwargs)
        if expected is not None:
            check_shapes(expected, header)
        state, extra = _read_tensors(path, raw, meta)
        model = _build(meta.model_name, meta.model_kwargs)
        _load_weights(model, state, meta.model_name)
        check_stored_scales(meta.preprocessing, extra)
        for validator in _VALIDATORS.get(meta.domain, []):
            validator(meta, extra)
    except (ValueError, UserError, RecursionError) as exc:
        message = str(exc).removeprefix(f"{path}: ")
        raise CheckpointError(f"{path}: {' '.join(message.split())}") from None
    model.to(map_location).eval()
    extra = {k: v.to(map_location) for k, v in extra.items()}
    return Checkpoint(model=model, meta=meta, extra_tensors=extra)


def _build(name: str, kwargs: dict[str, Any]) -> Any:
    """The real build (after the checks): a builder's own argument errors are one line too."""
    try:
        return create_model(name, **kwargs)
    except (TypeError, KeyError, RuntimeError, NotImplementedError) as exc:
        raise ValueError(f"model_kwargs do not build {name!r} ({exc})") from None


def _read_tensors(
    path: Path, raw: dict[str, Any], meta: CheckpointMeta
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    tensors = {}
    with safe_open(str(path), framework="pt", device="cpu") as f:
        for key in f.keys():
            tensors[key] = f.get_tensor(key)
    if meta.content_sha256 and content_sha256(raw, tensors) != meta.content_sha256:
        raise ValueError("content hash mismatch: the file was modified or corrupted")
    state, extra = {}, {}
    for key, tensor in tensors.items():
        group, _, name = key.partition(".")
        (state if group == "model" else extra)[name] = tensor
    return state, extra


def _load_weights(model: Any, state: dict[str, torch.Tensor], name: str) -> None:
    if isinstance(model, torch.nn.Module):
        params = dict(model.named_parameters())
        for key, tensor in state.items():
            if key in params and tensor.is_floating_point() and not torch.isfinite(tensor).all():
                raise ValueError(f"tensor model.{key} is not finite (NaN or inf)")
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # dtype/shape trouble a meta build could not foresee
        raise ValueError(f"weights do not load into {name!r} ({str(exc)[:200]})") from None
    if missing or unexpected:
        raise ValueError(
            f"weights do not match model {name!r} "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
        )
