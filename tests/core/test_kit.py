"""The domain kit: options → flags/config/recipes, the multi-seed layout, built-in verbs,
one-line errors, the Predictor base and the shared metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.errors import UserError
from panspectra_core.kit import (
    COMMON_OPTIONS,
    TRAINING_OPTIONS,
    ComponentRegistry,
    DomainCLI,
    Option,
    Predictor,
    RunConfig,
    assignments,
    fraction,
    probability,
    resolve,
)
from panspectra_core.metrics import classification_metrics, regression_metrics
from panspectra_core.registry import MODELS, get_recipe, register_model

DOMAIN = "kit_test"
PROTOCOLS: ComponentRegistry = ComponentRegistry("split protocol")
PROTOCOLS.register("random", "random", help="random samples")
PROTOCOLS.register("blocked", "blocked", help="spatial blocks")


@register_model(domain=DOMAIN, tags=("classify",), recipe={"lr": 0.5, "epochs": 3})
def kit_linear(num_classes: int = 2, width: int = 4) -> torch.nn.Module:
    """A linear layer (kit tests)."""
    return torch.nn.Linear(width, num_classes)


@register_model(
    domain=DOMAIN,
    tags=("classify",),
    recipe=lambda horizon: {"batch_size": 8 * horizon, "model_kwargs": {"width": 6}},
)
def kit_context(num_classes: int = 2, width: int = 4) -> torch.nn.Module:
    """A model whose recipe depends on the task context."""
    return torch.nn.Linear(width, num_classes)


DATA = (
    Option("protocol", str, "random", "split protocol", "data", choices=PROTOCOLS),
    Option("train_fraction", float, 0.1, "share of training samples", "data", validate=fraction),
    Option("horizon", int, 1, "context for recipes", "data"),
)


def make_app(calls: list) -> DomainCLI:
    app = DomainCLI(
        "kit-test",
        "kit tests",
        domain=DOMAIN,
        model_tag="classify",
        default_model="kit_linear",
        components={"split protocols": PROTOCOLS},
    )

    @app.verb(
        "train", options=[*DATA, *COMMON_OPTIONS, *TRAINING_OPTIONS], output="dir", help="train"
    )
    def train(cfg: RunConfig, out: Path) -> dict:
        calls.append(cfg)
        (out / "model.txt").write_text(cfg.model)
        score = 0.5 + 0.1 * cfg.seed
        if cfg.train_fraction == 0.5:
            score = float("nan")
        return {"accuracy": score, "protocol": cfg.protocol}

    return app


def test_recipe_attached_to_model_and_context():
    assert get_recipe("kit_linear") == {"lr": 0.5, "epochs": 3}
    assert get_recipe("kit_context", horizon=2, dataset="x")["batch_size"] == 16
    assert MODELS.get("kit_context").recipe is not None


def test_precedence_flag_config_recipe_default():
    options = {o.name: o for o in (*DATA, *TRAINING_OPTIONS)}
    cfg = resolve(
        options,
        {"lr": 0.1},
        from_config={"epochs": 7, "lr": 0.2},
        recipe=lambda v: {"lr": 0.5, "epochs": 3, "batch_size": 4},
    )
    assert (cfg.lr, cfg.sources["lr"]) == (0.1, "user")
    assert (cfg.epochs, cfg.sources["epochs"]) == (7, "config")
    assert (cfg.batch_size, cfg.sources["batch_size"]) == (4, "recipe")
    assert (cfg.weight_decay, cfg.sources["weight_decay"]) == (0.0, "default")
    # what a derived run (an ensemble member, a --select candidate) keeps: flag and file only
    assert cfg.explicit() == {"lr": 0.1, "epochs": 7}
    assert cfg.explicit(exclude=("lr",)) == {"epochs": 7}


def test_model_kwargs_merge_user_over_recipe():
    options = {o.name: o for o in TRAINING_OPTIONS}
    cfg = resolve(
        options,
        {"model_kwargs": {"depth": 2}},
        recipe=lambda v: {"model_kwargs": {"depth": 1, "width": 6}},
    )
    assert cfg.model_kwargs == {"depth": 2, "width": 6}


def test_validation_speaks_of_the_option():
    options = {o.name: o for o in DATA}
    with pytest.raises(UserError, match=r"--protocol 'disjoint': expected one of random, blocked"):
        resolve(options, {"protocol": "disjoint"})
    with pytest.raises(UserError, match=r"--train-fraction 0.0: expected a fraction"):
        resolve(options, {"train_fraction": 0.0})
    with pytest.raises(UserError, match="not NaN"):
        options["train_fraction"].convert("nan")
    assert assignments(["train-fraction=0.3"], options) == {"train_fraction": 0.3}
    with pytest.raises(UserError, match="--set"):
        assignments(["nope=1"], options)


def test_range_validators_name_the_range_they_expect():
    assert fraction(0.5) is None and "(0, 1)" in fraction(1.0) and "(0, 1)" in fraction(0.0)
    assert probability(0.0) is None and probability(1.0) is None and probability(None) is None
    assert "[0, 1]" in probability(1.5) and "[0, 1]" in probability(-0.1)


def test_train_writes_layout_and_config_reproduces(tmp_path, capsys):
    calls: list = []
    app = make_app(calls)
    out = tmp_path / "run"
    assert app.main(["train", "--output", str(out), "--lr", "0.25", "-q"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] == 0.5 and metrics["config"]["lr"] == 0.25
    assert metrics["config"]["model"] == "kit_linear" and metrics["config"]["epochs"] == 3
    assert "cpu" in metrics["run"] and "output" not in metrics["config"]
    config = yaml.safe_load((out / "config.yaml").read_text())
    again = tmp_path / "again"
    assert app.main(["train", "--config", str(out / "config.yaml"), "-o", str(again), "-q"]) == 0
    assert calls[1].recorded() == calls[0].recorded() == config
    # refused without --overwrite; nothing half-written
    assert app.main(["train", "--output", str(out), "-q"]) == 2
    assert "pass --overwrite" in capsys.readouterr().err


def test_seeds_layout_mean_and_std(tmp_path):
    app = make_app([])
    out = tmp_path / "multi"
    assert app.main(["train", "-o", str(out), "--seeds", "0,1,2", "-q"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seeds"] == [0, 1, 2]
    assert metrics["accuracy"] == pytest.approx(0.6)
    assert metrics["seed_summary"]["accuracy"]["std"] == pytest.approx(0.1)
    for seed in (0, 1, 2):
        one = json.loads((out / f"seed_{seed}" / "metrics.json").read_text())
        assert one["run"]["seed"] == seed and (out / f"seed_{seed}" / "model.txt").exists()


def test_non_finite_metric_is_refused_and_nothing_is_left(tmp_path, capsys):
    app = make_app([])
    out = tmp_path / "nan"
    assert app.main(["train", "-o", str(out), "--train-fraction", "0.5", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "non-finite" in err[0] and "accuracy" in err[0]
    assert not out.exists() and not list(tmp_path.iterdir())


def test_unknown_model_and_config_key_are_one_line_errors(tmp_path, capsys):
    app = make_app([])
    assert app.main(["train", "-o", str(tmp_path / "x"), "--model", "resnet"]) == 2
    assert "--model 'resnet': expected one of kit_context, kit_linear" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("lr: 0.1\nlearning_rate: 2\n")
    assert app.main(["train", "-o", str(tmp_path / "y"), "--config", str(bad)]) == 2
    assert "unknown option(s) learning_rate" in capsys.readouterr().err
    # an abbreviated flag is not completed to the one option it could stand for
    assert app.main(["train", "-o", str(tmp_path / "z"), "--mod", "kit_linear"]) == 2
    assert "unrecognized arguments: --mod" in capsys.readouterr().err
    assert not (tmp_path / "z").exists()


def test_print_config_and_builtin_verbs(tmp_path, capsys):
    app = make_app([])
    assert (
        app.main(
            [
                "train",
                "-o",
                str(tmp_path / "p"),
                "--model",
                "kit_context",
                "--horizon",
                "3",
                "--print-config",
            ]
        )
        == 0
    )
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["batch_size"] == 24 and printed["model_kwargs"] == {"width": 6}
    assert not (tmp_path / "p").exists()
    assert app.main(["list-models"]) == 0
    listing = capsys.readouterr().out
    assert "kit_linear" in listing and "(default)" in listing
    assert app.main(["info"]) == 0
    assert "blocked" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        app.main(["--version"])
    assert "panspectra-core=" in capsys.readouterr().out


class _LinearPredictor(Predictor):
    domain = DOMAIN


def test_predictor_batches_and_refuses_other_domains(tmp_path):
    model = kit_linear()
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, model_name="kit_linear", model_kwargs={}, domain=DOMAIN)
    predictor = _LinearPredictor.load(path)
    x = [torch.randn(4) for _ in range(5)]
    out = list(predictor.predict(x, batch_size=2))
    expected = model(torch.stack(x))
    torch.testing.assert_close(torch.stack(out), expected.detach())

    class Other(Predictor):
        domain = "elsewhere"

    with pytest.raises(UserError, match=r"a 'kit_test' checkpoint .*expected a 'elsewhere' one"):
        Other.load(path)


def test_classification_metrics_known_values():
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0])
    m = classification_metrics(y, p, class_names=["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["per_class_accuracy"] == {"a": 0.5, "b": 1.0, "c": 0.5}
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert m["balanced_accuracy"] == pytest.approx(2 / 3)
    proba = np.eye(2)[[0, 1, 1, 0]] * 0.8 + 0.1
    b = classification_metrics([0, 1, 1, 0], [0, 1, 1, 0], probabilities=proba)
    assert b["roc_auc"] == 1.0 and b["kappa"] == 1.0


def test_regression_metrics_masked_and_per_target():
    t = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]])
    p = np.array([[1.0, 3.0], [4.0, 0.0], [5.0, 6.0]])
    m = regression_metrics(t, p, mask=np.isfinite(t), names=["a", "b"])
    assert m["mse"] == pytest.approx(2 / 5) and m["n"] == 5
    assert m["per_target"]["a"]["mae"] == pytest.approx(1 / 3)
    assert m["per_target"]["b"]["rmse"] == pytest.approx(np.sqrt(0.5))


def test_default_model_with_option_values_and_off_flags(tmp_path, capsys):
    """A default model may come with option values (applied like its recipe, under the user's
    flags); a switch's off flag sets it to False."""
    app = DomainCLI(
        "kit-test",
        "kit tests",
        domain=DOMAIN,
        model_tag="classify",
        default_model=lambda v: ("kit_linear", {"epochs": 9}) if v["horizon"] > 1 else "kit_linear",
    )
    options = [
        *DATA,
        Option("augment", bool, True, "flip", "data", recipe=True, off_flags=("--no-augment",)),
        Option("views", int, 1, "views", "data", choices=(1, 2, 4)),
        *COMMON_OPTIONS,
        *TRAINING_OPTIONS,
    ]
    app.verb("train", options=options, output="dir", help="train")(lambda cfg, out: {})
    verb = app.verbs["train"]
    o = {"output": tmp_path}
    assert app.resolve(verb, {**o, "horizon": 2}).epochs == 9
    assert app.resolve(verb, {**o, "horizon": 2, "epochs": 4}).epochs == 4
    assert app.resolve(verb, {**o, "horizon": 1}).epochs == 3
    out = str(tmp_path / "x")
    assert app.main(["train", "-o", out, "--no-augment", "--print-config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["augment"] is False and printed["views"] == 1
    assert app.main(["train", "-o", out, "--views", "3"]) == 2
    assert "expected one of 1, 2, 4" in capsys.readouterr().err


def test_adapt_to_data_keeps_large_data_and_user_values():
    from panspectra_core.kit import adapt_to_data

    recipe = {"batch_size": 2048, "lr": 5e-4, "epochs": 100}
    same, changes = adapt_to_data(recipe, 8449)  # xPatch on ETTh1: 5 steps, kept
    assert same == recipe and changes == {}
    small, changes = adapt_to_data(recipe, 617)  # a weekly file: 1 step per epoch
    assert small["batch_size"] == 128 and -(-617 // 128) >= 4
    assert small["lr"] == pytest.approx(5e-4 * (128 / 2048) ** 0.5)
    assert changes["batch_size"] == {"recipe": 2048, "adapted": 128} and "reason" in changes
    kept, changes = adapt_to_data(recipe, 617, fixed={"batch_size", "epochs"})
    assert kept == recipe and changes == {}
    longer, _ = adapt_to_data(recipe, 617, fixed={"batch_size"})  # 1 step per epoch is kept
    assert longer["batch_size"] == 2048 and longer["epochs"] == 400  # but 400 steps are taken
    only_batch, _ = adapt_to_data(recipe, 617, fixed={"lr"})
    assert only_batch["lr"] == 5e-4 and only_batch["batch_size"] == 128


def test_adapt_to_data_lengthens_a_run_of_too_few_steps_with_its_patience():
    from panspectra_core.kit import adapt_to_data

    recipe = {"batch_size": 256, "lr": 0.01, "epochs": 30, "patience": 5}
    kept, changes = adapt_to_data(recipe, 8449)  # CycleNet on ETTh1: 33 steps × 30 epochs
    assert kept == recipe and changes == {}
    small, changes = adapt_to_data(recipe, 617)  # a weekly file: batch 128, 4 steps per epoch
    assert small["batch_size"] == 128 and small["epochs"] == 100  # 400 steps
    assert small["patience"] == 17  # the same share of the run: ceil(5 · 100 / 30)
    assert changes["epochs"] == {"recipe": 30, "adapted": 100}
    assert "fewer than 400" in changes["reason"] and "step(s) per epoch" in changes["reason"]
    user, changes = adapt_to_data(recipe, 617, fixed={"epochs"})
    assert user["epochs"] == 30 and user["patience"] == 5 and "epochs" not in changes


def test_fit_to_budget_keeps_the_recipe_steps_inside_the_budget():
    from panspectra_core.kit import fit_to_budget

    recipe = {"batch_size": 2048, "lr": 5e-4, "epochs": 100}
    # 100 epochs × 10 000 windows × 1 ms = 1000 s: fits a 20-minute budget, kept
    kept, changes = fit_to_budget(recipe, 10_000, sample_seconds=1e-3, budget_seconds=1200)
    assert kept == recipe and changes == {}
    # a 2-minute budget affords 12 of the 100 epochs: batch 2048 · 0.12 → 128 (power of two)
    fitted, changes = fit_to_budget(recipe, 10_000, sample_seconds=1e-3, budget_seconds=120)
    assert fitted["batch_size"] == 128 and fitted["epochs"] == 100
    assert fitted["lr"] == pytest.approx(5e-4 * (128 / 2048) ** 0.5)
    assert changes["affordable_epochs"] == pytest.approx(12.0)
    assert changes["planned_seconds"] == pytest.approx(1000.0)
    # validation windows count at a third of a training window
    _, with_eval = fit_to_budget(
        recipe, 10_000, sample_seconds=1e-3, budget_seconds=120, num_eval=3_000
    )
    assert with_eval["planned_seconds"] == pytest.approx(1100.0)
    user, changes = fit_to_budget(
        recipe, 10_000, sample_seconds=1e-3, budget_seconds=120, fixed={"batch_size"}
    )
    assert user == recipe and changes == {}


def test_merged_changes_keep_the_first_recipe_value_and_both_reasons():
    from panspectra_core.kit.adapt import merge_changes

    first = {"batch_size": {"recipe": 2048, "adapted": 128}, "reason": "small data"}
    second = {"batch_size": {"recipe": 128, "adapted": 32}, "lr": {"recipe": 1, "adapted": 0.5}}
    merged = merge_changes(first, {**second, "reason": "budget"})
    assert merged["batch_size"] == {"recipe": 2048, "adapted": 32}
    assert merged["lr"] == {"recipe": 1, "adapted": 0.5}
    assert merged["reason"] == "small data; budget"
    assert first["batch_size"]["adapted"] == 128  # inputs untouched


def test_seconds_per_sample_leaves_the_weights_and_gradients_as_they_were():
    from panspectra_core.training import ForecastingTask, seconds_per_sample

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(8, 4))
    task = ForecastingTask(model)
    before = [p.detach().clone() for p in model.parameters()]
    batches = [{"x": torch.randn(16, 8, 1), "y": torch.randn(16, 4)} for _ in range(9)]
    seen = []

    def counted():
        for batch in batches:
            seen.append(batch)
            yield batch

    for clock in ("wall", "cpu"):
        seen.clear()
        assert seconds_per_sample(task, counted(), clock=clock, warmup=2, steps=3) > 0
        assert len(seen) == 5  # two untimed warm-up batches, then three timed ones
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert all(p.grad is None for p in model.parameters())
    assert seconds_per_sample(task, [], clock="wall") == 0.0


def test_data_defaults_fill_unset_options_over_the_recipe():
    options = {o.name: o for o in (*DATA, *TRAINING_OPTIONS)}
    seen = {}

    def recipe(values):
        seen.update(values)
        return {"lr": 0.5, "batch_size": 4}

    cfg = resolve(
        options,
        {"lr": 0.1},
        recipe=recipe,
        data_defaults=lambda v: {"horizon": 24, "batch_size": 16, "lr": 9.0},
    )
    assert (cfg.horizon, cfg.sources["horizon"]) == (24, "dataset")
    assert seen["horizon"] == 24  # the recipe sees the dataset's horizon
    assert (cfg.batch_size, cfg.sources["batch_size"]) == (16, "dataset")
    assert (cfg.lr, cfg.sources["lr"]) == (0.1, "user")


def test_top_k_and_calibration_error():
    from panspectra_core.metrics import expected_calibration_error, top_k_accuracy

    scores = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]])
    y = np.array([0, 1, 1])
    assert top_k_accuracy(scores, y, 1) == pytest.approx(1 / 3)
    assert top_k_accuracy(scores, y, 2) == 1.0 and top_k_accuracy(scores, y, 9) == 1.0
    # one confidence bin per row: |1 - 0.7|, |0 - 0.6|, |0 - 0.5| averaged
    assert expected_calibration_error(scores, y, bins=10) == pytest.approx((0.3 + 0.6 + 0.5) / 3)


