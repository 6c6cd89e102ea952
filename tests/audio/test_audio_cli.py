"""End-to-end runs of the three CLIs, in-process, on a few real recordings (FSDD, NOIZEUS)
and on synthetic files; bad inputs end in one line, exit 2, nothing written."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_test_helpers import assert_one_line_error, run_cli, tone, write

from panspectra_audio.cli_classify import main as classify
from panspectra_audio.cli_enhance import main as enhance
from panspectra_audio.cli_separate import main as separate

FAST = ["--threads", "1", "-q", "--device", "cpu"]
TINY_TC = ["--model", "tc_resnet", "--model-kwargs", '{"width_mult": 0.5}']
TINY_CAUSAL = ["--model", "gru_stft_enhance", "--model-kwargs", '{"dim": 16, "depth": 1}']


def _fsdd() -> Path:
    from panspectra_audio.data.named import resolve_named

    return next(iter(resolve_named("fsdd").values())).parent


def _digit_folder(root: Path) -> Path:
    recordings = _fsdd()
    for digit in ("3", "7"):
        for k in range(5, 10):
            src = recordings / f"{digit}_jackson_{k}.wav"
            (root / digit).mkdir(parents=True, exist_ok=True)
            shutil.copy(src, root / digit / src.name)
    return root


@pytest.mark.data
@pytest.mark.slow
def test_classify_train_then_predict_a_folder_and_a_resampled_file(tmp_path, capsys):
    data = _digit_folder(tmp_path / "digits")
    out = tmp_path / "run"
    code, err = run_cli(
        classify,
        [
            "train",
            "--data",
            data,
            "--output",
            out,
            "--epochs",
            "1",
            "--batch-size",
            "4",
            *TINY_TC,
            *FAST,
        ],
        capsys,
    )
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("accuracy", "macro_f1", "confusion_matrix", "train_seconds", "protocol"):
        assert key in metrics
    assert 0.0 <= metrics["accuracy"] <= 1.0 and len(metrics["confusion_matrix"]) == 2
    assert (out / "confusion_matrix.png").stat().st_size > 0
    preds = tmp_path / "preds.csv"
    code, err = run_cli(
        classify,
        [
            "predict",
            "--checkpoint",
            out / "model.safetensors",
            "--input",
            data,
            "--output",
            preds,
            *FAST,
        ],
        capsys,
    )
    assert code == 0, err
    rows = list(csv.DictReader(preds.open()))
    assert len(rows) == 10 and set(rows[0]) == {"path", "label", "probability"}
    assert {r["label"] for r in rows} <= {"3", "7"}
    wide = write(
        tmp_path / "wide.wav", np.repeat(sf.read(next((data / "3").iterdir()))[0], 2), rate=16000
    )
    one = tmp_path / "one.csv"
    code, err = run_cli(
        classify,
        [
            "predict",
            "--checkpoint",
            out / "model.safetensors",
            "--input",
            wide,
            "--output",
            one,
            *FAST,
        ],
        capsys,
    )
    assert code == 0, err
    code, err = run_cli(
        classify,
        [
            "predict",
            "--checkpoint",
            out / "model.safetensors",
            "--input",
            wide,
            "--output",
            tmp_path / "two.csv",
            "--no-resample",
            *FAST,
        ],
        capsys,
    )
    assert_one_line_error(code, err, "wide.wav", "16000 Hz", "8000")
    assert not (tmp_path / "two.csv").exists()


@pytest.mark.data
def test_enhance_train_on_pairs_then_stream_equals_offline(tmp_path, capsys):
    from panspectra_audio.data.named import noizeus_pairs

    pairs = tmp_path / "pairs"
    for p in noizeus_pairs()[:3]:
        noisy, _ = sf.read(p.noisy, dtype="float32")
        clean, _ = sf.read(p.clean, dtype="float32")
        write(pairs / "noisy" / p.noisy.name, noisy[:6000])
        write(pairs / "clean" / p.noisy.name, clean[:6000])
    out = tmp_path / "run"
    code, err = run_cli(
        enhance,
        [
            "train",
            "--data",
            pairs,
            "--output",
            out,
            "--epochs",
            "1",
            "--epoch-items",
            "2",
            "--batch-size",
            "2",
            "--segment-seconds",
            "0.5",
            *TINY_CAUSAL,
            *FAST,
        ],
        capsys,
    )
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("pesq", "stoi", "si_snr"):
        assert key in metrics and key in metrics["noisy"] and key in metrics["logmmse"]
    assert metrics["per_condition"] and (out / "spectrogram.png").is_file()
    source = next((pairs / "noisy").iterdir())
    ckpt = out / "model.safetensors"
    offline, streamed = tmp_path / "offline.wav", tmp_path / "streamed.wav"
    for target, extra in ((offline, []), (streamed, ["--streaming", "--chunk-ms", "16"])):
        code, err = run_cli(
            enhance,
            ["enhance", "--checkpoint", ckpt, "--input", source, "--output", target, *extra, *FAST],
            capsys,
        )
        assert code == 0, err
    a, rate_a = sf.read(offline, dtype="float32")
    b, rate_b = sf.read(streamed, dtype="float32")
    assert rate_a == rate_b == 8000 and len(a) == len(b) == 6000
    assert np.abs(a - b).max() <= 1e-4
    folder = tmp_path / "enhanced"
    code, err = run_cli(
        enhance,
        ["enhance", "--checkpoint", ckpt, "--input", pairs / "noisy", "--output", folder, *FAST],
        capsys,
    )
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in (pairs / "noisy").iterdir()
    )


@pytest.mark.data
@pytest.mark.slow
def test_separate_train_on_fsdd_2mix_then_separate(tmp_path, capsys):
    out = tmp_path / "run"
    code, err = run_cli(
        separate,
        [
            "train",
            "--dataset",
            "fsdd-2mix",
            "--output",
            out,
            "--epochs",
            "1",
            "--epoch-items",
            "2",
            "--batch-size",
            "2",
            "--test-mixtures",
            "2",
            "--segment-seconds",
            "0.5",
            "--model-kwargs",
            '{"filters": 16, "bottleneck": 8, "hidden": 16, "blocks": 2, "repeats": 1}',
            *FAST,
        ],
        capsys,
    )
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"si_snri", "sdri"} <= set(metrics) and metrics["n_test"] == 2
    mixture = write(tmp_path / "in" / "mix.wav", tone(0.5) + tone(0.5, 1300, 0.2))
    code, err = run_cli(
        separate,
        [
            "separate",
            "--checkpoint",
            out / "model.safetensors",
            "--input",
            mixture,
            "--output",
            tmp_path / "sep",
            *FAST,
        ],
        capsys,
    )
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "sep").iterdir()) == ["mix_s1.wav", "mix_s2.wav"]


def test_bad_inputs_end_in_one_line_and_write_nothing(tmp_path, capsys):
    for label in ("a", "b"):
        write(tmp_path / "cls" / label / "x.wav", tone(0.2))
    (tmp_path / "cls" / "c").mkdir()
    out = tmp_path / "out"
    code, err = run_cli(
        classify, ["train", "--data", tmp_path / "cls", "--output", out, *FAST], capsys
    )
    assert_one_line_error(code, err, "class 'c' has no audio files")
    assert not out.exists()
    code, err = run_cli(classify, ["train", "--output", out, *FAST], capsys)
    assert_one_line_error(code, err, "no data")
    write(tmp_path / "pairs" / "noisy" / "p.wav", tone(0.3))
    write(tmp_path / "pairs" / "clean" / "p.wav", tone(0.2))
    code, err = run_cli(
        enhance, ["train", "--data", tmp_path / "pairs", "--output", out, *FAST], capsys
    )
    assert_one_line_error(code, err, "p.wav", "expected equal lengths")
    assert not out.exists()
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF0000WAVEfmt garbage")
    code, err = run_cli(
        enhance,
        [
            "enhance",
            "--checkpoint",
            corrupt,
            "--input",
            corrupt,
            "--output",
            tmp_path / "o.wav",
            *FAST,
        ],
        capsys,
    )
    assert_one_line_error(code, err, "corrupt.wav")
    assert not (tmp_path / "o.wav").exists()
    code, err = run_cli(separate, ["train", "--dataset", "wsj0", "--output", out, *FAST], capsys)
    assert_one_line_error(code, err, "fsdd-2mix")
    assert not out.exists()
    missing = tmp_path / "no_such.csv"
    code, err = run_cli(separate, ["train", "--data", missing, "--output", out, *FAST], capsys)
    assert_one_line_error(code, err, "no such file or folder", "mixture,source1,source2")
    code, err = run_cli(
        separate, ["train", "--data", tmp_path / "pairs", "--output", out, *FAST], capsys
    )
    assert_one_line_error(code, err, "pairs: expected a CSV mixture,source1,source2")
    assert not out.exists()


def _mixture_csv(root: Path, rows: int) -> Path:
    """``rows`` synthetic two-source mixtures (a tone + a quieter tone of another pitch) and
    their CSV ``mixture,source1,source2`` with paths relative to it."""
    lines = ["mixture,source1,source2"]
    for k in range(rows):
        first, second = tone(0.6, 300 + 40 * k), tone(0.6, 1500 + 60 * k, 0.2)
        write(root / f"s1_{k}.wav", first)
        write(root / f"s2_{k}.wav", second)
        write(root / f"mix_{k}.wav", first + second)
        lines.append(f"mix_{k}.wav,s1_{k}.wav,s2_{k}.wav")
    (root / "mixtures.csv").write_text("\n".join(lines) + "\n")
    return root / "mixtures.csv"


def test_separate_trains_on_your_mixture_csv_with_a_seeded_holdout(tmp_path, capsys):
    table = _mixture_csv(tmp_path / "mixes", 6)
    out = tmp_path / "run"
    tiny = '{"filters": 16, "bottleneck": 8, "hidden": 16, "blocks": 2, "repeats": 1}'
    code, err = run_cli(
        separate,
        [
            "train",
            "--data",
            table,
            "--output",
            out,
            "--epochs",
            "1",
            "--epoch-items",
            "4",
            "--batch-size",
            "2",
            "--model-kwargs",
            tiny,
            *FAST,
        ],
        capsys,
    )
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_test"] == 1 and "holdout" in metrics["protocol"]
    assert np.isfinite(metrics["si_snri"]) and "test_list" not in metrics
    with open(out / "per_mixture.csv") as f:
        tested = [row["mixture"] for row in csv.DictReader(f)]
    assert len(tested) == 1 and tested[0].startswith("mix_")
    one_row = _mixture_csv(tmp_path / "one", 1)
    code, err = run_cli(
        separate, ["train", "--data", one_row, "--output", tmp_path / "r1", *FAST], capsys
    )
    assert_one_line_error(code, err, "1 pair(s); need at least 2")
    assert not (tmp_path / "r1").exists()


@pytest.mark.parametrize(
    ("fraction", "message"), [("0.1", "leaves no test file"), ("0.9", "leaves no training file")]
)
def test_a_test_fraction_that_empties_a_side_of_a_class_is_named(
    tmp_path, capsys, fraction, message
):
    for label in ("a", "b"):
        for k in range(3):
            write(tmp_path / "cls" / label / f"x{k}.wav", tone(0.2, 300 + 100 * k))
    out = tmp_path / "out"
    command = ["train", "--data", tmp_path / "cls", "--test-fraction", fraction]
    code, err = run_cli(classify, [*command, "--output", out, *FAST], capsys)
    assert_one_line_error(code, err, "class 'a'", f"--test-fraction {fraction}", message)
    assert not out.exists()
