"""``vision-classify train`` and ``evaluate``: decode → split → train (Lightning) → score → save.

Outputs of a training run (in ``--output``; ``seed_<s>/`` each with ``--seeds``):
``model.safetensors`` (weights + preprocessing + class names), ``metrics.json``,
``confusion_matrix.png``, ``config.yaml`` and Lightning's ``lightning/`` checkpoints (for
``--resume``) and ``logs/``.

Calibration: after training, one temperature ``T`` is fitted on the validation split's logits,
computed with the same test-time augmentation as the test split's (Guo et al. 2017; ``T = 1``
without a validation split). It is stored with the checkpoint's preprocessing, ``predict``
divides the logits by it, and metrics.json reports ``temperature`` and the test ECE before
(``ece``) and after (``ece_calibrated``) scaling.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from panspectra_core.calibration import fit_temperature
from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.kit import RunConfig, trainer_config
from panspectra_core.metrics import plot_confusion_matrix
from panspectra_core.registry import create_model

from .data.loader import AugmentConfig, BatchLoader, Normalizer
from .data.prepare import PreparedData, Split, prepare
from .evaluation import count_macs, count_params, predict_logits, score
from .task import VisionTask

log = logging.getLogger("panspectra")
DOMAIN = "vision"
_DATA_CACHE: dict[str, PreparedData] = {}


def prepared(cfg: RunConfig) -> PreparedData:
    """The run's images, prepared once for all seeds of a run."""
    key = repr(
        [
            cfg.get(k)
            for k in (
                "dataset",
                "data",
                "image_size",
                "channels",
                "val_fraction",
                "test_fraction",
                "min_image_side",
            )
        ]
    )
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = prepare(cfg)
    return _DATA_CACHE[key]


def augment_config(cfg: RunConfig) -> AugmentConfig:
    return AugmentConfig(
        crop_padding=cfg.crop_padding,
        flip=not cfg.no_flip,
        trivial_augment=cfg.trivial_augment,
        erase_prob=cfg.erase_prob,
        mixup_alpha=cfg.mixup_alpha,
        cutmix_alpha=cfg.cutmix_alpha,
        mix_prob=cfg.mix_prob,
    )


def eval_loader(
    split: Split, normalizer: Normalizer, batch_size: int, channels_last: bool = False
) -> BatchLoader:
    return BatchLoader(
        split.source,
        split.labels,
        normalizer,
        batch_size,
        index=split.index,
        channels_last=channels_last,
    )


def build_model(cfg: RunConfig, data: PreparedData) -> tuple[nn.Module, dict[str, Any]]:
    kwargs = {
        "num_classes": len(data.class_names),
        "in_channels": data.spec.channels,
        "image_size": data.spec.size,
        **(cfg.model_kwargs or {}),
    }
    try:
        model = create_model(cfg.model, **kwargs)
    except TypeError as exc:
        raise UserError(f"--model-kwargs {cfg.model_kwargs}: {exc}") from None
    # data-dependent layers, e.g. fastconv's patch whitening (also inside a hybrid's stem)
    initialised = [m for m in model.modules() if hasattr(m, "data_init")]
    if initialised:
        first = data.normalizer(data.normalizer.to_unit(data.train.pixels(slice(0, 5000))))
        for module in initialised:
            module.data_init(first)
    return model, kwargs


