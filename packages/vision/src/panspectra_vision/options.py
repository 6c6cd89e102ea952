"""The options of ``vision-classify``, declared once (see :mod:`panspectra_core.kit`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from panspectra_core.datasets import list_datasets
from panspectra_core.kit import (
    COMMON_OPTIONS,
    OUTPUT,
    TRAINING_OPTIONS,
    Option,
    fraction,
    non_negative,
    positive,
    probability,
)
from panspectra_core.kit.components import registry_of

TTA = registry_of(
    {
        "none": "the image as is",
        "flip": "mean logits of the image and its mirror",
        "flip_translate": "flip, plus 1-pixel shifts of both (airbench's level 2)",
    },
    "test-time augmentation",
)
OPTIMIZERS = registry_of(
    {"adamw": "AdamW (transformers)", "sgd": "SGD with Nesterov momentum (conv nets)"}, "optimizer"
)


def _fraction_or_zero(value: float | None) -> str | None:
    return None if value is None or 0 <= value < 1 else "expected a fraction in [0, 1)"


DATA_OPTIONS: tuple[Option, ...] = (
    Option("dataset", str, None, "named dataset", "data", choices=lambda: list_datasets("vision")),
    Option(
        "data",
        Path,
        None,
        "your images: class folders, a CSV of path,label, or a zip of either",
        "data",
        metavar="PATH",
    ),
    Option(
        "image_size",
        int,
        None,
        "side of the square the images are resized to (default: the images' own)",
        "data",
        validate=positive,
    ),
    Option(
        "channels",
        int,
        None,
        "image channels (default: the images'; gray is replicated to RGB)",
        "data",
        validate=positive,
    ),
    Option(
        "val_fraction",
        float,
        0.1,
        "share of the training split held out for validation (0: none)",
        "data",
        validate=_fraction_or_zero,
    ),
    Option(
        "test_fraction",
        float,
        0.2,
        "test share for data without a train/test layout",
        "data",
        validate=fraction,
    ),
    Option(
        "min_image_side",
        int,
        4,
        "images smaller than this are skipped and counted",
        "data",
        validate=positive,
    ),
    Option("no_cache", bool, False, "decode without the on-disk pixel cache", "data", record=False),
)

RECIPE_OPTIONS: tuple[Option, ...] = (
    Option(
        "optimizer",
        str,
        "adamw",
        "optimizer (default: recipe)",
        "training",
        True,
        choices=OPTIMIZERS,
    ),
    Option(
        "momentum",
        float,
        0.9,
        "SGD momentum (default: recipe)",
        "training",
        True,
        validate=non_negative,
    ),
    Option(
        "bias_lr_scale",
        float,
        1.0,
        "SGD: learning-rate factor of norm/bias parameters",
        "training",
        True,
        validate=positive,
    ),
    Option(
        "label_smoothing",
        float,
        0.1,
        "label smoothing (default: recipe)",
        "training",
        True,
        validate=non_negative,
    ),
    Option(
        "ema_decay",
        float,
        0.0,
        "EMA of the weights per step (0: off; default: recipe)",
        "training",
        True,
        validate=non_negative,
    ),
    Option(
        "lookahead",
        bool,
        False,
        "reset the weights to their EMA every 5 steps",
        "training",
        True,
        off_flags=("--no-lookahead",),
    ),
    Option(
        "channels_last",
        bool,
        False,
        "channels-last memory format (faster CPU convolutions)",
        "training",
        True,
        off_flags=("--no-channels-last",),
    ),
    Option(
        "crop_padding",
        int,
        4,
        "random-crop padding in pixels (0: off)",
        "augmentation",
        True,
        validate=non_negative,
    ),
    Option("no_flip", bool, False, "no random horizontal flips", "augmentation", True),
    Option(
        "trivial_augment",
        bool,
        False,
        "TrivialAugment-Wide",
        "augmentation",
        True,
        off_flags=("--no-trivial-augment",),
    ),
    Option(
        "mixup_alpha",
        float,
        0.0,
        "mixup Beta(α, α) (0: off)",
        "augmentation",
        True,
        validate=non_negative,
    ),
    Option(
        "cutmix_alpha",
        float,
        0.0,
        "cutmix Beta(α, α) (0: off)",
        "augmentation",
        True,
        validate=non_negative,
    ),
    Option(
        "mix_prob",
        float,
        1.0,
        "probability that a batch is mixed",
        "augmentation",
        True,
        validate=probability,
    ),
    Option(
        "erase_prob",
        float,
        0.0,
        "random-erasing probability",
        "augmentation",
        True,
        validate=probability,
    ),
    Option(
        "tta",
        str,
        "none",
        "test-time augmentation (default: recipe)",
        "evaluation",
        True,
        choices=TTA,
    ),
    Option(
        "eval_batch_size",
        int,
        500,
        "batch size of evaluation and prediction",
        "evaluation",
        validate=positive,
    ),
)

#: the conv recipes choose bf16 autocast where it pays (``models.conv.fast_precision``)
_TRAINING = tuple(
    dataclasses.replace(o, recipe=True, help="Lightning precision (default: recipe)")
    if o.name == "precision"
    else o
    for o in TRAINING_OPTIONS
)
TRAIN_OPTIONS = (*DATA_OPTIONS, *COMMON_OPTIONS, *_TRAINING, *RECIPE_OPTIONS)

CHECKPOINT = Option(
    "checkpoint",
    Path,
    None,
    "model.safetensors written by train",
    "model",
    required=True,
    metavar="CKPT",
)
_RUN = tuple(
    o for o in COMMON_OPTIONS if o.name in ("overwrite", "seed", "quiet", "device", "threads")
)
_BY_NAME = {o.name: o for o in DATA_OPTIONS}
_TTA_OVERRIDE = Option(
    "tta", str, None, "test-time augmentation (default: the checkpoint's)", "evaluation",
    choices=TTA,
)  # fmt: skip
_INPUT = Option(
    "input", Path, None, "an image, a folder of images or a zip", "data", required=True,
    metavar="PATH",
)  # fmt: skip
EVALUATE_OPTIONS = (
    CHECKPOINT,
    *(_BY_NAME[name] for name in ("dataset", "data", "min_image_side", "no_cache")),
    OUTPUT,
    *_RUN,
    _TTA_OVERRIDE,
    Option("eval_batch_size", int, 500, "batch size", "evaluation", validate=positive),
)
PREDICT_OPTIONS = (
    CHECKPOINT,
    _INPUT,
    OUTPUT,
    *_RUN,
    _TTA_OVERRIDE,
    Option("eval_batch_size", int, 256, "batch size", "evaluation", validate=positive),
    _BY_NAME["min_image_side"],
)
EXPLAIN_OPTIONS = (
    CHECKPOINT,
    _INPUT,
    OUTPUT,
    *_RUN,
    Option("limit", int, 8, "explain at most this many images", "explain", validate=positive),
    Option(
        "method",
        str,
        "auto",
        "auto (rollout for attention models, else Grad-CAM), rollout, gradcam",
        "explain",
        choices=("auto", "rollout", "gradcam"),
    ),
)
