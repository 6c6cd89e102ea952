"""Every option of ``hsi-classify`` train / evaluate / predict / info, declared once.

The command-line flags, the merge of a model's recipe (``register_model(..., recipe=...)`` in
each model's module) with the user's values, ``--config run.yaml``, the benchmark's
``--set key=value``, the ``config`` block of ``metrics.json``, ``config.yaml`` and the
checkpoint's config are all derived from these declarations
(:mod:`panspectra_core.kit.options`). Options marked ``recipe=True`` may be set by a recipe;
the user's explicit value always wins.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from panspectra_core.kit import (
    COMMON_OPTIONS,
    MODEL,
    OUTPUT,
    TRAINING_OPTIONS,
    Option,
    fraction,
    name_list,
    non_negative,
    positive,
)
from panspectra_hsi.components import HSI_SCHEDULERS, MONITORS, PROTOCOLS, SMOOTHERS

#: test-time augmentation views (dihedral views averaged)
TTA_VIEWS = (1, 2, 4, 8)
MIXED_ENSEMBLE = "mixed_ensemble"

#: the model (with option values) ``train`` uses without ``--model`` under random sampling and
#: fixed splits: SSFTT with a shorter schedule (docs/hsi.md, "The default model")
RANDOM_DEFAULT: tuple[str, dict[str, Any]] = ("ssftt", {"epochs": 60})

#: ... and under ``protocol='disjoint'``: the RBF SVM on spectra with the leading between-field
#: nuisance axis projected out, trained on all training pixels, then the random walker
#: (diffusion length 10) with the training pixels left out of the smoothing (docs/hsi.md)
DISJOINT_DEFAULT: tuple[str, dict[str, Any]] = (
    "svm",
    {
        "nuisance_dims": 1,
        "val_fraction": 0.0,
        "smooth_radius": 10,
        "smooth_method": "random_walker",
        "smooth_exclude_training": True,
    },
)


def default_model(values: dict[str, Any]) -> str | tuple[str, dict[str, Any]]:
    """The model of a run without ``--model``: the fine-tuned checkpoint's, else the benchmark
    winner of the protocol with its option values (which explicit flags still win over).

    Patch models that lead under random sampling learn the context of their training regions
    and fall behind a per-pixel SVM with graph smoothing when train and test are spatially
    disjoint, so the default depends on the protocol.
    """
    if values.get("finetune") is not None:
        from panspectra_core.checkpoint import read_checkpoint_meta

        return read_checkpoint_meta(values["finetune"]).model_name
    name, extra = DISJOINT_DEFAULT if values.get("protocol") == "disjoint" else RANDOM_DEFAULT
    return name, dict(extra)


def int_list(value: Any) -> list[int] | None:
    """``"103,104"`` (or a list) → ``[103, 104]``."""
    if value is None:
        return None
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    try:
        return [int(v) for v in items if str(v).strip()]
    except ValueError:
        raise ValueError("expected comma-separated integers, e.g. 103,104") from None


def _odd(value: int | None) -> str | None:
    if value is None:
        return None
    return None if value > 0 and value % 2 == 1 else "must be odd and positive"


def _val_share(value: float | None) -> str | None:
    return None if value is None or 0 <= value < 1 else "expected a share in [0, 1)"


SCENE = "input scene (a named --dataset or your own files)"


def scene_options(*, labels: bool = True) -> tuple[Option, ...]:
    """The flags naming the scene: a ``dataset`` or a ``cube`` (+ ``labels``) file."""
    options = [
        Option("dataset", str, None, "named dataset (e.g. indian_pines)", SCENE),
        Option("cube", Path, None, "cube: ENVI .hdr, GeoTIFF/GDAL, .mat, .npy, .npz", SCENE),
        Option("cube_key", str, None, "variable of the cube in a .mat/.npz file", SCENE),
    ]
    if labels:
        options += [
            Option("labels", Path, None, "label map (same formats), 0 = unlabelled", SCENE),
            Option("labels_key", str, None, "variable of the labels in a .mat/.npz file", SCENE),
            Option("ignore_label", int, 0, "unlabelled code", SCENE),
            Option(
                "class_names",
                str,
                None,
                "comma-separated names of the classes, in code order",
                SCENE,
            ),
        ]
    options.append(
        Option("drop_bands", int_list, None, "0-based bands to drop, e.g. 103,104", SCENE)
    )
    return tuple(options)


PROTOCOL_OPTIONS: tuple[Option, ...] = (
    Option("protocol", str, "random", "pixel split", "protocol", choices=PROTOCOLS),
    Option("train_fraction", float, 0.1, "training share per class", "protocol", validate=fraction),
    Option(
        "train_count",
        int,
        None,
        "training pixels per class (random only)",
        "protocol",
        validate=positive,
    ),
    Option("min_per_class", int, 5, "minimum training pixels", "protocol", validate=positive),
    Option(
        "val_fraction",
        float,
        0.1,
        "share of the training pixels used for validation (default 0.1; 0 for the disjoint "
        "default model, which chooses nothing on validation pixels)",
        "protocol",
        recipe=True,
        validate=_val_share,
    ),
    Option(
        "guard_radius",
        int,
        None,
        "disjoint guard band (default: patch radius + smooth_radius; the patch radius with "
        "smooth_exclude_training)",
        "protocol",
        validate=non_negative,
    ),
    Option(
        "train_labels",
        Path,
        None,
        "fixed training label map (with --test-labels; protocol 'fixed')",
        "protocol",
    ),
    Option("test_labels", Path, None, "fixed test label map", "protocol"),
)


def inference_options(*, from_checkpoint: bool = False) -> tuple[Option, ...]:
    """Test-time augmentation and probability smoothing: recipe values for ``train``, the
    checkpoint's unless given for ``predict`` (``from_checkpoint``)."""
    group = "post-processing (default: the checkpoint's)" if from_checkpoint else "inference"
    default = (lambda value: None) if from_checkpoint else (lambda value: value)
    learnt = not from_checkpoint
    return (
        Option(
            "tta",
            int,
            default(1),
            "test-time augmentation views (1 = off)",
            group,
            learnt,
            choices=TTA_VIEWS,
        ),
        Option(
            "smooth_radius",
            int,
            default(0),
            "filter the predicted probability map over (2r+1)² pixels (0 = off; no labels); "
            "for random_walker: its diffusion length in pixels",
            group,
            learnt,
            validate=non_negative,
        ),
        Option(
            "smooth_method",
            str,
            default("box"),
            "probability smoothing",
            group,
            learnt,
            choices=SMOOTHERS,
        ),
    )


