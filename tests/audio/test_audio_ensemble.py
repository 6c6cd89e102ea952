"""``--model audio_ensemble``: different classifiers, each trained with its own recipe, their
class probabilities averaged (core ``ProbabilityEnsemble``) and saved as one checkpoint."""

from __future__ import annotations

import json

import torch
from audio_test_helpers import assert_one_line_error, run_cli, tone_folder

from panspectra_audio.cli_classify import main as classify
from panspectra_audio.pipeline.classify import ClipPredictor
from panspectra_core.registry import get_recipe

SMALL = {"width_mult": 0.5}
MEMBERS = [
    {"model": "tc_resnet", "kwargs": SMALL},
    {"model": "audio_cnn", "kwargs": {"utterance_norm": True, "channels": [8, 16]}},
]


def test_members_train_with_their_own_recipes_and_the_checkpoint_averages_them(tmp_path, capsys):
    data = tone_folder(tmp_path / "clips", clips_per_class=10)
    out = tmp_path / "run"
    argv = ["train", "--data", data, "--output", out, "--clip-seconds", "0.25", "--seed", "3"]
    argv += ["--model", "audio_ensemble", "--model-kwargs", json.dumps({"members": MEMBERS})]
    code, err = run_cli(classify, [*argv, "--threads", "1", "-q", "--device", "cpu"], capsys)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    members = metrics["members"]
    assert [m["model"] for m in members] == ["tc_resnet", "audio_cnn"]
    assert [m["seed"] for m in members] == [3, 1003]
    # each member's epochs come from its own recipe (adapted to the small folder alike)
    recipes = [get_recipe(m["model"])["epochs"] for m in members]
    assert recipes[0] != recipes[1]
    assert [m["adapted_to_data"]["epochs"]["recipe"] for m in members] == recipes
    assert metrics["train_cpu_seconds"] > sum(m["train_cpu_seconds"] for m in members) * 0.999
    assert metrics["accuracy"] == 1.0, metrics["confusion_matrix"]

    predictor = ClipPredictor.load(out / "model.safetensors")
    ensemble = predictor.model
    assert len(ensemble.members) == 2
    # tc_resnet keeps its recipe's per-clip normalisation next to the given width
    assert predictor.meta.model_kwargs["members"][0]["kwargs"] == {**SMALL, "utterance_norm": True}
    clips = predictor.preprocess(sorted((data / "high").glob("*.wav"))[:3])
    with torch.no_grad():
        expected = torch.stack([m(clips).softmax(-1) for m in ensemble.members]).mean(0)
        torch.testing.assert_close(predictor.predict_batch(clips), expected)

    predictions = tmp_path / "preds.csv"
    argv = ["predict", "--checkpoint", out / "model.safetensors", "--input", data / "high"]
    code, err = run_cli(classify, [*argv, "--output", predictions, "-q"], capsys)
    assert code == 0, err
    rows = predictions.read_text().splitlines()[1:]
    assert len(rows) == 10 and all(r.split(",")[1] == "high" for r in rows)


def test_a_member_that_is_not_an_audio_classifier_is_a_one_line_error(tmp_path, capsys):
    data = tone_folder(tmp_path / "clips", clips_per_class=4)
    out = tmp_path / "run"
    for members, needle in (
        (["tc_resnet", "convtasnet_enhance"], "convtasnet_enhance"),
        (["tc_resnet"], "two or more members"),
        ([{"model": "tc_resnet", "epochs": 3}, "kwt"], "tc_resnet"),
    ):
        argv = ["train", "--data", data, "--output", out, "--model", "audio_ensemble"]
        argv += ["--model-kwargs", json.dumps({"members": members}), "-q"]
        code, err = run_cli(classify, argv, capsys)
        assert_one_line_error(code, err, needle)
        assert not out.exists()


def test_label_smoothing_zero_turns_it_off_and_above_one_is_refused(tmp_path, capsys):
    from panspectra_audio.cli_classify import app

    values = {"data": tmp_path, "output": tmp_path / "run", "label_smoothing": 0.0}
    cfg = app.resolve(app.verbs["train"], values)
    assert cfg.label_smoothing == 0.0 and cfg.sources["label_smoothing"] == "user"
    # the ensemble has no recipe of its own, so the option's default must be a valid value
    ensemble = app.resolve(app.verbs["train"], {"data": tmp_path, "output": tmp_path / "run",
                                                "model": "audio_ensemble"})  # fmt: skip
    assert ensemble.label_smoothing == 0.0
    argv = ["train", "--data", tmp_path, "--output", tmp_path / "run", "--label-smoothing", "1.5"]
    code, err = run_cli(classify, argv, capsys)
    assert_one_line_error(code, err, "--label-smoothing 1.5", "[0, 1]")


def test_a_budget_is_shared_in_order_between_the_members(tmp_path):
    from panspectra_audio.cli_classify import app
    from panspectra_audio.pipeline.classify_ensemble import member_config, run_members

    values = {"data": tmp_path, "output": tmp_path / "run", "model": "audio_ensemble"}
    cfg = app.resolve(app.verbs["train"], {**values, "max_train_minutes": 2.0, "lr": 0.01})
    members = run_members(cfg)
    first = member_config(cfg, members, 0)
    second = member_config(cfg, members, 1, spent_seconds=30.0)
    assert first.max_train_minutes == 1.0  # half of the budget for the first of two
    assert second.max_train_minutes == 1.5  # the 90 s the first member left
    assert (first.model, second.model) == ("tc_resnet", "audio_cnn")
    # a flag the user set reaches every member; the rest comes from each member's recipe
    assert first.lr == second.lr == 0.01
    assert first.epochs != second.epochs and first.sources["epochs"] == "recipe"
    assert second.model_kwargs == {"utterance_norm": True}
    assert first.budget_clock == second.budget_clock == "wall"
    # the FSDD recipe's CPU clock reaches the members with their shares
    fsdd = app.resolve(app.verbs["train"], {"dataset": "fsdd", "output": tmp_path / "run"})
    assert fsdd.sources["budget_clock"] == "recipe"
    member = member_config(fsdd, run_members(fsdd), 1, spent_seconds=60.0)
    assert (member.max_train_minutes, member.budget_clock) == (4.0, "cpu")
    unbudgeted = app.resolve(app.verbs["train"], values)
    assert member_config(unbudgeted, members, 1, spent_seconds=30.0).max_train_minutes is None


def test_the_default_is_the_ensemble_within_the_fsdd_budget_and_unbudgeted_elsewhere(tmp_path):
    from panspectra_audio.cli_classify import app

    output = tmp_path / "run"
    fsdd = app.resolve(app.verbs["train"], {"dataset": "fsdd", "output": output})
    assert fsdd.model == "audio_ensemble"
    assert (fsdd.max_train_minutes, fsdd.budget_clock) == (5.0, "cpu")
    assert fsdd.sources["max_train_minutes"] == "recipe"
    own = app.resolve(app.verbs["train"], {"data": tmp_path, "output": output})
    assert own.model == "audio_ensemble" and own.max_train_minutes is None
    # a budget the user gives wins over the recipe's
    mine = app.resolve(
        app.verbs["train"], {"dataset": "fsdd", "output": output, "max_train_minutes": 9.0}
    )
    assert (mine.max_train_minutes, mine.sources["max_train_minutes"]) == (9.0, "user")
