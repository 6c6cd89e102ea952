"""A Lightning trainer factory with the conventions every domain CLI shares.

CPU by default and the GPU when present (``accelerator="auto"``); ``--devices``,
``--strategy ddp`` and ``--num-nodes`` are passed through so a user can scale out; a
``last.ckpt`` written every epoch (Lightning's own file, for ``--resume``: inside an
:class:`~panspectra_core.io.OutputDir` it lives in ``DIR/.progress/``, see :func:`fit`);
early stopping; progress bar; CSV log; ``--seed`` and ``--deterministic``.
"""

from __future__ import annotations

import copy
import logging
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader

from panspectra_core.runtime import apply_lightning_log_level
from panspectra_core.training.batch import forward_batch
from panspectra_core.training.clock import budget_timer
from panspectra_core.training.config import (  # noqa: F401 (re-exported)
    TrainConfig,
    add_trainer_args,
    max_time_from_minutes,
    trainer_config_from_args,
)
from panspectra_core.training.resume import ResumeMarker, RngState, loader_generators
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
    resumed_from_epoch: int | None = None
    """Epochs already done when this run resumed from ``last.ckpt`` (None: a fresh start);
    for ``metrics.json``."""


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
        if not math.isfinite(value):  # a diverged epoch is never the best one
            return
        better = self.best is None or (
            value < self.best if self.mode == "min" else value > self.best
        )
        if better:
            self.best, self.best_epoch = value, trainer.current_epoch
            self.state = copy.deepcopy(
                {k: v.detach().cpu() for k, v in pl_module.state_dict().items()}
            )

    def state_dict(self) -> dict:
        """Saved in ``last.ckpt``: a resumed run keeps the best weights seen before the kill."""
        return {"best": self.best, "best_epoch": self.best_epoch, "state": self.state}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.best_epoch = state_dict["best"], state_dict["best_epoch"]
        self.state = state_dict["state"]


def _devices(value: str | int | list[int]) -> str | int | list[int]:
    if isinstance(value, int | list) or value == "auto":
        return value
    return int(value) if value.isdigit() else value


def build_trainer(
    config: TrainConfig,
    workdir: Path,
    *,
    has_validation: bool = True,
    checkpoint_dir: Path | None = None,
) -> L.Trainer:
    """A ``lightning.Trainer``: ``best.ckpt``/``last.ckpt`` in ``checkpoint_dir`` (default
    workdir/lightning), CSV logs in workdir/logs."""
    apply_lightning_log_level()  # importing Lightning reset its loggers to INFO
    callbacks: list[Callback] = []
    monitor = config.monitor if has_validation else "train_loss"
    callbacks.append(
        ModelCheckpoint(
            dirpath=checkpoint_dir or workdir / "lightning",
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
    callbacks += [_KeepBestWeights(monitor, config.mode), RngState(), ResumeMarker(monitor)]
    cpu_timer = budget_timer(config.max_time, config.budget_clock)
    if cpu_timer is not None:
        callbacks.append(cpu_timer)
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
        max_time=config.max_time if cpu_timer is None else None,
        limit_train_batches=config.limit_train_batches,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
        logger=CSVLogger(workdir, name="logs", version=""),
        callbacks=callbacks,
        default_root_dir=workdir,
    )


def checkpoint_dir_for(workdir: str | Path) -> Path:
    """Where :func:`fit` keeps Lightning's ``best.ckpt``/``last.ckpt`` for ``workdir``.

    Inside an active :class:`~panspectra_core.io.OutputDir` staging folder ``S`` (the usual
    case: ``workdir = S / "train"`` or ``S / "seed_1" / "train"``) this is
    ``DIR/.progress/<workdir relative to S>/lightning``, a predictable place that survives a
    kill and is deleted when the run finishes; elsewhere ``workdir/lightning``.
    """
    from panspectra_core.io import progress_dir_for

    progress = progress_dir_for(workdir)
    return (progress if progress is not None else Path(workdir)) / "lightning"


def fit(
    task: L.LightningModule,
    train_loader: DataLoader,
    val_loader: DataLoader | None,
    config: TrainConfig,
    workdir: str | Path,
    *,
    resume: bool | None = None,
) -> FitResult:
    """Seed, train, and load the best weights (by ``config.monitor``) back into ``task``.

    A ``last.ckpt`` is written after every epoch in :func:`checkpoint_dir_for` (workdir). With
    ``resume`` (default ``config.resume``) training continues from it when it exists — weights,
    optimizer, schedulers, early stopping, time budget, best weights so far and the random
    generators (:mod:`.resume`) — and ``FitResult.resumed_from_epoch`` says from where. The
    file is Lightning's format, written by this function, loaded with ``weights_only=True``.
    """
    from panspectra_core.errors import UserError

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    resume = config.resume if resume is None else resume
    # Lightning seeds Python, NumPy, torch and the loader workers; the Trainer applies
    # ``deterministic`` itself. A resumed run gets its generators back from the checkpoint.
    L.seed_everything(config.seed, workers=True, verbose=False)
    checkpoints = checkpoint_dir_for(workdir)
    trainer = build_trainer(
        config, workdir, has_validation=val_loader is not None, checkpoint_dir=checkpoints
    )
    rng = next(c for c in trainer.callbacks if isinstance(c, RngState))
    rng.generators = loader_generators(train_loader)
    last = checkpoints / "last.ckpt"
    ckpt_path = str(last) if resume and last.exists() else None
    if resume and ckpt_path is None:
        log.warning("--resume: no %s yet, starting from scratch", last)
    elif ckpt_path is not None:
        log.info("--resume: continuing from %s", last)
    start, cpu_start = time.perf_counter(), time.process_time()
    marker = next(c for c in trainer.callbacks if isinstance(c, ResumeMarker))
    try:
        with warnings.catch_warnings():  # resuming into our own progress folder is the point
            warnings.filterwarnings("ignore", message=r"(?s).*exists and is not empty")
            if val_loader is None:  # no validation split is the caller's choice, not a slip
                warnings.filterwarnings("ignore", message=r"You defined a `validation_step`")
            trainer.fit(task, train_loader, val_loader, ckpt_path=ckpt_path, weights_only=True)
    except Exception as exc:
        if ckpt_path is None or marker.loaded:  # not a failure to read last.ckpt
            raise
        raise UserError(
            f"--resume: {last} cannot be loaded ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); pass --overwrite to start over"
        ) from None
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    timer = find_timer(trainer)
    keeper = next(c for c in trainer.callbacks if isinstance(c, _KeepBestWeights))
    if keeper.state is not None:
        task.load_state_dict(keeper.state)
    _check_finite_result(task, keeper, marker)
    return FitResult(
        train_seconds=seconds,
        epochs=trainer.current_epoch,
        best_score=keeper.best,
        best_epoch=keeper.best_epoch,
        cpu_seconds=cpu_seconds,
        time_limit_reached=timer is not None and timer.time_remaining("train") <= 0,
        resumed_from_epoch=marker.resumed_from_epoch,
    )


def _check_finite_result(task: L.LightningModule, keeper: _KeepBestWeights, marker) -> None:
    """No diverged training goes on to metrics and checkpoints: UserError naming the
    monitored value (never finite) or the parameter holding NaN/inf."""
    from panspectra_core.errors import UserError
    from panspectra_core.finite import check_finite_parameters

    if keeper.state is None and marker.saw_monitor:
        raise UserError(
            f"training: {keeper.monitor} was never finite (NaN/inf in every epoch); the data "
            "or the learning rate made training diverge; nothing was written"
        )
    check_finite_parameters(task, "training")


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
