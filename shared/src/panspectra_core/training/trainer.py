"""A Lightning trainer factory with the conventions every domain CLI shares.

CPU by default and the GPU when present (``accelerator="auto"``); ``--devices``,
``--strategy ddp`` and ``--num-nodes`` are passed through so a user can scale out; best and
last checkpoints (Lightning's own files, for ``--resume``); early stopping; progress bar;
CSV log; ``--seed`` and ``--deterministic``.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader

from panspectra_core.cli import apply_lightning_log_level
from panspectra_core.training.batch import forward_batch
from panspectra_core.training.config import (  # noqa: F401 (re-exported)
    TrainConfig,
    add_trainer_args,
    max_time_from_minutes,
    trainer_config_from_args,
)
from panspectra_core.training.tasks import find_timer

log = logging.getLogger("panspectra")


@dataclass
class FitResult:
    """What :func:`fit` reports; the best weights are already loaded into the task's model."""

    train_seconds: float
    epochs: int
    best_score: float | None
    best_epoch: int | None
    cpu_seconds: float = 0.0
    """CPU time of this process (all its threads) during training."""
    time_limit_reached: bool = False
    """Whether ``TrainConfig.max_time`` ended training before ``max_epochs``/early stopping."""


class _KeepBestWeights(Callback):
    """Keep an in-memory copy of the model weights at the best monitored value."""

    def __init__(self, monitor: str, mode: str) -> None:
        self.monitor, self.mode = monitor, mode
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.state: dict[str, torch.Tensor] | None = None

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.monitor])
        better = self.best is None or (
            value < self.best if self.mode == "min" else value > self.best
        )
        if better:
            self.best, self.best_epoch = value, trainer.current_epoch
            self.state = copy.deepcopy(
                {k: v.detach().cpu() for k, v in pl_module.state_dict().items()}
            )


def _devices(value: str | int | list[int]) -> str | int | list[int]:
    if isinstance(value, int | list) or value == "auto":
        return value
    return int(value) if value.isdigit() else value


def build_trainer(config: TrainConfig, workdir: Path, *, has_validation: bool = True) -> L.Trainer:
    """A ``lightning.Trainer``: checkpoints in workdir/lightning, CSV logs in workdir/logs."""
    apply_lightning_log_level()  # importing Lightning reset its loggers to INFO
    callbacks: list[Callback] = []
    monitor = config.monitor if has_validation else "train_loss"
    callbacks.append(
        ModelCheckpoint(
            dirpath=workdir / "lightning",
            filename="best",
            monitor=monitor,
            mode=config.mode,
            save_top_k=1,
            save_last=True,
            enable_version_counter=False,
        )
    )
    if config.patience is not None and has_validation:
        callbacks.append(EarlyStopping(monitor=monitor, mode=config.mode, patience=config.patience))
    callbacks.append(_KeepBestWeights(monitor, config.mode))
    return L.Trainer(
        max_epochs=config.max_epochs,
        accelerator=config.accelerator,
        devices=_devices(config.devices),
        strategy=config.strategy,
        num_nodes=config.num_nodes,
        precision=config.precision,
        deterministic=config.deterministic,
        gradient_clip_val=config.gradient_clip_val,
        enable_progress_bar=config.progress_bar,
        enable_model_summary=False,
        max_time=config.max_time,
        limit_train_batches=config.limit_train_batches,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
        logger=CSVLogger(workdir, name="logs", version=""),
        callbacks=callbacks,
        default_root_dir=workdir,
    )


def fit(
    task: L.LightningModule,
    train_loader: DataLoader,
    val_loader: DataLoader | None,
    config: TrainConfig,
    workdir: str | Path,
) -> FitResult:
    """Seed, train, and load the best weights (by ``config.monitor``) back into ``task``.

    With ``config.resume`` training continues from ``workdir/lightning/last.ckpt`` (a file
    this function wrote earlier; it is Lightning's format and is loaded by Lightning).
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    # Lightning seeds Python, NumPy, torch and the loader workers; the Trainer applies
    # ``deterministic`` itself.
    L.seed_everything(config.seed, workers=True, verbose=False)
    trainer = build_trainer(config, workdir, has_validation=val_loader is not None)
    last = workdir / "lightning" / "last.ckpt"
    ckpt_path = str(last) if config.resume and last.exists() else None
    if config.resume and ckpt_path is None:
        log.warning("--resume: no %s yet, starting from scratch", last)
    start, cpu_start = time.perf_counter(), time.process_time()
    trainer.fit(task, train_loader, val_loader, ckpt_path=ckpt_path)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    timer = find_timer(trainer)
    keeper = next(c for c in trainer.callbacks if isinstance(c, _KeepBestWeights))
    if keeper.state is not None:
        task.load_state_dict(keeper.state)
    return FitResult(
        train_seconds=seconds,
        epochs=trainer.current_epoch,
        best_score=keeper.best,
        best_epoch=keeper.best_epoch,
        cpu_seconds=cpu_seconds,
        time_limit_reached=timer is not None and timer.time_remaining("train") <= 0,
    )


@torch.no_grad()
def predict_loader(
    model: torch.nn.Module, loader: DataLoader, device: torch.device | str | None = None
) -> torch.Tensor:
    """``forward_batch(model, batch)`` over every batch of ``loader``, concatenated.

    Nothing is dropped: a loader with ``drop_last`` is refused."""
    if getattr(loader, "drop_last", False):
        raise ValueError("predict_loader: evaluation loaders must not drop_last")
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model = model.to(device).eval()
    outputs = [forward_batch(model, batch, device).cpu() for batch in loader]
    return torch.cat(outputs) if outputs else torch.empty(0)