def train(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """Train ``cfg.model`` and score it on the test split; returns the metrics."""
    from panspectra_core.kit import adapt_to_data

    data = prepared(cfg)
    if not len(data.train) or not len(data.test):
        raise UserError(
            f"{data.description}: {len(data.train)} training and {len(data.test)} test images "
            f"after the splits (--test-fraction {cfg.test_fraction:g}, --val-fraction "
            f"{cfg.val_fraction:g}); both need at least one"
        )
    model, kwargs = build_model(cfg, data)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last)
    # a small folder gets several steps per epoch and enough steps in all (recipes are sized
    # for CIFAR-10's 45,000 training images); flags the user set are kept
    settings, adapted = adapt_to_data(
        {
            "batch_size": cfg.batch_size,
            "lr": cfg.lr,
            "epochs": cfg.epochs,
            "patience": cfg.patience,
        },
        len(data.train),
        fixed=list(cfg.explicit()),
    )
    task = VisionTask(
        model,
        num_classes=len(data.class_names),
        label_smoothing=cfg.label_smoothing,
        lr=settings["lr"],
        weight_decay=cfg.weight_decay,
        scheduler=cfg.scheduler,
        optimizer=cfg.optimizer,
        momentum=cfg.momentum,
        bias_lr_scale=cfg.bias_lr_scale,
        ema_decay=cfg.ema_decay,
        lookahead=cfg.lookahead,
    )
    train_loader = BatchLoader(
        data.train.source,
        data.train.labels,
        data.normalizer,
        settings["batch_size"],
        index=data.train.index,
        shuffle=True,
        drop_last=len(data.train) > settings["batch_size"],
        augment_config=augment_config(cfg),
        num_classes=len(data.class_names),
        seed=cfg.seed,
        channels_last=cfg.channels_last,
    )
    val_loader = (
        None
        if data.val is None
        else eval_loader(data.val, data.normalizer, cfg.eval_batch_size, cfg.channels_last)
    )
    from panspectra_core.training import fit

    monitor = (
        {"monitor": "val_acc", "mode": "max"}
        if val_loader is not None
        else {"monitor": "train_loss", "mode": "min"}
    )
    config = trainer_config(
        cfg, max_epochs=settings["epochs"], patience=settings["patience"], **monitor
    )
    result = fit(task, train_loader, val_loader, config, out)
    final = task.final_model().cpu().eval()
    temperature, n_calibration = 1.0, 0
    if val_loader is not None and len(data.val):
        val_logits, val_targets, _ = predict_logits(final, val_loader, cfg.tta)
        temperature, n_calibration = fit_temperature(val_logits, val_targets), len(val_targets)
    logits, targets, seconds = predict_logits(
        final,
        eval_loader(data.test, data.normalizer, cfg.eval_batch_size, cfg.channels_last),
        cfg.tta,
    )
    metrics = {
        "model": cfg.model,
        "dataset": cfg.dataset or str(cfg.data),
        **score(logits, targets, data.class_names, temperature),
        "temperature_fit_images": n_calibration,
        "params": count_params(final),
        "macs": count_macs(final, data.spec.channels, data.spec.size),
        "train_seconds": result.train_seconds,
        "train_cpu_seconds": result.cpu_seconds,
        "epochs_run": result.epochs,
        "best_epoch": result.best_epoch,
        "time_limit_reached": result.time_limit_reached,
        "train_images_seen": task.images_seen,
        "train_images_per_s": task.images_seen / max(result.train_seconds, 1e-9),
        "test_images_per_s": len(targets) * _views(cfg.tta) / max(seconds, 1e-9),
        "tta": cfg.tta,
        **data.info,
    }
    if adapted:
        metrics["adapted_to_data"] = adapted
    plot_confusion_matrix(
        metrics["confusion_matrix"],
        data.class_names,
        out / "confusion_matrix.png",
        title=f"{cfg.model} test",
    )
    save_checkpoint(
        out / "model.safetensors",
        final,
        model_name=cfg.model,
        model_kwargs=kwargs,
        domain=DOMAIN,
        preprocessing={**data.preprocessing(), "tta": cfg.tta, "temperature": temperature},
        config=cfg.recorded(),
        metrics={k: metrics[k] for k in ("top1", "top5", "ece", "temperature", "ece_calibrated")},
        input_spec={"image_size": data.spec.size, "channels": data.spec.channels},
    )
    return metrics


def _views(tta: str) -> int:
    return {"none": 1, "flip": 2, "flip_translate": 6}[tta]


def evaluate(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """Score a checkpoint on a named dataset's test split or on every image of ``--data``."""
    from .predict import VisionPredictor

    predictor = VisionPredictor.load(cfg.checkpoint)
    pre = predictor.meta.preprocessing
    values = {
        **cfg.values,
        "image_size": pre["image_size"],
        "channels": pre["channels"],
        "val_fraction": 0.0,
    }
    if cfg.get("data") is not None:
        values["test_fraction"] = 0.0
    data = prepare(values)
    split = data.test if len(data.test) else data.train
    unknown = sorted(set(data.class_names) - set(pre["class_names"]))
    if unknown:
        raise UserError(
            f"{data.description}: classes {unknown[:5]} are not among the checkpoint's "
            f"{pre['class_names'][:10]}"
        )
    remap = torch.tensor([pre["class_names"].index(c) for c in data.class_names])
    normalizer = predictor.normalizer
    tta = cfg.tta or pre.get("tta", "none")
    logits, targets, seconds = predict_logits(
        predictor.model, eval_loader(split, normalizer, cfg.eval_batch_size), tta
    )
    targets = remap[targets]
    metrics = {
        "model": predictor.meta.model_name,
        **score(logits, targets, pre["class_names"], predictor.temperature),
        "n_images": len(targets),
        "tta": tta,
        "test_images_per_s": len(targets) * _views(tta) / max(seconds, 1e-9),
        "evaluated_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    plot_confusion_matrix(
        metrics["confusion_matrix"],
        pre["class_names"],
        out / "confusion_matrix.png",
        title=f"{predictor.meta.model_name}",
    )
    return metrics
