"""``audio-separate``: train, evaluate and apply two-talker separators (one mixture → one
file per talker) on seeded FSDD two-talker mixtures or your own mixture CSV."""

from __future__ import annotations

from pathlib import Path

from panspectra_core.kit import COMMON_OPTIONS, OUTPUT, TRAINING_OPTIONS, DomainCLI, Option

from . import options as o

app = DomainCLI(
    prog="audio-separate",
    description=__doc__.splitlines()[0][len("``audio-separate``: ") :]
    + " "
    + __doc__.splitlines()[1],
    domain="audio",
    model_tag="separate",
    default_model="convtasnet_separate",
)
TEST_LIST = [
    Option(
        "test_mixtures",
        int,
        300,
        "size of the fixed fsdd-2mix test list",
        "data",
        validate=o.positive,
    ),
    Option("test_seed", int, 2026, "seed of the fixed fsdd-2mix test list", "data"),
]


@app.verb(
    "train",
    options=[
        o.DATASET,
        o.DATA,
        o.MONO,
        o.SAMPLE_RATE,
        o.TEST_FRACTION,
        *TEST_LIST,
        *COMMON_OPTIONS,
        *TRAINING_OPTIONS,
        o.SEGMENT_SECONDS,
        o.EPOCH_ITEMS,
    ],
    output="dir",
    help="train a separator (PIT SI-SNR) and score SI-SNRi / SDRi on the fixed test list "
    "(fsdd-2mix) or a held-out share of your mixtures",
)
def train(cfg, out: Path) -> dict:
    from .pipeline.separate import train as run

    return run(cfg, out)


_APPLY = [o.CHECKPOINT, o.MONO, o.NO_RESAMPLE, *COMMON_OPTIONS[1:]]


@app.verb(
    "evaluate",
    options=[o.DATASET, o.DATA, *TEST_LIST, OUTPUT, *_APPLY],
    output="dir",
    help="score a checkpoint on a mixture,source1,source2 CSV or the fsdd-2mix test list",
)
def evaluate(cfg, out: Path) -> dict:
    from .pipeline.separate import evaluate as run

    return run(cfg, out)


@app.verb(
    "separate",
    options=[o.INPUT, OUTPUT, *_APPLY],
    help="separate a file or folder into NAME_s1.wav, NAME_s2.wav in the output folder",
)
def separate(cfg, out: None) -> dict:
    from .pipeline.separate import separate as run

    return run(cfg, out)


main = app.main
