"""The checks :func:`panspectra_core.checkpoint.load_checkpoint` runs on a file before and after
it builds the model: builder argument types, parameter shapes from a ``meta``-device build
against the safetensors header, and stored scales. Each raises :class:`ValueError` naming the
field; the loader prefixes the file."""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import torch

from panspectra_core.registry import create_model, model_entry

_ANNOTATION_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
}


def _expected_types(param: inspect.Parameter) -> tuple[type, ...] | None:
    """Accepted JSON value types of a builder parameter (``None``: not checkable)."""
    annotation = param.annotation
    if isinstance(annotation, type):
        annotation = annotation.__name__
    if isinstance(annotation, str):
        parts = [p.strip() for p in annotation.replace("Optional[", "").rstrip("]").split("|")]
        kinds = [_ANNOTATION_TYPES.get(p) for p in parts if p != "None"]
        if kinds and all(kinds):
            allowed = tuple({t for k in kinds for t in k})
            return allowed + ((type(None),) if "None" in parts else ())
    if param.default is not inspect.Parameter.empty and param.annotation is inspect._empty:
        default = param.default
        if isinstance(default, bool | int | float | str):
            return _ANNOTATION_TYPES[type(default).__name__]
    return None


def check_model_kwargs(name: str, kwargs: Mapping[str, Any]) -> None:
    """Refuse ``kwargs`` the builder of model ``name`` does not take, or of the wrong type.

    Raises:
        ValueError: naming the argument, its value and the expected type.
    """
    params = inspect.signature(model_entry(name).builder).parameters
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for key, value in kwargs.items():
        if key not in params:
            if var_kw:
                continue
            raise ValueError(f"model_kwargs.{key}: not an argument of {name!r}")
        allowed = _expected_types(params[key])
        if allowed is None:
            continue
        wrong = not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)
        if wrong or (isinstance(value, float) and not math.isfinite(value)):
            names = "/".join(t.__name__ for t in allowed)
            raise ValueError(f"model_kwargs.{key}={value!r}: expected {names}")
    missing = [
        k
        for k, p in params.items()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and k not in kwargs
    ]
    if missing:
        raise ValueError(f"model_kwargs: missing {', '.join(missing)} for {name!r}")


def shadow_shapes(name: str, kwargs: Mapping[str, Any]) -> dict[str, tuple[int, ...] | None] | None:
    """Parameter/buffer shapes of the model these kwargs build, built on the ``meta`` device
    (no memory). ``None`` for a model that is not an ``nn.Module`` or cannot be built there."""
    try:
        with torch.device("meta"):
            shadow = create_model(name, **kwargs)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"model_kwargs do not build {name!r} ({exc})") from None
    except (NotImplementedError, RuntimeError):
        return None  # an op without a meta kernel: the real build below is the only check
    if not isinstance(shadow, torch.nn.Module):
        return None
    owned = {*dict(shadow.named_parameters()), *dict(shadow.named_buffers())}
    return {  # entries a submodule serialises itself (an sklearn member's bytes): presence only
        f"model.{k}": tuple(v.shape) if k in owned else None for k, v in shadow.state_dict().items()
    }


def check_shapes(
    expected: dict[str, tuple[int, ...] | None], header: dict[str, tuple[str, list[int]]]
) -> None:
    stored = {k: tuple(v[1]) for k, v in header.items() if k.startswith("model.")}
    missing, unexpected = sorted(set(expected) - set(stored)), sorted(set(stored) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"weights do not match the model (missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for key, shape in expected.items():
        if shape is not None and stored[key] != shape:
            raise ValueError(
                f"tensor {key}: shape {list(stored[key])}, the model has {list(shape)}"
            )


def _check_scales(tree: Any, where: str) -> None:
    """Stored scales (keys ``std``/``scale``/``*_std``) must be finite and positive."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in ("std", "scale") or str(key).endswith("_std"):
                _check_positive(
                    torch.as_tensor(_numbers(value, f"{where}.{key}")), f"{where}.{key}"
                )
            else:
                _check_scales(value, f"{where}.{key}")
    elif isinstance(tree, list):
        for index, item in enumerate(tree):
            _check_scales(item, f"{where}[{index}]")


def _numbers(value: Any, where: str) -> Any:
    flat = value if isinstance(value, list) else [value]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in flat):
        raise ValueError(f"{where}: expected numbers")
    return [float(v) for v in flat]


def _check_positive(tensor: torch.Tensor, where: str) -> None:
    values = tensor.double()
    if values.numel() == 0 or not bool((torch.isfinite(values) & (values > 0)).all()):
        raise ValueError(f"{where}: a scale must be finite and > 0 (found 0, NaN or inf)")


def check_stored_scales(preprocessing: dict[str, Any], extra: Mapping[str, torch.Tensor]) -> None:
    """Scales in ``preprocessing`` or ``extra`` tensors (named ``std``/``scale``/``*_std``) must
    be finite and positive."""
    _check_scales(preprocessing, "preprocessing")
    for name, tensor in extra.items():
        last = name.rsplit(".", 1)[-1]
        if last in ("std", "scale") or last.endswith("_std"):
            _check_positive(tensor, f"tensor extra.{name}")
