"""What an hsi checkpoint's metadata must hold before any model is built from it (registered
with :func:`panspectra_core.checkpoint.register_checkpoint_validator`; see docs/checkpoints.md).
"""

from __future__ import annotations

from typing import Any

from panspectra_core.checkpoint import CheckpointMeta, register_checkpoint_validator


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_part(where: str, part: Any, kwargs: dict) -> None:
    if not isinstance(part, dict):
        raise ValueError(f"{where}: expected an object")
    names, codes = part.get("class_names"), part.get("label_values")
    if not isinstance(names, list) or not isinstance(codes, list) or len(names) != len(codes):
        raise ValueError(
            f"{where}.label_values: {len(codes or [])} codes for {len(names or [])} class_names"
        )
    if not names or len(set(codes)) != len(codes):
        raise ValueError(f"{where}.label_values: expected distinct integers, one per class")
    if not all(_is_int(code, -(2**31), 2**31) for code in codes):
        raise ValueError(f"{where}.label_values: expected distinct integers, one per class")
    patch = part.get("patch_size")
    if not _is_int(patch, 1, 99) or patch % 2 == 0:
        raise ValueError(f"{where}.patch_size={patch!r}: expected an odd int in [1, 99]")
    if kwargs.get("num_classes", len(names)) != len(names):
        raise ValueError(
            f"model_kwargs.num_classes={kwargs['num_classes']} for {len(names)} classes"
        )


def validate_hsi_checkpoint(meta: CheckpointMeta, extra: Any) -> None:
    """Class names and label codes of equal length (distinct integers), an odd patch size and a
    matching class count — for the model and for each member of a mixed ensemble (a bare model
    saved without preprocessing has nothing to check; the classifiers refuse to load one).

    Raises:
        ValueError: naming the metadata field (the core turns it into a one-line refusal).
    """
    prep = meta.preprocessing
    if not any(key in prep for key in ("class_names", "label_values", "patch_size", "members")):
        return  # a bare model saved from Python: no label mapping to check
    parts = [("preprocessing", prep, meta.model_kwargs)]
    members = prep.get("members")
    if isinstance(members, list):
        specs = meta.model_kwargs.get("members") or [{}] * len(members)
        parts += [
            (f"preprocessing.members[{i}]", member, (spec or {}).get("kwargs", {}))
            for i, (member, spec) in enumerate(zip(members, specs))
        ]
    for where, part, kwargs in parts:
        _check_part(where, part, kwargs)


register_checkpoint_validator("hsi", validate_hsi_checkpoint)
