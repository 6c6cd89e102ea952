"""``vision-classify predict``: a checkpoint applied to an image, a folder or a zip.

Images are decoded with the checkpoint's stored geometry and normalization; unreadable or
too-small images are skipped, counted and named in a warning. The CSV has one row per image:
``path,label,probability,top5`` (top5: ``class:probability`` pairs separated by ``;``).
The probabilities are ``softmax(logits / T)`` with the checkpoint's fitted temperature ``T``
(``T = 1`` for checkpoints written before it was stored).
"""

from __future__ import annotations

import csv
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from panspectra_core.calibration import apply_temperature
from panspectra_core.checkpoint import CheckpointError, CheckpointMeta, read_checkpoint_meta
from panspectra_core.errors import UserError
from panspectra_core.io import atomic_write
from panspectra_core.kit import Predictor, RunConfig

from .data.decode import DecodeSpec, SkipImage, decode_image
from .data.loader import Normalizer
from .data.sources import open_source
from .evaluation import tta_logits

log = logging.getLogger("panspectra")


class VisionPredictor(Predictor):
    """Raw image bytes → class probabilities, with the checkpoint's preprocessing."""

    domain = "vision"

    def __init__(self, model, meta, device: str = "cpu") -> None:
        super().__init__(model, meta, device)
        pre = meta.preprocessing
        self.class_names: list[str] = pre["class_names"]
        self.normalizer = Normalizer(pre["mean"], pre["std"], pre["max_value"])
        self.spec = DecodeSpec(pre["image_size"], pre["channels"], 1, pre.get("bits", 8))
        self.tta = pre.get("tta", "none")
        self.temperature = float(pre.get("temperature", 1.0))
        self.counts: dict[str, int] = {}
        self.skipped: list[tuple[str, str]] = []  # (image, reason), reported by the caller

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str = "cpu") -> VisionPredictor:
        """Load a vision checkpoint, refusing one whose stored settings are inconsistent or
        out of range before any model is built (a doctored size must not allocate GBs)."""
        meta = read_checkpoint_meta(path)
        check_meta(meta, path)
        predictor = super().load(path, device=device)
        if not all(torch.isfinite(p).all() for p in predictor.model.parameters()):
            raise CheckpointError(f"{path}: the weights hold NaN or infinite values")
        return predictor

    def decode(self, data: bytes) -> Tensor:
        """Bytes → (C, S, S) integer tensor (raises :class:`SkipImage`)."""
        return torch.from_numpy(decode_image(data, self.spec, self.counts))

    def preprocess(self, items: Sequence[Tensor]) -> Tensor:
        return self.normalizer(self.normalizer.to_unit(torch.stack(list(items))))

    @torch.no_grad()
    def predict_batch(self, batch: Tensor) -> Tensor:
        logits = tta_logits(self.model, batch.to(self.device), self.tta).float()
        return apply_temperature(logits, self.temperature).cpu()

    def postprocess(self, outputs: Tensor, items: Sequence[Any]) -> list[Tensor]:
        return list(outputs)


#: upper bounds of a checkpoint's geometry
LIMITS = {"num_classes": 100_000, "in_channels": 1024, "image_size": 4096}


def check_meta(meta: CheckpointMeta, path: Any) -> None:
    """Raise :class:`CheckpointError` unless the stored preprocessing is complete, finite and
    agrees with the model's constructor arguments (classes, channels, image size)."""
    pre, kwargs = meta.preprocessing, meta.model_kwargs
    try:
        expect = {
            "num_classes": len(pre["class_names"]),
            "in_channels": int(pre["channels"]),
            "image_size": int(pre["image_size"]),
        }
        std = [float(v) for v in pre["std"]]
        mean = [float(v) for v in pre["mean"]]
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path}: not a vision checkpoint (no image preprocessing)") from None
    for key, value in expect.items():
        if kwargs.get(key) != value or not 0 < value <= LIMITS[key]:
            raise CheckpointError(
                f"{path}: model {key}={kwargs.get(key)!r} does not match the stored "
                f"preprocessing ({value}) or exceeds {LIMITS[key]}"
            )
    if not all(math.isfinite(v) for v in mean) or not all(math.isfinite(v) and v > 0 for v in std):
        raise CheckpointError(f"{path}: normalization statistics must be finite, std > 0")
    try:
        temperature = float(pre.get("temperature", 1.0))
    except (TypeError, ValueError):
        temperature = math.nan
    if not (math.isfinite(temperature) and temperature > 0):
        raise CheckpointError(f"{path}: the stored temperature must be finite and > 0")


def raise_nothing_readable(predictor: VisionPredictor, path: Path) -> None:
    """One-line error for an input none of whose images could be used."""
    reason = predictor.skipped[0][1] if predictor.skipped else "none found"
    raise UserError(f"{path}: no readable images ({reason})")


def report_skips(predictor: VisionPredictor) -> None:
    for name, reason in predictor.skipped:
        log.warning("%s: skipped (%s)", name, reason)


def _format_row(name: str, probs: Tensor, class_names: list[str]) -> list[str]:
    k = min(5, len(class_names))
    top = probs.topk(k)
    pairs = ";".join(
        f"{class_names[i]}:{p:.4f}" for p, i in zip(top.values.tolist(), top.indices.tolist())
    )
    return [name, class_names[int(top.indices[0])], f"{float(top.values[0]):.6f}", pairs]


def iter_images(predictor: VisionPredictor, path: Path, min_side: int):
    """(name, decoded tensor) of every readable image under ``path``; skips are counted in
    ``predictor.counts`` and logged."""
    source = open_source(path, labelled=False)
    spec = predictor.spec
    predictor.spec = DecodeSpec(spec.size, spec.channels, min_side, spec.bits)
    try:
        for record in source.records:
            try:
                yield record.name, predictor.decode(source.reader.read(record.name))
            except SkipImage as exc:
                kind = "skipped_too_small" if "smaller" in exc.args[0] else "skipped_unreadable"
                predictor.counts[kind] = predictor.counts.get(kind, 0) + 1
                predictor.skipped.append((record.name, exc.args[0]))
    finally:
        source.reader.close()
        predictor.spec = spec


def predict(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """Write the prediction CSV; returns counts (rows written, skipped images)."""
    from panspectra_core.runtime import resolve_device

    device = str(resolve_device(cfg.device))
    predictor = VisionPredictor.load(cfg.checkpoint, device=device)
    if cfg.tta:
        predictor.tta = cfg.tta
    names: list[str] = []

    def tensors():
        for name, pixels in iter_images(predictor, cfg.input, cfg.min_image_side):
            names.append(name)
            yield pixels

    rows = 0
    with atomic_write(out) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "label", "probability", "top5"])
        for probs in predictor.predict(tensors(), batch_size=cfg.eval_batch_size):
            writer.writerow(_format_row(names[rows], probs, predictor.class_names))
            rows += 1
        if rows == 0:
            raise_nothing_readable(predictor, cfg.input)
    report_skips(predictor)
    summary = {"rows": rows, **predictor.counts}
    log.info("wrote %s (%s)", out, ", ".join(f"{k} {v}" for k, v in summary.items()))
    return summary