def _hsi_training() -> tuple[Option, ...]:
    """The core's training options with hsi's defaults (``--pca``, 1e-4 weight decay, the
    schedules hsi offers); resuming is not offered (runs are short)."""
    adapted = {
        "model": replace(
            MODEL, help="registered hsi model (default: the benchmark winner of the protocol)"
        ),
        "weight_decay": TRAINING_OPTIONS_BY_NAME["weight_decay"].with_default(1e-4),
        "scheduler": replace(TRAINING_OPTIONS_BY_NAME["scheduler"], choices=HSI_SCHEDULERS),
        # the sklearn baselines' recipes say 0 epochs
        "epochs": replace(TRAINING_OPTIONS_BY_NAME["epochs"], validate=non_negative),
        "resume": replace(TRAINING_OPTIONS_BY_NAME["resume"], cli=False),
    }
    return tuple(adapted.get(o.name, o) for o in TRAINING_OPTIONS)


TRAINING_OPTIONS_BY_NAME = {o.name: o for o in TRAINING_OPTIONS}
HYPER = "hyper-parameters (default: the model's recipe)"

MODEL_OPTIONS: tuple[Option, ...] = (
    Option(
        "members",
        name_list,
        None,
        "with --model mixed_ensemble: the models whose probabilities are averaged, each "
        "trained with its own recipe",
        "model",
        recipe=True,
        metavar="NAMES",
    ),
    Option("patch_size", int, 11, "patch side", HYPER, True, validate=_odd),
    Option(
        "pca_components",
        int,
        30,
        "PCA components fitted on training pixels; 0 = off",
        HYPER,
        True,
        aliases=("--pca",),
        validate=non_negative,
    ),
    Option("label_smoothing", float, 0.0, "cross-entropy label smoothing", HYPER, True),
    Option("warmup_epochs", int, 0, "linear warm-up epochs (cosine)", HYPER, True),
    Option(
        "balanced_loss",
        bool,
        False,
        "weight each class's loss by n / (K * n_class), like the SVM's balanced weights",
        HYPER,
        True,
    ),
    Option(
        "standardize_bands",
        bool,
        True,
        "z-score every band before PCA (--no-band-std: one global scale)",
        HYPER,
        True,
        off_flags=("--no-band-std",),
    ),
    Option(
        "nuisance_dims",
        int,
        0,
        "project the D directions along which the training regions of one class differ (the "
        "scene's drift) out of every spectrum; needs several training fields per class",
        HYPER,
        True,
        validate=non_negative,
        metavar="D",
    ),
    Option(
        "monitor", str, "val_loss", "which epoch's weights are kept", HYPER, True, choices=MONITORS
    ),
    Option(
        "ensemble",
        int,
        1,
        "train N copies and average their probabilities",
        HYPER,
        True,
        validate=positive,
    ),
    Option(
        "augment",
        bool,
        False,
        "random flips/90° rotations of the training patches",
        HYPER,
        True,
        off_flags=("--no-augment",),
    ),
    Option(
        "smooth_exclude_training",
        bool,
        False,
        "leave the training/validation pixels (and every pixel whose patch reaches one) out of "
        "the smoothing when scoring: leak-free without a guard band",
        "inference",
        True,
    ),
    Option(
        "finetune",
        Path,
        None,
        "start from a checkpoint (same bands; its preprocessing is reused)",
        "fine-tuning",
        metavar="CKPT",
    ),
    Option(
        "lora_rank",
        int,
        None,
        "train only LoRA adapters of this rank (and the head); base weights frozen",
        "fine-tuning",
        validate=positive,
    ),
)

