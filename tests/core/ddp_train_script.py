"""Run by test_training.py: a few DDP steps on 2 CPU processes (Lightning re-launches this file)."""

import sys
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from panspectra_core.training import ClassificationTask, TrainConfig, fit


def main() -> None:
    workdir = Path(sys.argv[1])
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    data = [{"x": a, "y": int(a.sum() > 0)} for a in x]
    task = ClassificationTask(nn.Linear(4, 2), num_classes=2, lr=0.1)
    config = TrainConfig(
        max_epochs=2, accelerator="cpu", devices=2, strategy="ddp", progress_bar=False
    )
    fit(task, DataLoader(data, batch_size=8), DataLoader(data, batch_size=8), config, workdir)
    if task.trainer.global_rank == 0:
        print(f"world_size={task.trainer.world_size}")


if __name__ == "__main__":
    main()
