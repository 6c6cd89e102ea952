"""Fit a classifier's preprocessing and model on the training pixels of a split: one registered
model (torch or sklearn, optionally N copies or a fine-tuned checkpoint) or a mixed ensemble."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from panspectra_core.errors import UserError
from panspectra_core.kit import RunConfig, member_seed
from panspectra_core.layers import count_trainable_parameters, merge_lora
from panspectra_core.runtime import seed_everything
from panspectra_hsi.data.patches import PatchDataset, pad_cube, pixel_coordinates
from panspectra_hsi.data.preprocessing import SpectralPreprocessor
from panspectra_hsi.data.protocols import Split, training_regions
from panspectra_hsi.data.scene import Scene
from panspectra_hsi.pipeline.classifier import PixelClassifier
from panspectra_hsi.pipeline.config import member_config
from panspectra_hsi.pipeline.mixed import MixedClassifier

log = logging.getLogger("panspectra.hsi")


def _fit_torch(model, features, labels, split, cfg, trainer_config, workdir, num_classes):
    """Train ``model`` in place on patches of ``split``; returns the core ``FitResult``."""
    from panspectra_core.training import ClassificationTask, balanced_class_weights, fit

    padded = pad_cube(features, cfg.patch_size // 2)

    def loader(mask: np.ndarray, shuffle: bool) -> DataLoader:
        # augmentation on the shuffled (training) loader only
        augment = bool(cfg.augment) and shuffle
        dataset = PatchDataset(padded, pixel_coordinates(mask), labels, cfg.patch_size, augment)
        generator = torch.Generator().manual_seed(trainer_config.seed)
        return DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            shuffle=shuffle,
            num_workers=0,
            drop_last=False,
            generator=generator,
        )

    train_targets = labels[split.train] - 1
    class_weights = (
        balanced_class_weights(train_targets, num_classes) if cfg.balanced_loss else None
    )
    task = ClassificationTask(
        model,
        num_classes=num_classes,
        class_weights=class_weights,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        label_smoothing=cfg.label_smoothing,
        scheduler=cfg.scheduler,
        warmup_epochs=cfg.warmup_epochs or 0,
    )
    val_mask = split.val if split.val.any() else split.train  # tiny scenes: monitor train
    # fit() loads the best weights back into ``task``, i.e. into ``model`` itself
    return fit(task, loader(split.train, True), loader(val_mask, False), trainer_config, workdir)


def fit_classifier(
    cfg: RunConfig,
    *,
    cube: np.ndarray,
    labels: np.ndarray,
    split: Split,
    scene: Scene,
    seed: int,
    workdir: Path,
    trainer_config,
    device: torch.device | None = None,
) -> tuple[PixelClassifier, dict]:
    """Fit the preprocessing and the model of the resolved ``cfg`` on ``split.train``.

    Returns the classifier and its training record (``train_seconds``, ``train_cpu_seconds``,
    ``epochs``, ``best_epoch``, ``time_limit_reached``, parameter counts).
    """
    preprocessor, model, model_name, model_kwargs = _build(cfg, cube, labels, split, scene)
    features = preprocessor.transform(cube)
    parameter_counts = _prepare_network(cfg, model)
    start, cpu_start = time.perf_counter(), time.process_time()
    if getattr(model, "is_sklearn", False):
        model.fit(features[split.train], labels[split.train] - 1)
        record = {"epochs": 0, "best_epoch": None, "time_limit_reached": False}
    else:
        config = replace(
            trainer_config, seed=seed, max_epochs=cfg.epochs, monitor=cfg.monitor, mode="min"
        )
        # an ensemble's members are trained one after the other, each with its own data order
        members = list(model.members) if model_name == "ensemble" else [model]
        limit = False  # max_train_minutes is a budget per member
        for index, member in enumerate(members):
            member_trainer = replace(config, seed=member_seed(seed, index))
            result = _fit_torch(
                member, features, labels, split, cfg, member_trainer,
                workdir / f"member{index}", scene.num_classes,
            )  # fmt: skip
            limit = limit or result.time_limit_reached
        record = {"epochs": result.epochs, "best_epoch": result.best_epoch}
        record["time_limit_reached"] = limit
        merge_lora(model)  # a fine-tuned model is saved as its base architecture
        model = model.to(device or torch.device("cpu")).eval()
    info = {
        "train_seconds": time.perf_counter() - start,
        "train_cpu_seconds": time.process_time() - cpu_start,  # all threads of this process
        **record,
        "nuisance_axes": preprocessor.num_nuisance_axes,
        **parameter_counts,
    }
    return _classifier(cfg, scene, preprocessor, model, model_name, model_kwargs), info


def _classifier(cfg, scene, preprocessor, model, model_name, model_kwargs) -> PixelClassifier:
    """The trained model with its preprocessing, class table and inference settings."""
    return PixelClassifier(
        model=model,
        preprocessor=preprocessor,
        patch_size=cfg.patch_size,
        class_names=scene.class_names,
        label_values=scene.label_values,
        model_name=model_name,
        model_kwargs=model_kwargs,
        wavelengths=None if scene.wavelengths is None else [float(w) for w in scene.wavelengths],
        tta=1 if getattr(model, "is_sklearn", False) else int(cfg.tta),
        smooth_radius=int(cfg.smooth_radius),
        smooth_method=cfg.smooth_method,
    )


def _build(cfg: RunConfig, cube: np.ndarray, labels: np.ndarray, split: Split, scene: Scene):
    """``(preprocessor, model, model name, builder kwargs)``: fitted preprocessing and a fresh
    model (N copies for ``ensemble`` > 1), or those of the ``finetune`` checkpoint."""
    from panspectra_core.registry import create_model

    if cfg.finetune:
        preprocessor, model, model_kwargs = _start_from_checkpoint(
            cfg.finetune, cube.shape[-1], scene.num_classes
        )
    else:
        preprocessor = _fit_preprocessor(cfg, cube, labels, split)
        model_kwargs = {
            "num_bands": preprocessor.num_features,
            "num_classes": scene.num_classes,
            "patch_size": cfg.patch_size,
            **(cfg.model_kwargs or {}),
        }
        model = create_model(cfg.model, **model_kwargs)
    if cfg.ensemble > 1:
        model_kwargs = {**model_kwargs, "member": cfg.model, "members": cfg.ensemble}
        return preprocessor, create_model("ensemble", **model_kwargs), "ensemble", model_kwargs
    return preprocessor, model, cfg.model, model_kwargs


def _prepare_network(cfg: RunConfig, model) -> dict:
    """Add LoRA adapters (``lora_rank``) to a torch model; its parameter counts ({} for the
    sklearn baselines)."""
    if not isinstance(model, torch.nn.Module):
        return {}
    if cfg.lora_rank:
        if not hasattr(model, "enable_lora"):
            raise UserError(f"lora_rank: model {cfg.model!r} does not support LoRA")
        model.enable_lora(rank=cfg.lora_rank)
    counts = {
        "total_parameters": sum(p.numel() for p in model.parameters()),
        "trainable_parameters": count_trainable_parameters(model),
    }
    log.info(
        "%s: %d trainable of %d parameters",
        cfg.model,
        counts["trainable_parameters"],
        counts["total_parameters"],
    )
    return counts


def _fit_preprocessor(
    cfg: RunConfig, cube: np.ndarray, labels: np.ndarray, split: Split
) -> SpectralPreprocessor:
    """Band standardization, nuisance projection and PCA of ``cfg``, fitted on the
    training pixels (the nuisance from their 4-connected regions per class).

    When no class has two separate training regions (a training map with one field per class)
    there is no nuisance to estimate: a warning is logged and the spectra are not projected
    (``nuisance_axes`` 0 in the run's record).
    """
    standardize = cfg.standardize_bands
    dims = int(cfg.nuisance_dims)
    fit = partial(
        SpectralPreprocessor.fit,
        cube[split.train],
        cfg.pca_components or None,
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
        log.warning("nuisance_dims=%d: %s; training without it", dims, error)
        return fit()


def fit_mixed(
    cfg: RunConfig, *, seed: int, workdir: Path, **fit_args
) -> tuple[MixedClassifier, dict]:
    """Fit every member of a mixed ensemble on the same split, one after the other.

    Member ``i`` uses its own recipe (under the values the user set for the ensemble)
    and seed ``seed + 1000 * i``; its record is kept under ``members`` of the returned record,
    whose times and parameter counts are the members' sums.
    """
    members, records = [], []
    for index, name in enumerate(cfg.members):
        seed_of_member = member_seed(seed, index)
        seed_everything(seed_of_member)
        classifier, info = fit_classifier(
            member_config(cfg, name),
            seed=seed_of_member,
            workdir=workdir / f"mixed{index}",
            **fit_args,
        )
        members.append(classifier)
        records.append({"model": name, "seed": seed_of_member, "tta": classifier.tta, **info})
    summed = ("train_seconds", "train_cpu_seconds", "total_parameters", "trainable_parameters")
    info = {key: sum(r.get(key, 0) for r in records) for key in summed}  # sklearn: no parameters
    info.update(
        epochs=[r["epochs"] for r in records],
        best_epoch=[r["best_epoch"] for r in records],
        time_limit_reached=any(r["time_limit_reached"] for r in records),
        members=records,
    )
    mixed = MixedClassifier(
        members, smooth_radius=cfg.smooth_radius, smooth_method=cfg.smooth_method
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
            f"finetune={path}: the checkpoint expects {classifier.preprocessor.num_bands_in} "
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
