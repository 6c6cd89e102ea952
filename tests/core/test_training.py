import argparse
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from panspectra_core.errors import UserError
from panspectra_core.training import (
    ClassificationTask,
    ForecastingTask,
    RegressionTask,
    TrainConfig,
    add_trainer_args,
    arctan_loss,
    fit,
    predict_loader,
    trainer_config_from_args,
)
from panspectra_core.training.tasks import sigmoid_lr_factor
from panspectra_core.training.trainer import max_time_from_minutes


class Blobs(Dataset):
    """Two Gaussian blobs in 2-D, linearly separable."""

    def __init__(self, n: int = 64, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.y = torch.arange(n) % 2
        self.x = torch.randn(n, 2, generator=g) * 0.3 + (self.y[:, None].float() * 2 - 1)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.x[i], "y": self.y[i]}


def quiet_config(**kw) -> TrainConfig:
    return TrainConfig(accelerator="cpu", devices=1, progress_bar=False, **kw)


def test_classification_learns_and_best_weights_are_restored(tmp_path):
    task = ClassificationTask(nn.Linear(2, 2), num_classes=2, lr=0.1, scheduler="cosine")
    loader = DataLoader(Blobs(), batch_size=16, shuffle=True)
    val = DataLoader(Blobs(32, seed=1), batch_size=7)  # last batch partial on purpose
    result = fit(task, loader, val, quiet_config(max_epochs=8, seed=3), tmp_path)
    logits = predict_loader(task.model, val)
    assert logits.shape == (32, 2)  # nothing dropped
    acc = (logits.argmax(-1) == Blobs(32, seed=1).y).float().mean()
    assert acc > 0.95
    assert result.best_score is not None and result.best_epoch is not None
    assert (tmp_path / "lightning" / "last.ckpt").exists()
    assert (tmp_path / "logs" / "metrics.csv").exists()


def test_same_seed_same_weights_and_other_seed_differs(tmp_path):
    def run(sub: str, seed: int) -> torch.Tensor:
        torch.manual_seed(0)  # same init; only the training randomness varies with the seed
        task = ClassificationTask(nn.Linear(2, 2), num_classes=2, lr=0.05)
        loader = DataLoader(Blobs(), batch_size=8, shuffle=True)
        fit(
            task,
            loader,
            None,
            quiet_config(max_epochs=2, seed=seed, deterministic=True),
            tmp_path / sub,
        )
        return task.model.weight.detach().clone()

    assert torch.equal(run("a", 5), run("b", 5))
    assert not torch.equal(run("c", 5), run("d", 6))  # shuffling order follows the seed


def test_training_without_a_validation_split_raises_no_lightning_warning(tmp_path, recwarn):
    task = ClassificationTask(nn.Linear(2, 2), num_classes=2)
    fit(task, DataLoader(Blobs(), batch_size=16), None, quiet_config(max_epochs=1), tmp_path)
    assert not [w for w in recwarn if "val_dataloader" in str(w.message)]


def test_resume_continues_from_last_checkpoint(tmp_path):
    loader = DataLoader(Blobs(), batch_size=16)
    task = ClassificationTask(nn.Linear(2, 2), num_classes=2)
    fit(task, loader, None, quiet_config(max_epochs=2), tmp_path)
    task2 = ClassificationTask(nn.Linear(2, 2), num_classes=2)
    result = fit(task2, loader, None, quiet_config(max_epochs=4, resume=True), tmp_path)
    assert result.epochs == 4


class LastValue(nn.Module):
    """Forecast = the last observed value repeated, plus a learned bias per channel."""

    def __init__(self, horizon: int, channels: int) -> None:
        super().__init__()
        self.horizon = horizon
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1:, :].expand(-1, self.horizon, -1) + self.bias


def test_forecasting_task_fits_a_constant_offset(tmp_path):
    x = torch.randn(64, 8, 3)
    y = x[:, -1:, :].expand(-1, 4, -1) + torch.tensor([1.0, -2.0, 0.5])
    data = [{"x": a, "y": b} for a, b in zip(x, y)]
    task = ForecastingTask(LastValue(4, 3), loss="mse", lr=0.1, scheduler="none")
    fit(
        task,
        DataLoader(data, batch_size=16),
        DataLoader(data, batch_size=16),
        quiet_config(max_epochs=40),
        tmp_path,
    )
    torch.testing.assert_close(
        task.model.bias.detach(), torch.tensor([1.0, -2.0, 0.5]), atol=0.05, rtol=0
    )