CHECKPOINT = Option("checkpoint", Path, None, "an hsi-classify checkpoint", "input", required=True)

TRAIN_OPTIONS: tuple[Option, ...] = (
    *scene_options(),
    *PROTOCOL_OPTIONS,
    *MODEL_OPTIONS,
    *_hsi_training(),
    *inference_options(),
    *COMMON_OPTIONS,
)

EVALUATE_OPTIONS: tuple[Option, ...] = (
    CHECKPOINT,
    *scene_options(),
    replace(OUTPUT, required=False, help="folder for metrics.json (optional)"),
    *(o for o in COMMON_OPTIONS if o.name not in ("output", "seeds")),
)

PREDICT_OPTIONS: tuple[Option, ...] = (
    CHECKPOINT,
    *scene_options(labels=False),
    Option("tile_size", int, 256, "tile side in pixels", "prediction", validate=positive),
    Option("batch_size", int, 1024, "patches per forward pass", "prediction", validate=positive),
    *inference_options(from_checkpoint=True),
    replace(OUTPUT, help="the class map: .tif/.tiff (GeoTIFF) or .npy", metavar="MAP.tif"),
    *(o for o in COMMON_OPTIONS if o.name not in ("output", "seeds")),
)

INFO_OPTIONS: tuple[Option, ...] = (
    replace(CHECKPOINT, required=False),
    *scene_options(),
)

#: every train option by name (the benchmark's ``--set``)
TRAIN_BY_NAME: dict[str, Option] = {o.name: o for o in TRAIN_OPTIONS}
