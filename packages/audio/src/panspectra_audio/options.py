"""Options shared by the three audio programs (one definition each, see the core kit)."""

from __future__ import annotations

from pathlib import Path

from panspectra_core.kit import Option, fraction, non_negative, positive, probability

DATASET = Option("dataset", str, None, "named dataset (see info)", group="data")
DATA = Option("data", Path, None, "your own folder or CSV (see docs/audio.md)", group="data")
MONO = Option("mono", bool, False, "average the channels of multi-channel files", group="data")
NO_RESAMPLE = Option(
    "no_resample",
    bool,
    False,
    "refuse files whose sample rate differs from the model's instead of resampling",
    group="data",
)
CHECKPOINT = Option(
    "checkpoint", Path, None, "a model.safetensors written by train", "input", required=True
)
INPUT = Option("input", Path, None, "an audio file or a folder of them", "input", required=True)
SAMPLE_RATE = Option(
    "sample_rate", int, None, "resample your data to this rate (Hz)", "data", validate=positive
)
TEST_FRACTION = Option(
    "test_fraction",
    float,
    0.2,
    "your data: share held out for the test set (stratified by class when classifying)",
    "data",
    validate=fraction,
)
MIXUP = Option(
    "mixup",
    float,
    0.0,
    "mixup Beta(α, α) (0: off; default: recipe)",
    "training",
    recipe=True,
    validate=non_negative,
)
LABEL_SMOOTHING = Option(
    "label_smoothing",
    float,
    0.0,
    "label smoothing (0: off; default: recipe)",
    "training",
    recipe=True,
    validate=probability,
)
CLIP_SECONDS = Option(
    "clip_seconds",
    float,
    1.0,
    "clip length in seconds (longer files are cropped)",
    "data",
    recipe=True,
    validate=positive,
)
SPEED_PERTURB = Option(
    "speed_perturb",
    float,
    0.0,
    "speed perturbation of training clips: factors 1 ± this in steps of 0.01 (0: off; "
    "default: recipe)",
    "training",
    recipe=True,
    validate=lambda v: None if 0 <= v < 0.5 else "expected a spread in [0, 0.5)",
)
LOWPASS = Option(
    "lowpass",
    float,
    0.0,
    "probability that a training clip is band-limited (cutoff 1-3.5 kHz, like a narrow-band "
    "microphone; 0: off; default: recipe)",
    "training",
    recipe=True,
    validate=probability,
)

SEGMENT_SECONDS = Option(
    "segment_seconds",
    float,
    2.0,
    "training segment length in seconds",
    "training",
    recipe=True,
    validate=positive,
)
EPOCH_ITEMS = Option(
    "epoch_items",
    int,
    800,
    "random training segments per epoch",
    "training",
    recipe=True,
    validate=positive,
)
NO_BASELINE = Option("no_baseline", bool, False, "skip scoring the log-MMSE baseline", "evaluation")
STREAMING = Option(
    "streaming",
    bool,
    False,
    "run a causal model chunk by chunk (same output as offline)",
    "inference",
)
CHUNK_MS = Option(
    "chunk_ms",
    float,
    16.0,
    "--streaming chunk length in ms (rounded to the model's stride)",
    "inference",
    validate=positive,
)
