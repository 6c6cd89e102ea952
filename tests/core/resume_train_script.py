"""Run by test_resume.py as a real subprocess: train a small classifier into an OutputDir.

``python resume_train_script.py OUTPUT EPOCHS [--resume] [--pause-after EPOCH]``

``--pause-after E`` writes ``OUTPUT.paused`` after epoch E's checkpoint and then waits to be
killed. The finished run writes ``weights.safetensors`` and ``result.json`` into OUTPUT.
"""

import argparse
import json
import time
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn
from torch.utils.data import DataLoader

from panspectra_core.io import OutputDir
from panspectra_core.training import ClassificationTask, TrainConfig, fit


class PausingTask(ClassificationTask):
    """Blocks once epoch ``pause_after`` is over (Lightning saved its ``last.ckpt`` at that
    epoch's end, after the module's own epoch-end hook, so the wait is at the next start)."""

    def __init__(self, *args, pause_after: int | None, marker: Path, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pause_after, self.marker = pause_after, marker

    def on_train_epoch_start(self) -> None:
        if self.pause_after is not None and self.current_epoch == self.pause_after + 1:
            self.marker.write_text(str(self.current_epoch))
            time.sleep(600)


def data(seed: int, n: int = 96) -> list[dict]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=gen)
    y = (x[:, :3].sum(1) > x[:, 3:].sum(1)).long()
    return [{"x": a, "y": b} for a, b in zip(x, y)]


TASK_KWARGS = {"num_classes": 2, "lr": 0.05, "scheduler": "cosine"}


def build_model() -> nn.Module:
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))


def loaders() -> tuple[DataLoader, DataLoader]:
    gen = torch.Generator().manual_seed(3)
    train = DataLoader(data(1), batch_size=16, shuffle=True, generator=gen)
    return train, DataLoader(data(2, 48), batch_size=16)


def config(epochs: int) -> TrainConfig:
    return TrainConfig(
        max_epochs=epochs,
        accelerator="cpu",
        devices=1,
        progress_bar=False,
        seed=11,
        deterministic=True,
        patience=50,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output", type=Path)
    parser.add_argument("epochs", type=int)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--pause-after", type=int)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    marker = args.output.with_name(args.output.name + ".paused")
    task = PausingTask(build_model(), **TASK_KWARGS, pause_after=args.pause_after, marker=marker)
    train, val = loaders()
    with OutputDir(args.output, resume=args.resume) as out:
        result = fit(task, train, val, config(args.epochs), out / "train", resume=args.resume)
        weights = {k: v.contiguous() for k, v in task.model.state_dict().items()}
        save_file(weights, out / "weights.safetensors")
        summary = {
            "resumed_from_epoch": result.resumed_from_epoch,
            "epochs": result.epochs,
            "best_epoch": result.best_epoch,
        }
        (out / "result.json").write_text(json.dumps(summary))


if __name__ == "__main__":
    main()
