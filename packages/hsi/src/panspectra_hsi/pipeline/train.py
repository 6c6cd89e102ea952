"""Train and evaluate one classifier on one split of one scene (``hsi-classify train``).

Order of operations, each step leak-free: split (protocol) → fit the band scaler / PCA on the
training pixels only → extract patches on the fly → train (validation pixels for best weights) →
evaluate on the test pixels → classify the whole scene for the map.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from panspectra_core.errors import UserError
from panspectra_core.layers import count_trainable_parameters, merge_lora
from panspectra_hsi.data.patches import PatchDataset, pad_cube, pixel_coordinates
from panspectra_hsi.data.preprocessing import SpectralPreprocessor
from panspectra_hsi.data.protocols import (
    Split,
    disjoint_split,
    fixed_split,
    guard_band,
    random_split,
    training_regions,
)
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.eval.metrics import classification_metrics
from panspectra_hsi.pipeline.classifier import PixelClassifier
from panspectra_hsi.pipeline.mixed import MixedClassifier
from panspectra_hsi.pipeline.options import (
    MIXED_ENSEMBLE,
    TrainOptions,
    member_options,
    resolve_options,
)
from panspectra_hsi.pipeline.smoothing import edge_scale
from panspectra_hsi.pipeline.tiling import classify_window, tiles

log = logging.getLogger("panspectra.hsi")


@dataclass
class TrainResult:
    """Outcome of :func:`train_classifier`.

    Attributes:
        classifier: the trained model with its preprocessing (or a mixed ensemble of them).
        split: the pixel split used.
        metrics: test metrics + ``train_seconds`` + ``protocol`` (JSON-friendly).
        prediction: ``(H, W)`` 0-based class map of the whole scene, −1 on nodata.
        options: the resolved options.
    """

    classifier: PixelClassifier | MixedClassifier
    split: Split
    metrics: dict
    prediction: np.ndarray
    options: TrainOptions


def make_split(
    scene: Scene, options: TrainOptions, seed: int, test_labels: np.ndarray | None = None
) -> Split:
    """The split of ``scene.labels`` requested by ``options.protocol``.

    For ``"fixed"`` the scene's labels are the training map and ``test_labels`` the test map.
    """
    common = {"class_names": scene.class_names, "source": scene.source}
    if options.protocol == "random":
        return random_split(
            scene.labels,
            train_fraction=options.train_fraction,
            train_count=options.train_count,
            min_per_class=options.min_per_class,
            val_fraction=options.val_fraction,
            seed=seed,
            **common,
        )
    if options.protocol == "disjoint":
        return disjoint_split(
            scene.labels,
            train_fraction=options.train_fraction,
            min_per_class=options.min_per_class,
            guard_radius=options.guard_radius,
            val_fraction=options.val_fraction,
            seed=seed,
            **common,
        )
    if options.protocol == "fixed":
        if test_labels is None:
            raise ValueError("protocol 'fixed' needs test_labels")
        return fixed_split(
            scene.labels,
            test_labels,
            val_fraction=options.val_fraction,
            seed=seed,
            source=scene.source,
        )
    raise ValueError(f"unknown protocol {options.protocol!r}")


def classify_scene(
    classifier: PixelClassifier | MixedClassifier,
    scene: Scene,
    tile_size: int = 256,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """``(H, W)`` 0-based class map of an in-memory scene (−1 on nodata), tile by tile;
    ``exclude`` ``(H, W)``: pixels left out of the smoothing windows (see
    :func:`~panspectra_hsi.pipeline.tiling.classify_window`)."""
    height, width, _ = scene.shape

    def read(rows: slice, cols: slice) -> np.ndarray:
        window = np.asarray(scene.cube[rows, cols], dtype=np.float32)
        if scene.nodata_mask is not None:
            window = np.where(scene.nodata_mask[rows, cols, None], np.nan, window)
        return window

    out = np.empty((height, width), dtype=np.int64)
    for r0, r1, c0, c1 in tiles(height, width, tile_size):
        out[r0:r1, c0:c1] = classify_window(
            classifier, read, (height, width), (r0, r1, c0, c1), exclude=exclude
        )
    return out


def _fit_torch(model, features, labels, split, options, trainer_config, workdir, num_classes):
    """Train ``model`` in place on patches of ``split``; returns the core ``FitResult``."""
    from panspectra_core.training import ClassificationTask, balanced_class_weights, fit

    padded = pad_cube(features, options.patch_size // 2)

    def loader(mask: np.ndarray, shuffle: bool) -> DataLoader:
        # augmentation on the shuffled (training) loader only
        augment = bool(options.augment) and shuffle
        dataset = PatchDataset(padded, pixel_coordinates(mask), labels, options.patch_size, augment)
        generator = torch.Generator().manual_seed(trainer_config.seed)
        return DataLoader(
            dataset,
            batch_size=options.batch_size,
            shuffle=shuffle,
            num_workers=0,
            drop_last=False,
            generator=generator,
        )

    train_targets = labels[split.train] - 1
    class_weights = (
        balanced_class_weights(train_targets, num_classes) if options.balanced_loss else None
    )
    task = ClassificationTask(
        model,
        num_classes=num_classes,
        class_weights=class_weights,
        lr=options.lr,
        weight_decay=options.weight_decay,
        label_smoothing=options.label_smoothing,
        scheduler=options.scheduler,
        warmup_epochs=options.warmup_epochs or 0,
    )
    val_mask = split.val if split.val.any() else split.train  # tiny scenes: monitor train
    # fit() loads the best weights back into ``task``, i.e. into ``model`` itself
    return fit(task, loader(split.train, True), loader(val_mask, False), trainer_config, workdir)


def smoothing_exclusion(
    options: TrainOptions, split: Split, classifier: PixelClassifier | MixedClassifier
) -> np.ndarray | None:
    """``(H, W)`` pixels to leave out of the smoothing when scoring ``split``'s test pixels
    (``options.smooth_exclude_training``): every pixel whose patch holds a training or
    validation pixel, since it predicts from it; None = nothing left out."""
    if not options.smooth_exclude_training:
        return None
    return guard_band(split.train | split.val, classifier.radius)


def train_classifier(
    scene: Scene,
    options: TrainOptions,
    *,
    trainer_config=None,
    workdir: str | Path,
    seed: int = 0,
    test_labels: np.ndarray | None = None,
    device: torch.device | None = None,
) -> TrainResult:
    """Split, preprocess, train, evaluate and map one scene with one seed.

    Args:
        scene: labelled scene (labels 0 = unlabelled, 1..K).
        options: run options (recipe defaults filled in here).
        trainer_config: ``panspectra_core.training.TrainConfig`` (its seed is set to ``seed``).
        workdir: scratch directory for Lightning logs/checkpoints.
        seed: split + initialisation seed.
        test_labels: encoded test map for the ``"fixed"`` protocol.
        device: where the final scene classification runs (default: CPU).
    """
    from panspectra_core.cli import seed_everything

    options = resolve_options(options)
    seed_everything(seed)
    split = make_split(scene, options, seed, test_labels)
    labels = (
        scene.labels
        if test_labels is None
        else np.where(scene.labels > 0, scene.labels, test_labels)
    )
    fit_args = {
        "cube": np.asarray(scene.cube, dtype=np.float32),
        "labels": labels,
        "split": split,
        "scene": scene,
        "trainer_config": trainer_config,
        "device": device,
    }
    if options.model == MIXED_ENSEMBLE:
        classifier, info = _fit_mixed(options, seed=seed, workdir=Path(workdir), **fit_args)
    else:
        classifier, info = _fit_classifier(options, seed=seed, workdir=Path(workdir), **fit_args)
    if classifier.smooth_method == "random_walker" and classifier.smooth_radius > 0:
        classifier.smooth_edge_scale = _training_edge_scale(classifier, scene, split.train)
    exclude = smoothing_exclusion(options, split, classifier)
    prediction = classify_scene(classifier, scene, exclude=exclude)
    metrics = classification_metrics(
        labels[split.test] - 1, prediction[split.test], scene.class_names
    )
    # no validation pixels (--val-fraction 0): null, not the accuracy on the training pixels
    val_accuracy = (
        float(np.mean(prediction[split.val] == labels[split.val] - 1)) if split.val.any() else None
    )
    metrics.update(
        val_overall_accuracy=val_accuracy,
        **info,
        seed=seed,
        model=options.model,
        protocol=split.describe(labels, scene.num_classes),
        options=options.to_dict(),
    )
    log.info(
        "seed %d: OA %.4f AA %.4f kappa %.4f (%.1f s training)",
        seed,
        metrics["overall_accuracy"],
        metrics["average_accuracy"],
        metrics["kappa"],
        metrics["train_seconds"],
    )
    return TrainResult(classifier, split, metrics, prediction, options)


def _training_edge_scale(
    classifier: PixelClassifier | MixedClassifier, scene: Scene, train: np.ndarray
) -> float:
    """The random walker's edge scale from the training pixels' 8-neighbour edges of the
    scene (:func:`~panspectra_hsi.pipeline.smoothing.edge_scale`), on the classifier's
    features — computed on the training pixels' bounding box grown by one pixel, which holds
    every such edge, not on the whole scene."""
    rows, cols = np.nonzero(train)
    height, width = train.shape
    box = (
        slice(max(rows.min() - 1, 0), min(rows.max() + 2, height)),
        slice(max(cols.min() - 1, 0), min(cols.max() + 2, width)),
    )
    cube = np.nan_to_num(np.asarray(scene.cube[box], dtype=np.float32))
    features = classifier.edge_preprocessor.transform(cube)
    valid = None if scene.nodata_mask is None else ~scene.nodata_mask[box]
    try:
        return edge_scale(features, train[box], valid)
    except ValueError as error:
        raise UserError(f"--smooth-method random_walker: {error}") from None


def _fit_classifier(
    options: TrainOptions,
    *,
    cube: np.ndarray,
    labels: np.ndarray,
    split: Split,
    scene: Scene,
    seed: int,
    workdir: Path,
    trainer_config=None,
    device: torch.device | None = None,
) -> tuple[PixelClassifier, dict]:
    """Fit the preprocessing and the model of resolved ``options`` on ``split.train``.

    Returns the classifier and its training record (``train_seconds``, ``train_cpu_seconds``,
    ``epochs``, ``best_epoch``, ``time_limit_reached``, parameter counts).
    """
    from dataclasses import replace

    from panspectra_core.registry import create_model

    num_classes = scene.num_classes
    if options.finetune:
        preprocessor, model, model_kwargs = _start_from_checkpoint(
            options.finetune, cube.shape[-1], num_classes
        )
    else:
        preprocessor = _fit_preprocessor(options, cube, labels, split)
        model_kwargs = {
            "num_bands": preprocessor.num_features,
            "num_classes": num_classes,
            "patch_size": options.patch_size,
            **options.model_kwargs,
        }
        model = create_model(options.model, **model_kwargs)
    model_name = options.model
    if (options.ensemble or 1) > 1:
        if options.finetune or options.lora_rank:
            raise UserError("--ensemble cannot be combined with --finetune or --lora-rank")
        model_kwargs = {**model_kwargs, "member": options.model, "members": options.ensemble}
        model_name, model = "ensemble", create_model("ensemble", **model_kwargs)
    features = preprocessor.transform(cube)
    parameter_counts = {}
    if isinstance(model, torch.nn.Module):
        if options.lora_rank:
            if not hasattr(model, "enable_lora"):
                raise UserError(f"--lora-rank: model {options.model!r} does not support LoRA")
            model.enable_lora(rank=options.lora_rank)
        parameter_counts = {
            "total_parameters": sum(p.numel() for p in model.parameters()),
            "trainable_parameters": count_trainable_parameters(model),
        }
        log.info(
            "%s: %d trainable of %d parameters",
            options.model,
            parameter_counts["trainable_parameters"],
            parameter_counts["total_parameters"],
        )
    start, cpu_start = time.perf_counter(), time.process_time()
    if getattr(model, "is_sklearn", False):
        model.fit(features[split.train], labels[split.train] - 1)
        epochs, best_epoch, time_limit_reached = 0, None, False
    else:
        from panspectra_core.training import TrainConfig

        config = replace(
            trainer_config or TrainConfig(progress_bar=False),
            seed=seed,
            max_epochs=options.epochs,
            monitor=options.monitor or "val_loss",
            mode="min",
        )
        # an ensemble's members are trained one after the other, each with its own data order
        members = list(model.members) if model_name == "ensemble" else [model]
        time_limit_reached = False  # --max-train-minutes is a budget per member
        for index, member in enumerate(members):
            member_config = replace(config, seed=seed + 1000 * index)
            member_dir = workdir / f"member{index}"
            fit_result = _fit_torch(
                member, features, labels, split, options, member_config, member_dir, num_classes
            )
            time_limit_reached = time_limit_reached or fit_result.time_limit_reached
        epochs, best_epoch = fit_result.epochs, fit_result.best_epoch
        merge_lora(model)  # a fine-tuned model is saved as its base architecture
        model = model.to(device or torch.device("cpu")).eval()
    info = {
        "train_seconds": time.perf_counter() - start,
        "train_cpu_seconds": time.process_time() - cpu_start,  # all threads of this process
        "epochs": epochs,
        "best_epoch": best_epoch,
        "time_limit_reached": time_limit_reached,
        "nuisance_axes": preprocessor.num_nuisance_axes,
        **parameter_counts,
    }
    classifier = PixelClassifier(
        model=model,
        preprocessor=preprocessor,
        patch_size=options.patch_size,
        class_names=scene.class_names,
        label_values=scene.label_values,
        model_name=model_name,
        model_kwargs=model_kwargs,
        wavelengths=None if scene.wavelengths is None else [float(w) for w in scene.wavelengths],
        tta=1 if getattr(model, "is_sklearn", False) else int(options.tta or 1),
        smooth_radius=int(options.smooth_radius or 0),
        smooth_method=options.smooth_method or "box",
    )
    return classifier, info


def _fit_preprocessor(
    options: TrainOptions, cube: np.ndarray, labels: np.ndarray, split: Split
) -> SpectralPreprocessor:
    """Band standardization, nuisance projection and PCA of ``options``, fitted on the
    training pixels (the nuisance from their 4-connected regions per class).

    When no class has two separate training regions (a training map with one field per class)
    there is no nuisance to estimate: a warning is logged and the spectra are not projected
    (``nuisance_axes`` 0 in the run's record).
    """
    standardize = True if options.standardize_bands is None else options.standardize_bands
    dims = int(options.nuisance_dims or 0)
    if dims < 0:
        raise UserError(f"--nuisance-dims {dims}: must be >= 0")
    fit = partial(
        SpectralPreprocessor.fit,
        cube[split.train],
        options.pca_components or None,
        standardize_bands=standardize,
    )
    if not dims:
        return fit()
    try:
        return fit(
            nuisance_dims=dims,
            labels=labels[split.train],
            regions=training_regions(split.train, labels),
        )
    except ValueError as error:
        log.warning("--nuisance-dims %d: %s; training without it", dims, error)
        return fit()


def _fit_mixed(
    options: TrainOptions, *, seed: int, workdir: Path, **fit_args
) -> tuple[MixedClassifier, dict]:
    """Fit every member of a mixed ensemble on the same split, one after the other.

    Member ``i`` uses its own recipe (overridden by the hyper-parameters set in ``options``)
    and seed ``seed + 1000 * i``; its record is kept under ``members`` of the returned record,
    whose times and parameter counts are the members' sums.
    """
    from panspectra_core.cli import seed_everything

    members, records = [], []
    for index, name in enumerate(options.members):
        member_seed = seed + 1000 * index
        seed_everything(member_seed)
        classifier, info = _fit_classifier(
            member_options(options, name),
            seed=member_seed,
            workdir=workdir / f"mixed{index}",
            **fit_args,
        )
        members.append(classifier)
        records.append({"model": name, "seed": member_seed, "tta": classifier.tta, **info})
    summed = ("train_seconds", "train_cpu_seconds", "total_parameters", "trainable_parameters")
    info = {key: sum(r.get(key, 0) for r in records) for key in summed}  # sklearn: no parameters
    info.update(
        epochs=[r["epochs"] for r in records],
        best_epoch=[r["best_epoch"] for r in records],
        time_limit_reached=any(r["time_limit_reached"] for r in records),
        members=records,
    )
    mixed = MixedClassifier(
        members, smooth_radius=options.smooth_radius, smooth_method=options.smooth_method
    )
    return mixed, info


def _start_from_checkpoint(path: str, num_bands: int, num_classes: int):
    """Preprocessor, model and builder kwargs of checkpoint ``path`` for fine-tuning.

    The scene must have the checkpoint's band count (the preprocessing is reused); the head is
    re-initialised when the number of classes differs.
    """
    classifier = PixelClassifier.load(path)
    if classifier.preprocessor.num_bands_in != num_bands:
        raise UserError(
            f"--finetune {path}: the checkpoint expects {classifier.preprocessor.num_bands_in} "
            f"bands, the scene has {num_bands}"
        )
    model = classifier.model.train()
    model_kwargs = dict(classifier.model_kwargs)
    if model_kwargs.get("num_classes") != num_classes:
        model.reset_head(num_classes)
        model_kwargs["num_classes"] = num_classes
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    return classifier.preprocessor, model, model_kwargs
