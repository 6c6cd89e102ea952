"""``audio-classify``: train, evaluate and apply audio classifiers (spoken digits, keywords,
sound classes) on a named dataset or your own folder-per-class / ``path,label`` CSV."""

from __future__ import annotations

from pathlib import Path

from panspectra_core.kit import COMMON_OPTIONS, OUTPUT, TRAINING_OPTIONS, DomainCLI, Option
from panspectra_core.kit.components import registry_of

from . import options as o

PROTOCOLS = registry_of(
    {
        "official": "FSDD: take index 0-4 of each speaker and digit test, 5-49 train; your data: "
        "stratified --test-fraction holdout",
        "speaker": "FSDD: leave-one-speaker-out, 6 folds, pooled accuracy",
    },
    "protocol",
)
PROTOCOL = Option("protocol", str, "official", "split protocol", "data", choices=PROTOCOLS)

app = DomainCLI(
    prog="audio-classify",
    description=__doc__.splitlines()[0][len("``audio-classify``: ") :],
    domain="audio",
    model_tag="classify",
    default_model="audio_ensemble",
    components={"protocols": PROTOCOLS},
)
DATA_OPTIONS = [o.DATASET, o.DATA, PROTOCOL, o.TEST_FRACTION, o.MONO, o.SAMPLE_RATE]
TRAIN_EXTRA = [o.MIXUP, o.LABEL_SMOOTHING, o.CLIP_SECONDS, o.SPEED_PERTURB, o.LOWPASS]


@app.verb(
    "train",
    options=[*DATA_OPTIONS, *COMMON_OPTIONS, *TRAINING_OPTIONS, *TRAIN_EXTRA],
    output="dir",
    help="train a classifier and score it on the protocol's test set",
)
def train(cfg, out: Path) -> dict:
    from .pipeline.classify import train as run

    return run(cfg, out)


_APPLY = [o.CHECKPOINT, o.MONO, o.NO_RESAMPLE, *COMMON_OPTIONS[1:]]


@app.verb(
    "evaluate",
    options=[o.DATASET, o.DATA, OUTPUT, *_APPLY],
    output="dir",
    help="score a checkpoint on labelled files (metrics.json, confusion matrix)",
)
def evaluate(cfg, out: Path) -> dict:
    from .pipeline.classify import evaluate as run

    return run(cfg, out)


@app.verb(
    "predict",
    options=[o.INPUT, OUTPUT, *_APPLY],
    output="file",
    help="label a file or folder: CSV of path,label,probability",
)
def predict(cfg, out: Path) -> dict:
    from .pipeline.classify import predict as run

    return run(cfg, out)


main = app.main