def test_a_missing_required_option_is_reported_before_the_recipe_runs():
    """The recipe is computed from the required values (a horizon): without one the user gets
    the one-line error, not the recipe's TypeError."""
    from panspectra_core.errors import UserError
    from panspectra_core.kit.options import Option, resolve

    options = {
        "horizon": Option("horizon", int, None, "H", required=True),
        "lr": Option("lr", float, 1e-3, "lr", recipe=True),
    }

    def recipe(values):
        return {"lr": 1.0 / values["horizon"]}

    with pytest.raises(UserError, match="--horizon is required"):
        resolve(options, {}, recipe=recipe)
    assert resolve(options, {"horizon": 4}, recipe=recipe).lr == 0.25


def test_share_in_order_passes_unused_time_on_and_keeps_one_step():
    from panspectra_core.kit import share_in_order

    assert share_in_order(120.0, 0.0, 2) == 60.0
    assert share_in_order(120.0, 20.0, 1) == 100.0  # the first run's unused time goes on
    assert share_in_order(120.0, 130.0, 1) == 1.0  # budget spent: the last run takes a step


def test_member_seeds_start_at_the_run_seed_and_never_collide_across_runs():
    from panspectra_core.kit import member_seed

    seeds = {member_seed(seed, index) for seed in range(5) for index in range(10)}
    assert member_seed(3, 0) == 3 and len(seeds) == 50


@pytest.mark.parametrize(
    ("budget", "spent", "left", "share"),
    [
        (480.0, 0.0, 5, 96.0),  # the first member: an equal share
        (480.0, 40.0, 4, 110.0),  # an early member's unused time goes to the later ones
        (480.0, 100.0, 4, 95.0),  # an overrun (one optimizer step) is taken from them
        (480.0, 500.0, 2, 1.0),  # budget spent: the last members still take one step
        (60.0, 0.0, 1, 60.0),  # a single model has the whole budget
    ],
)
def test_runs_share_a_budget_in_order(budget, spent, left, share):
    """Ensemble members (mol) and --select candidates (ts) spend one budget in order."""
    from panspectra_core.kit import share_in_order

    assert share_in_order(budget, spent, left) == pytest.approx(share)