class LrRecorder(ForecastingTask):
    """Records the optimizer's learning rate at the start of every training epoch."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen_lrs: list[float] = []

    def on_train_epoch_start(self) -> None:
        self.seen_lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])


def test_sigmoid_lr_factor_values():
    sigma = lambda v: 1.0 / (1.0 + math.exp(-v))  # noqa: E731
    assert sigmoid_lr_factor(1) == pytest.approx(sigma(-4.5) - sigma(-4.95))
    assert sigmoid_lr_factor(10) == pytest.approx(0.5 - sigma(-4.5))
    assert sigmoid_lr_factor(100) == pytest.approx(sigma(45) - 0.5)
    factors = [sigmoid_lr_factor(e) for e in range(1, 101)]
    peak = max(range(100), key=factors.__getitem__) + 1
    assert factors[0] < 0.01 and 20 < peak < 40 and factors[peak - 1] > 0.95
    assert all(0.0 <= f <= 1.0 for f in factors)


def test_sigmoid_scheduler_lr_per_epoch(tmp_path):
    """Epoch 1 at the base lr (xPatch adjusts only after an epoch), epoch e + 1 at lr · f(e)."""
    x = torch.randn(8, 8, 3)
    data = [{"x": a, "y": a[-4:]} for a in x]
    task = LrRecorder(LastValue(4, 3), loss="mse", lr=0.5, scheduler="sigmoid")
    loader = DataLoader(data, batch_size=8)
    fit(task, loader, loader, quiet_config(max_epochs=4), tmp_path)
    expected = [0.5] + [0.5 * sigmoid_lr_factor(e) for e in (1, 2, 3)]
    assert task.seen_lrs == pytest.approx(expected)


def test_arctan_loss_weights_near_steps_more():
    pred = torch.zeros(1, 3, 1)
    near = arctan_loss(pred, torch.tensor([[[1.0], [0.0], [0.0]]]))
    far = arctan_loss(pred, torch.tensor([[[0.0], [0.0], [1.0]]]))
    assert near > far > 0
    torch.testing.assert_close(near, torch.tensor(1.0 / 3))  # w_0 = 1


def test_trainer_flags_build_a_config():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    add_trainer_args(parser)
    args = parser.parse_args(
        ["--devices", "2", "--strategy", "ddp", "--num-nodes", "3", "--seed", "4"]
    )
    cfg = trainer_config_from_args(args, max_epochs=17, patience=5)
    assert (cfg.devices, cfg.strategy, cfg.num_nodes, cfg.seed) == ("2", "ddp", 3, 4)
    assert cfg.max_epochs == 17 and cfg.patience == 5
    args = parser.parse_args(["--epochs", "3", "--patience", "1"])
    cfg = trainer_config_from_args(args, max_epochs=17, patience=5)
    assert cfg.max_epochs == 3 and cfg.patience == 1
    args = parser.parse_args([])
    args.device = "cpu"  # the common --device flag picks the accelerator
    assert trainer_config_from_args(args).accelerator == "cpu"
    args = parser.parse_args(["--max-train-minutes", "1500.5"])
    assert trainer_config_from_args(args).max_time == "01:01:00:30"


def test_precision_flag_accepts_lightning_settings_and_rejects_others(capsys):
    parser = argparse.ArgumentParser(prog="x-train")
    add_trainer_args(parser)
    args = parser.parse_args(["--precision", "bf16-mixed"])
    assert trainer_config_from_args(args).precision == "bf16-mixed"
    assert trainer_config_from_args(parser.parse_args([])).precision == "32-true"
    with pytest.raises(SystemExit) as stop:  # before any data is read or output written
        parser.parse_args(["--precision", "bf17"])
    assert stop.value.code == 2
    assert "--precision: invalid choice: 'bf17'" in capsys.readouterr().err


@pytest.mark.parametrize("minutes", [0, -1.0, float("nan")])
def test_max_train_minutes_must_be_positive(minutes):
    with pytest.raises(UserError, match="must be positive"):
        max_time_from_minutes(minutes)


@pytest.mark.slow
@pytest.mark.ddp
def test_ddp_two_processes_gloo_cpu(tmp_path):
    """Train a few steps with 2 DDP processes (gloo on CPU) through the real launcher."""
    script = Path(__file__).with_name("ddp_train_script.py")
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "world_size=2" in proc.stdout
    assert (tmp_path / "lightning" / "last.ckpt").exists()


def test_balanced_class_weights_give_every_class_the_same_total_weight():
    from panspectra_core.training import balanced_class_weights

    targets = torch.tensor([0] * 6 + [1] * 3 + [2] * 1)
    weights = balanced_class_weights(targets, 3)
    totals = weights * torch.bincount(targets)
    torch.testing.assert_close(totals, torch.full((3,), 10 / 3))


class _PoisonedRegression(Dataset):
    """Targets with one NaN: the loss (and then every weight) becomes NaN."""

    def __init__(self, n: int = 32) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 3, generator=gen)
        self.y = self.x.sum(1, keepdim=True)
        self.y[5] = float("nan")

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return {"x": self.x[i], "y": self.y[i]}


@pytest.mark.parametrize("with_validation", [True, False])
def test_diverged_training_is_a_user_error_naming_metric_or_parameter(tmp_path, with_validation):
    task = RegressionTask(nn.Linear(3, 1), lr=0.01)
    loader = DataLoader(_PoisonedRegression(), batch_size=8)
    val = DataLoader(_PoisonedRegression(), batch_size=8) if with_validation else None
    expected = r"val_loss was never finite" if with_validation else r"'model\.weight'.*NaN/inf"
    with pytest.raises(UserError, match=expected):
        fit(task, loader, val, quiet_config(max_epochs=2), tmp_path)


def test_check_finite_values_names_every_bad_metric():
    from panspectra_core.finite import check_finite_values

    with pytest.raises(UserError, match=r"metrics: mse, per_target\.a not finite"):
        check_finite_values({"mse": float("nan"), "ok": 1.0, "per_target": {"a": float("inf")}})
    check_finite_values({"mse": 0.5, "skipped": None, "flag": True})
