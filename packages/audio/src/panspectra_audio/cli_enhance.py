"""``audio-enhance``: train, evaluate and apply speech enhancers (noisy → clean speech) on
NOIZEUS or your own noisy/ + clean/ pairs; causal models also stream chunk by chunk."""

from __future__ import annotations

from pathlib import Path

from panspectra_core.kit import (
    COMMON_OPTIONS,
    OUTPUT,
    TRAINING_OPTIONS,
    DomainCLI,
    Option,
    probability,
)
from panspectra_core.kit.components import registry_of

from . import options as o

EXTRA_SPEECH = registry_of(
    {
        "fsdd": "NOIZEUS training: also FSDD training takes mixed with training noise",
        "none": "train on the NOIZEUS training pairs only",
    },
    "extra speech",
)

LOSSES = registry_of(
    {
        "si_snr": "negative SI-SNR",
        "si_snr+spectral": "negative SI-SNR + multi-resolution compressed spectral magnitude loss",
    },
    "loss",
)

app = DomainCLI(
    prog="audio-enhance",
    description=__doc__.splitlines()[0][len("``audio-enhance``: ") :]
    + " "
    + __doc__.splitlines()[1],
    domain="audio",
    model_tag="enhance",
    default_model="convtasnet_enhance",
    components={"extra speech": EXTRA_SPEECH, "loss": LOSSES},
)
DATA_OPTIONS = [o.DATASET, o.DATA, o.TEST_FRACTION, o.MONO, o.SAMPLE_RATE]
TRAIN_EXTRA = [
    o.SEGMENT_SECONDS,
    o.EPOCH_ITEMS,
    o.NO_BASELINE,
    Option(
        "extra_speech",
        str,
        "fsdd",
        "extra clean speech for NOIZEUS training",
        "data",
        recipe=True,
        choices=EXTRA_SPEECH,
    ),
    Option("loss", str, "si_snr", "training loss", "training", recipe=True, choices=LOSSES),
    Option(
        "remix",
        float,
        0.0,
        "probability that a training pair's clean speech is mixed afresh with another pair's "
        "noise (noisy − clean) at a drawn SNR (dynamic mixing; 0: off; default: recipe)",
        "training",
        recipe=True,
        validate=probability,
    ),
]


@app.verb(
    "train",
    options=[*DATA_OPTIONS, *COMMON_OPTIONS, *TRAINING_OPTIONS, *TRAIN_EXTRA],
    output="dir",
    help="train an enhancer and score it (PESQ, STOI, SI-SNR per noise type and SNR)",
)
def train(cfg, out: Path) -> dict:
    from .pipeline.enhance import train as run

    return run(cfg, out)


_APPLY = [o.CHECKPOINT, o.MONO, o.NO_RESAMPLE, *COMMON_OPTIONS[1:]]


@app.verb(
    "evaluate",
    options=[o.DATASET, o.DATA, OUTPUT, o.NO_BASELINE, *_APPLY],
    output="dir",
    help="score a checkpoint on noisy/ + clean/ pairs (or --dataset noizeus test sentences)",
)
def evaluate(cfg, out: Path) -> dict:
    from .pipeline.enhance import evaluate as run

    return run(cfg, out)


@app.verb(
    "enhance",
    options=[o.INPUT, OUTPUT, o.STREAMING, o.CHUNK_MS, *_APPLY],
    help="enhance a file (→ a file) or a folder (→ a folder of the same names)",
)
def enhance(cfg, out: None) -> dict:
    from .pipeline.enhance import enhance as run

    return run(cfg, out)


main = app.main
