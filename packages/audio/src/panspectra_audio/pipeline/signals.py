"""What enhancement and separation share: training a waveform model, applying it to whole
files, checkpoints, per-item CSVs and the spectrogram picture."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.io import atomic_write
from panspectra_core.kit import Predictor, RunConfig, trainer_config
from panspectra_core.registry import create_model

from ..audio_io import read_audio, resample_audio, write_audio

log = logging.getLogger("panspectra")


def train_signal_model(
    cfg: RunConfig, train_set: Dataset, loss_fn: Callable, rate: int, out: Path
) -> tuple[torch.nn.Module, dict[str, Any], dict[str, Any]]:
    """Build ``cfg.model``, train it on ``train_set`` with ``loss_fn`` (no validation split:
    the recipe's epochs or the ``--max-train-minutes`` budget end training); returns the
    model, its kwargs and the timing record."""
    from panspectra_core.training import fit

    from ..tasks import SignalTask

    kwargs = {"sample_rate": rate, **(cfg.model_kwargs or {})}
    model = create_model(cfg.model, **kwargs)
    loader = signal_loader(train_set, cfg.batch_size)
    task = SignalTask(
        model, loss_fn=loss_fn, lr=cfg.lr, weight_decay=cfg.weight_decay, scheduler=cfg.scheduler
    )
    result = fit(task, loader, None, trainer_config(cfg, gradient_clip_val=5.0), out / "work")
    timing = {
        "train_seconds": result.train_seconds,
        "train_cpu_seconds": result.cpu_seconds,
        "epochs": result.epochs,
        "time_limit_reached": result.time_limit_reached,
    }
    return model.eval(), kwargs, timing


def signal_loader(train_set: Dataset, batch_size: int) -> DataLoader:
    """Shuffled training batches; the last partial batch is dropped only when the epoch
    holds more than one batch (an epoch of fewer items than ``batch_size``, e.g.
    ``--epoch-items 4 --batch-size 8``, still takes one step instead of none). The items of
    an epoch are drawn segments (``--epoch-items``), not files, so a folder of few pairs
    already fills whole batches."""
    drop_last = len(train_set) > batch_size
    return DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=drop_last)


def save_signal_checkpoint(
    path: Path, model, cfg: RunConfig, kwargs: dict, rate: int, task: str, metrics: dict
) -> None:
    save_checkpoint(
        path,
        model,
        model_name=cfg.model,
        model_kwargs=kwargs,
        domain="audio",
        preprocessing={"sample_rate": rate, "task": task},
        config=cfg.recorded(),
        metrics=metrics,
        input_spec={"kind": "waveform", "sample_rate": rate, "channels": 1},
    )


@torch.no_grad()
def apply_model(model: torch.nn.Module, signal: np.ndarray) -> np.ndarray:
    """The model on one whole (time,) signal → (time,) or (sources, time) float32."""
    out = model(torch.from_numpy(np.ascontiguousarray(signal)).float().unsqueeze(0))
    return out[0].numpy()


def write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with atomic_write(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def plot_spectrograms(signals: dict[str, np.ndarray], rate: int, path: Path, title: str) -> None:
    """One log-magnitude spectrogram panel per named signal, stacked (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(signals), 1, figsize=(8, 2.2 * len(signals)), sharex=True)
    for ax, (name, signal) in zip(np.atleast_1d(axes), signals.items()):
        spec = torch.stft(
            torch.from_numpy(signal).float(),
            256,
            64,
            window=torch.hann_window(256),
            return_complex=True,
        ).abs()
        db = 20 * torch.log10(spec + 1e-6).numpy()
        extent = (0, len(signal) / rate, 0, rate / 2000)
        ax.imshow(
            db,
            origin="lower",
            aspect="auto",
            extent=extent,
            vmin=db.max() - 80,
            vmax=db.max(),
            cmap="magma",
        )
        ax.set_ylabel(f"{name}\nkHz")
    np.atleast_1d(axes)[-1].set_xlabel("time (s)")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


class SignalPredictor(Predictor):
    """A trained enhancer/separator applied to whole files at the checkpoint's rate; outputs
    are resampled back to each input's rate."""

    domain = "audio"
    task = ""

    @classmethod
    def check_domain(cls, checkpoint, path) -> None:
        """The kit's load hook: an audio checkpoint of this predictor's task (an enhancer is
        not a separator), refused in one line before use."""
        super().check_domain(checkpoint, path)
        found = checkpoint.meta.preprocessing.get("task")
        if found != cls.task:
            raise UserError(f"{path}: a {found or 'classify'} checkpoint; expected {cls.task}")

    @property
    def rate(self) -> int:
        return int(self.meta.preprocessing["sample_rate"])

    def run_file(self, path: Path, *, mono: bool, resample: bool, chunk: int | None = None):
        """(output (time,) or (sources, time) at the file's rate, that rate)."""
        samples, file_rate = read_audio(path, mono=mono)
        if file_rate != self.rate:
            if not resample:
                raise UserError(
                    f"{path}: {file_rate} Hz; the model runs at {self.rate} Hz (--no-resample)"
                )
            log.info("%s: %d Hz resampled to the model's %d Hz", path, file_rate, self.rate)
            samples = resample_audio(samples, file_rate, self.rate)
        out = self.stream(samples, chunk) if chunk else apply_model(self.model, samples)
        if file_rate != self.rate:
            out = np.stack([resample_audio(o, self.rate, file_rate) for o in np.atleast_2d(out)])
            out = out[0] if out.shape[0] == 1 else out
        return out, file_rate

    def stream(self, samples: np.ndarray, chunk: int) -> np.ndarray:
        from ..models.tasnet import StreamingEnhancer

        if not getattr(self.model, "causal", False):
            from panspectra_core.registry import list_models

            causal = ", ".join(list_models(domain="audio", tag="causal"))
            raise UserError(
                f"--streaming: model {self.meta.model_name} is not causal; expected a checkpoint "
                f"of a causal model (train with --model one of: {causal})"
            )
        stride = self.model.stride
        chunk = max(stride, chunk // stride * stride)
        signal = torch.from_numpy(np.ascontiguousarray(samples)).float().unsqueeze(0)
        return StreamingEnhancer(self.model).run(signal, chunk)[0].numpy()


def write_outputs(
    predictor: SignalPredictor, cfg: RunConfig, files: list[Path], out: Path, name: Callable
) -> int:
    """Apply ``predictor`` to ``files`` and write each result to ``out / name(file, k)``."""
    chunk = None
    if cfg.get("streaming"):
        chunk = round(cfg.chunk_ms * predictor.rate / 1000)
    count = 0
    for path in files:
        result, rate = predictor.run_file(
            path, mono=cfg.mono, resample=not cfg.no_resample, chunk=chunk
        )
        for k, signal in enumerate(np.atleast_2d(result)):
            target = out / name(path, k)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_audio(target, signal, rate)
            count += 1
    return count
