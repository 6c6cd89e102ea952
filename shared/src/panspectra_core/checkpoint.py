"""Self-describing, pickle-free checkpoints: one ``.safetensors`` file with JSON metadata.

Layout of a checkpoint file (safetensors format):

- tensors ``model.<param>`` — the model's ``state_dict``;
- tensors ``extra.<name>`` — optional arrays too large for JSON (e.g. PCA components);
- header metadata key ``"panspectra"`` — a JSON document::

      {"format_version": 1, "model_name": ..., "model_kwargs": {...}, "domain": ...,
       "preprocessing": {...}, "config": {...}, "metrics": {...}, "input_spec": {...},
       "versions": {...}, "created": "..."}

:func:`load_checkpoint` rebuilds the model from the registry with ``model_kwargs`` and loads
the weights strictly; nothing is unpickled, so a checkpoint from anyone is safe to open.
Any registered model with torch's ``state_dict`` / ``load_state_dict`` / ``to`` / ``eval`` works:
the hsi scikit-learn baselines store their fitted estimator as a skops byte tensor that way.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from panspectra_core.errors import UserError
from panspectra_core.io import _json_safe, atomic_write
from panspectra_core.registry import RegistryError, create_model

FORMAT_VERSION = 1
_META_KEY = "panspectra"


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


@dataclass
class Checkpoint:
    """A loaded checkpoint: the rebuilt model (eval mode), its metadata and extra arrays."""

    model: torch.nn.Module
    meta: CheckpointMeta
    extra_tensors: dict[str, torch.Tensor]


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
    """Write ``model`` and its metadata to ``path`` (``.safetensors``) atomically."""
    from panspectra_core.cli import package_versions

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
    header = {_META_KEY: json.dumps(_json_safe(asdict(meta)))}
    path = Path(path)
    with atomic_write(path) as tmp:
        save_file(tensors, str(tmp), metadata=header)
    return path


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


def read_checkpoint_meta(path: str | os.PathLike[str]) -> CheckpointMeta:
    """Read only the metadata of a checkpoint (no tensors are loaded)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a safetensors checkpoint ({exc})") from None
    if _META_KEY not in header:
        raise CheckpointError(f"{path}: safetensors file without PanSpectra metadata")
    raw = json.loads(header[_META_KEY])
    if raw.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format {raw['format_version']} is newer than this "
            f"panspectra-core understands ({FORMAT_VERSION}); upgrade panspectra-core"
        )
    known = set(CheckpointMeta.__dataclass_fields__)
    return CheckpointMeta(**{k: v for k, v in raw.items() if k in known})


def load_checkpoint(path: str | os.PathLike[str], *, map_location: str = "cpu") -> Checkpoint:
    """Rebuild the registered model from ``path`` and load its weights (strict)."""
    meta = read_checkpoint_meta(path)
    try:
        model = create_model(meta.model_name, **meta.model_kwargs)
    except RegistryError as exc:
        raise CheckpointError(f"{path}: {exc}; is panspectra-{meta.domain} installed?") from None
    state, extra = {}, {}
    with safe_open(str(path), framework="pt", device=str(map_location)) as f:
        for key in f.keys():
            group, _, name = key.partition(".")
            (state if group == "model" else extra)[name] = f.get_tensor(key)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match model {meta.model_name!r} "
            f"(missing {sorted(missing)[:3]}, unexpected {sorted(unexpected)[:3]})"
        )
    model.to(map_location).eval()
    return Checkpoint(model=model, meta=meta, extra_tensors=extra)
