"""``vision-classify``: train | evaluate | predict | explain | list-models | info.

Declared on the core domain kit (:mod:`panspectra_core.kit`); options in
:mod:`panspectra_vision.options`, the work in :mod:`.pipeline`, :mod:`.predict` and
:mod:`.explain`. Examples::

    vision-classify train --dataset cifar10 --output runs/c10            # the default model
    vision-classify train --data my_images/ --model cct_2_3x2_32 --max-train-minutes 10 -o runs/a
    vision-classify predict --checkpoint runs/a/model.safetensors --input new/ --output p.csv
    vision-classify explain --checkpoint runs/a/model.safetensors --input new/ --output maps/
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from panspectra_core.kit import DomainCLI, RunConfig

from .options import (
    EVALUATE_OPTIONS,
    EXPLAIN_OPTIONS,
    OPTIMIZERS,
    PREDICT_OPTIONS,
    TRAIN_OPTIONS,
    TTA,
)

PROG = "vision-classify"
#: the model used without --model and without a budget of 60 minutes or more: the best CIFAR-10
#: top-1 at the 10-CPU-minute budget of tools/bench/results/vision_cifar10.md
DEFAULT_MODEL = "fastconv_small_32"
#: the model used without --model under ``--max-train-minutes`` ≥ :data:`LONG_BUDGET_MINUTES`:
#: the best CIFAR-10 top-1 at the 60-CPU-minute budget (the wider net needs 3.6× the work per
#: image: behind at 10 CPU-minutes with 4 epochs, ahead at 60 with 21-22)
LONG_BUDGET_MODEL = "fastconv_32"
LONG_BUDGET_MINUTES = 60.0


def default_model(values: dict[str, Any]) -> str:
    """The model trained without ``--model``: :data:`LONG_BUDGET_MODEL` when the run's time
    budget is at least :data:`LONG_BUDGET_MINUTES`, else :data:`DEFAULT_MODEL`."""
    budget = values.get("max_train_minutes")
    if budget and float(budget) >= LONG_BUDGET_MINUTES:
        return LONG_BUDGET_MODEL
    return DEFAULT_MODEL


app = DomainCLI(
    PROG,
    "Image classification with attention, spectral-mixing, Mamba and conv backbones.",
    domain="vision",
    model_tag="classify",
    default_model=default_model,
    components={"test-time augmentation": TTA, "optimizers": OPTIMIZERS},
)


def _models() -> None:
    import panspectra_vision.models  # noqa: F401 (registers the models without entry points)


@app.verb(
    "train",
    options=TRAIN_OPTIONS,
    output="dir",
    help="train a model and score it on the test split",
)
def train(cfg: RunConfig, out: Path) -> dict[str, Any]:
    from .pipeline import train as run

    return run(cfg, out)


@app.verb(
    "evaluate",
    options=EVALUATE_OPTIONS,
    output="dir",
    help="score a checkpoint on a test split or a labelled folder",
)
def evaluate(cfg: RunConfig, out: Path) -> dict[str, Any]:
    from .pipeline import evaluate as run

    return run(cfg, out)


@app.verb(
    "predict",
    options=PREDICT_OPTIONS,
    output="file",
    help="classify an image, a folder or a zip → CSV",
)
def predict(cfg: RunConfig, out: Path) -> dict[str, Any]:
    from .predict import predict as run

    return run(cfg, out)


@app.verb(
    "explain",
    options=EXPLAIN_OPTIONS,
    output="dir",
    help="attention-rollout / Grad-CAM PNGs of a few images",
)
def explain(cfg: RunConfig, out: Path) -> dict[str, Any]:
    from .explain import explain as run

    return run(cfg, out)


def main(argv: list[str] | None = None) -> int:
    _models()
    return app.main(argv)
