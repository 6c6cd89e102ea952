"""A user's small folder of clips gets a batch and epochs that fit it (core ``adapt_to_data``).

The classification recipes are sized for FSDD's 2700 training clips (batch 64). On a folder of
a few dozen clips that batch gave at most one step per epoch, and with fewer clips than the
batch the training loader (which drops a last partial batch) gave none: the model stayed at
its initialisation and scored chance on two pure tones.
"""

from __future__ import annotations

import json

from audio_test_helpers import run_cli, tone_folder

from panspectra_audio.cli_classify import main as classify


def test_small_folder_is_trained_with_an_adapted_batch_and_separates_two_tones(tmp_path, capsys):
    data = tone_folder(tmp_path / "clips")
    out = tmp_path / "run"
    argv = ["train", "--data", data, "--output", out, "--clip-seconds", "0.25"]
    argv += ["--model", "tc_resnet", "--model-kwargs", '{"width_mult": 0.5}']
    code, err = run_cli(classify, [*argv, "--threads", "1", "-q", "--device", "cpu"], capsys)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    adapted = metrics["adapted_to_data"]
    assert adapted["batch_size"] == {"recipe": 64, "adapted": 8}
    assert adapted["epochs"]["adapted"] > adapted["epochs"]["recipe"]
    assert metrics["epochs"] == adapted["epochs"]["adapted"]
    assert metrics["accuracy"] == 1.0, metrics["confusion_matrix"]


def test_a_batch_set_by_the_user_is_kept(tmp_path, capsys):
    data = tone_folder(tmp_path / "clips", clips_per_class=5)
    out = tmp_path / "run"
    argv = ["train", "--data", data, "--output", out, "--clip-seconds", "0.25", "--epochs", "2"]
    argv += ["--batch-size", "64", "--model", "tc_resnet", "--model-kwargs", '{"width_mult": 0.5}']
    code, err = run_cli(classify, [*argv, "--threads", "1", "-q", "--device", "cpu"], capsys)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert "adapted_to_data" not in metrics and metrics["epochs"] == 2
