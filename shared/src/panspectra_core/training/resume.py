"""What a resumed run needs beyond Lightning's own checkpoint state.

Lightning's ``last.ckpt`` restores the weights, optimizer, LR schedulers, the loop counters and
the state of callbacks that define ``state_dict`` (``EarlyStopping``, ``Timer``). These
callbacks add the rest, so that a run killed after epoch *k* and resumed ends with the same
weights as an uninterrupted one:

- :class:`RngState` — the global Python/NumPy/torch (and CUDA) generators and every
  ``torch.Generator`` of the training loader (its shuffling order), captured with each
  checkpoint and put back before the first resumed epoch draws its shuffling order;
- :class:`ResumeMarker` — the number of epochs done before the resume (``resumed_from_epoch``).

The keep-best-weights callback of :mod:`.trainer` stores its best copy in the checkpoint too.
"""

from __future__ import annotations

import random
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback


def loader_generators(loader: Any) -> list[torch.Generator]:
    """The distinct ``torch.Generator`` objects of a DataLoader (its own, its sampler's and its
    batch sampler's sampler's), in a fixed order."""
    found: list[torch.Generator] = []
    sampler = getattr(loader, "sampler", None)
    inner = getattr(getattr(loader, "batch_sampler", None), "sampler", None)
    for owner in (loader, sampler, inner):
        generator = getattr(owner, "generator", None)
        if isinstance(generator, torch.Generator) and all(generator is not g for g in found):
            found.append(generator)
    return found


def _numpy_state() -> dict[str, Any]:
    name, keys, pos, has_gauss, cached = np.random.get_state()  # noqa: NPY002 (Lightning seeds it)
    return {
        "name": name,
        "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "cached": float(cached),
    }


def _set_numpy_state(state: dict[str, Any]) -> None:
    keys = state["keys"].numpy().astype(np.uint32)
    legacy = (state["name"], keys, state["pos"], state["has_gauss"], state["cached"])
    np.random.set_state(legacy)  # noqa: NPY002 (the global generator that Lightning seeds)


class RngState(Callback):
    """Save the random generators with each checkpoint; restore them when resuming.

    The state is captured when Lightning writes the checkpoint (at the end of an epoch) and
    put back as soon as Lightning restores the callbacks — before the first resumed epoch's
    loader iterator is made (Lightning makes it while setting up the data, before
    ``on_train_start``), so that epoch shuffles as it would have without the interruption.
    ``generators`` are the training loader's own generators (:func:`loader_generators`).
    """

    def __init__(self, generators: list[torch.Generator] | None = None) -> None:
        self.generators = list(generators or [])

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "python": random.getstate(),
            "numpy": _numpy_state(),
            "torch": torch.get_rng_state(),
            "loaders": [g.get_state() for g in self.generators],
        }
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        random.setstate(state_dict["python"])
        _set_numpy_state(state_dict["numpy"])
        torch.set_rng_state(state_dict["torch"])
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
        if len(self.generators) == len(state_dict["loaders"]):
            for generator, saved in zip(self.generators, state_dict["loaders"]):
                generator.set_state(saved)


class ResumeMarker(Callback):
    """Record how many epochs were already done when training resumed from a checkpoint,
    and whether any validation logged the monitored value (``saw_monitor``)."""

    def __init__(self, monitor: str = "val_loss") -> None:
        self.monitor = monitor
        self.resumed_from_epoch: int | None = None
        self.loaded = False
        self.saw_monitor = False

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking and self.monitor in trainer.callback_metrics:
            self.saw_monitor = True

    def on_load_checkpoint(
        self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        self.loaded = True

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.loaded:
            # epochs whose training batches were all done (a checkpoint written at the end of
            # epoch k's validation restarts *after* epoch k, with current_epoch still k)
            self.resumed_from_epoch = int(trainer.fit_loop.epoch_progress.current.processed)
