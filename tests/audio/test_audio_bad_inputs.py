"""audio-classify predict and audio-enhance enhance/evaluate against the core's bad-input
corpus (plus WAV-specific entries): exit 2, one line naming the file or option, no traceback,
nothing left behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_test_helpers import tone

from panspectra_core.checkpoint import save_checkpoint
from panspectra_core.registry import create_model
from panspectra_core.testing.bad_inputs import (
    CORPUS,
    BadInput,
    DomainTable,
    Verb,
    cases,
    run_case,
    run_good,
)

WAV = frozenset({"wav"})


def _wav(samples: np.ndarray, subtype: str | None = None):
    def make(good: Path, dest: Path) -> Path:
        sf.write(str(dest), samples, 8000, subtype=subtype)
        return dest

    return make


GENERIC = {"missing", "zero_byte", "directory", "truncated", "garbage"}
WAV_CORPUS = [
    *[BadInput(b.name, WAV, b.make) for b in CORPUS if b.name in GENERIC],
    BadInput("wav_no_samples", WAV, _wav(np.zeros(0, np.float32))),
    BadInput("wav_all_silence", WAV, _wav(np.zeros(4000, np.float32))),
    BadInput("wav_nan", WAV, _wav(np.full(4000, np.nan, np.float32), "FLOAT")),
    BadInput("wav_inf", WAV, _wav(np.full(4000, np.inf, np.float32), "FLOAT")),
    BadInput("wav_stereo", WAV, _wav(np.stack([tone(0.5), tone(0.5)], 1))),
]
CLASSIFY, ENHANCE = "panspectra_audio.cli_classify:main", "panspectra_audio.cli_enhance:main"
QUIET = ["--quiet", "--threads", "1", "--output", "{output}"]

TABLE = DomainTable(
    domain="audio",
    verbs=[
        Verb(
            "audio-classify predict",
            CLASSIFY,
            ["predict", "--checkpoint", "{classifier}", "--input", "{clip}", *QUIET],
            {"classifier": "checkpoint", "clip": "wav", "output": "output-file"},
        ),
        Verb(
            "audio-enhance enhance",
            ENHANCE,
            ["enhance", "--checkpoint", "{enhancer}", "--input", "{noisy}", *QUIET],
            {"enhancer": "checkpoint", "noisy": "wav", "output": "output-file"},
            outputs=("output",),
        ),
        Verb(
            "audio-enhance evaluate",
            ENHANCE,
            [
                "evaluate",
                "--checkpoint",
                "{enhancer}",
                "--data",
                "{pairs}",
                "--no-baseline",
                *QUIET,
            ],
            {"pairs": "csv", "output": "output-dir"},
        ),
    ],
    extra=WAV_CORPUS,
)


@pytest.fixture(scope="module")
def good_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("good")
    sf.write(str(root / "clip.wav"), tone(0.5), 8000)
    sf.write(str(root / "noisy.wav"), tone(0.5) + 0.01 * tone(0.5, 1000), 8000)
    sf.write(str(root / "clean.wav"), tone(0.5), 8000)
    (root / "pairs.csv").write_text("mixture,source1\nnoisy.wav,clean.wav\n")
    kwargs = {"num_classes": 2, "num_samples": 4000, "width_mult": 0.5}
    save_checkpoint(
        root / "classifier.safetensors",
        create_model("tc_resnet", **kwargs),
        model_name="tc_resnet",
        model_kwargs=kwargs,
        domain="audio",
        preprocessing={"sample_rate": 8000, "num_samples": 4000, "classes": ["a", "b"]},
    )
    kwargs = {"filters": 16, "dim": 16, "depth": 1}
    save_checkpoint(
        root / "enhancer.safetensors",
        create_model("mamba_causal_enhance", **kwargs),
        model_name="mamba_causal_enhance",
        model_kwargs=kwargs,
        domain="audio",
        preprocessing={"sample_rate": 8000, "task": "enhance"},
    )
    return {
        "clip": root / "clip.wav",
        "noisy": root / "noisy.wav",
        "pairs": root / "pairs.csv",
        "classifier": root / "classifier.safetensors",
        "enhancer": root / "enhancer.safetensors",
        "output": root / "out.wav",
    }


def test_the_good_inputs_work(good_inputs, tmp_path):
    for verb in TABLE.verbs:
        good = dict(good_inputs)
        if verb.roles.get("output") == "output-file" and "classify" in verb.name:
            good["output"] = good_inputs["output"].with_suffix(".csv")
        outcome = run_good(verb, good, tmp_path / verb.name.replace(" ", "_"))
        assert outcome.code == 0, outcome


@pytest.mark.parametrize("case", cases(TABLE))
def test_bad_input(case, good_inputs, tmp_path):
    good = dict(good_inputs)
    if "classify" in case.verb.name:
        good["output"] = good_inputs["output"].with_suffix(".csv")
    if case.verb.roles.get("output") == "output-dir":
        good["output"] = good_inputs["output"].with_suffix("")
    run_case(case, good, tmp_path)


def test_streaming_a_non_causal_enhancer_names_the_causal_models(good_inputs, tmp_path, capsys):
    from panspectra_audio.cli_enhance import main as enhance

    kwargs = {"filters": 16, "bottleneck": 8, "hidden": 16, "blocks": 1, "repeats": 1}
    checkpoint = tmp_path / "offline.safetensors"
    save_checkpoint(
        checkpoint,
        create_model("convtasnet_enhance", **kwargs),
        model_name="convtasnet_enhance",
        model_kwargs=kwargs,
        domain="audio",
        preprocessing={"sample_rate": 8000, "task": "enhance"},
    )
    output = tmp_path / "streamed.wav"
    args = ["enhance", "--checkpoint", checkpoint, "--input", good_inputs["noisy"]]
    code = enhance([*map(str, args), "--output", str(output), "--streaming", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "convtasnet_enhance is not causal" in err[0] and "gru_stft_enhance" in err[0]
    assert not output.exists()
