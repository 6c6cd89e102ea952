"""End-to-end: the real ``vision-classify`` on a folder of PNGs made here, and on real CIFAR-10
images (marked ``data``)."""

from __future__ import annotations

import csv
import io
import json
import statistics
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from vision_helpers import make_png_folder, zip_folder

from panspectra_vision.cli import main

FAST = ["--epochs", "2", "--batch-size", "8", "--threads", "2", "-q", "--eval-batch-size", "16"]


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stderr(err):
        code = main(argv)
    return code, err.getvalue()


def train(data: Path, model: str, out: Path) -> tuple[int, str]:
    return run(["train", "--data", str(data), "--model", model, "--output", str(out), *FAST])


def predict(ckpt: Path, source: Path, dest: Path, *extra: str) -> tuple[int, str]:
    argv = ["predict", "--checkpoint", str(ckpt), "--input", str(source), "--output", str(dest)]
    return run([*argv, *extra])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("vision_cli")
    images = make_png_folder(root / "images", per_class=12)
    out = root / "run"
    code, err = train(images, "vit_micro_patch4_32", out)
    assert code == 0, err
    return images, out


def test_train_writes_the_contract(trained: tuple[Path, Path]) -> None:
    _, out = trained
    metrics = json.loads((out / "metrics.json").read_text())
    for key in (
        "top1",
        "top5",
        "per_class_accuracy",
        "confusion_matrix",
        "train_seconds",
        "params",
        "macs",
        "ece",
        "temperature",
        "ece_calibrated",
        "train_images_per_s",
    ):
        assert key in metrics, key
    assert 0 <= metrics["top1"] <= 1 and metrics["top5"] == 1.0  # 3 classes
    assert metrics["temperature"] > 0 and 0 <= metrics["ece_calibrated"] <= 1
    assert metrics["temperature_fit_images"] == metrics["n_val"] > 0
    assert metrics["n_test"] == 6 and metrics["n_train"] + metrics["n_val"] == 30
    assert (out / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "model.safetensors").is_file() and (out / "config.yaml").is_file()


def test_predict_on_folder_zip_and_single_image(trained: tuple[Path, Path], tmp_path: Path) -> None:
    images, out = trained
    ckpt = out / "model.safetensors"
    archive = zip_folder(images, tmp_path / "new.zip")
    for source, rows in ((images, 36), (archive, 36), (images / "class1" / "03.png", 1)):
        dest = tmp_path / f"pred_{len(list(tmp_path.iterdir()))}.csv"
        code, err = predict(ckpt, source, dest, "-q")
        assert code == 0, err
        table = list(csv.DictReader(dest.open()))
        assert len(table) == rows and list(table[0]) == ["path", "label", "probability", "top5"]
        assert table[0]["label"] in {"class0", "class1", "class2"}
        assert 0 < float(table[0]["probability"]) <= 1 and table[0]["top5"].count(":") == 3


def test_predict_divides_the_logits_by_the_fitted_temperature(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    """The CSV's probability is softmax(TTA logits / T) with the T of metrics.json; a
    checkpoint without a stored T (older runs) predicts with T = 1; a bad T is refused."""
    import dataclasses

    import torch

    from panspectra_core.checkpoint import CheckpointError
    from panspectra_vision.evaluation import tta_logits
    from panspectra_vision.predict import VisionPredictor, check_meta

    images, out = trained
    ckpt = out / "model.safetensors"
    temperature = json.loads((out / "metrics.json").read_text())["temperature"]
    predictor = VisionPredictor.load(ckpt)
    assert predictor.temperature == temperature
    image = images / "class1" / "03.png"
    batch = predictor.preprocess([predictor.decode(image.read_bytes())])
    with torch.no_grad():
        logits = tta_logits(predictor.model, batch, predictor.tta).float()
    dest = tmp_path / "one.csv"
    assert predict(ckpt, image, dest, "-q")[0] == 0
    row = next(csv.DictReader(dest.open()))
    assert float(row["probability"]) == pytest.approx(
        float((logits / temperature).softmax(1).max()), abs=1e-5
    )
    for t in (0.25, 4.0):  # a temperature other than the fitted one changes the output
        predictor.temperature = t
        probs = predictor.predict_batch(batch)
        assert torch.allclose(probs, (logits / t).softmax(1), atol=1e-6)
    meta = predictor.meta
    old = dataclasses.replace(meta, preprocessing={**meta.preprocessing})
    del old.preprocessing["temperature"]
    assert VisionPredictor(predictor.model, old).temperature == 1.0
    for bad in (0.0, -1.0, float("nan"), "hot"):
        pre = {**meta.preprocessing, "temperature": bad}
        doctored = dataclasses.replace(meta, preprocessing=pre)
        with pytest.raises(CheckpointError, match="temperature"):
            check_meta(doctored, ckpt)


def test_predict_counts_bad_images_and_refuses_an_existing_output(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    _, out = trained
    folder = make_png_folder(tmp_path / "mixed", classes=1, per_class=3)
    (folder / "class0" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    dest = tmp_path / "p.csv"
    code, err = predict(out / "model.safetensors", folder, dest)
    assert code == 0 and "broken.png" in err
    assert len(list(csv.DictReader(dest.open()))) == 3
    code, err = predict(out / "model.safetensors", folder, dest)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--overwrite" in err


def test_evaluate_and_explain(trained: tuple[Path, Path], tmp_path: Path) -> None:
    images, out = trained
    ckpt = str(out / "model.safetensors")
    code, err = run(
        [
            "evaluate",
            "--checkpoint",
            ckpt,
            "--data",
            str(images),
            "--output",
            str(tmp_path / "ev"),
            "-q",
        ]
    )
    assert code == 0, err
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["n_images"] == 36 and 0 <= metrics["top1"] <= 1
    trained_metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["temperature"] == trained_metrics["temperature"]
    for method in ("rollout", "gradcam"):
        dest = tmp_path / method
        code, err = run(
            [
                "explain",
                "--checkpoint",
                ckpt,
                "--input",
                str(images / "class2"),
                "--output",
                str(dest),
                "--limit",
                "2",
                "--method",
                method,
                "-q",
            ]
        )
        assert code == 0, err
        pngs = sorted(dest.glob("*.png"))
        assert len(pngs) == 2 and pngs[0].read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_fastconv_trains_end_to_end_on_user_pngs(tmp_path: Path) -> None:
    images = make_png_folder(tmp_path / "imgs", per_class=12)
    out = tmp_path / "fc"
    code, err = train(images, "fastconv_small_32", out)
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["tta"] == "flip_translate" and metrics["model"] == "fastconv_small_32"
    code, err = run(
        [
            "explain",
            "--checkpoint",
            str(out / "model.safetensors"),
            "--input",
            str(images / "class0" / "00.png"),
            "--output",
            str(tmp_path / "cam"),
            "-q",
        ]
    )
    assert code == 0, err
    assert json.loads((tmp_path / "cam" / "metrics.json").read_text())["method"] == "gradcam"


@pytest.mark.parametrize(
    "setup, needle",
    [
        (
            lambda d: (d / "class0" / "sub").mkdir() or (d / "empty").mkdir(),
            "class folder 'empty' holds no images",
        ),
        (
            lambda d: (d / "labels.csv").write_text("path,label\nclass0/00.png,a\nmissing.png,b\n"),
            "missing.png",
        ),
    ],
)
def test_bad_training_data_is_one_line(tmp_path: Path, setup, needle: str) -> None:
    images = make_png_folder(tmp_path / "imgs", per_class=3)
    setup(images)
    data = images / "labels.csv" if (images / "labels.csv").exists() else images
    code, err = run(["train", "--data", str(data), "--output", str(tmp_path / "o"), *FAST])
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "flags, needle",
    [
        (["--mix-prob", "1.5"], "--mix-prob"),
        (["--erase-prob", "1.5"], "--erase-prob"),
        (["--test-fraction", "0"], "--test-fraction"),
        # 8 training images a class, all 8 carved off for validation
        (["--val-fraction", "0.95"], "0 training and 6 test images"),
        # three conv groups halve 8 - 1 px to nothing: 9 px is the least that leaves a map
        (["--model", "fastconv_32", "--image-size", "8"], "expected at least 9 px"),
        (["--model", "vit_fastconv3_32", "--image-size", "8"], "expected at least 9 px"),
    ],
)
def test_settings_that_leave_no_images_or_no_probability_are_one_line(
    png_folder: Path, tmp_path: Path, flags: list[str], needle: str
) -> None:
    out = tmp_path / "o"
    code, err = run(["train", "--data", str(png_folder), *flags, "--output", str(out), *FAST])
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.data
@pytest.mark.slow
def test_real_cifar_images_end_to_end(tmp_path: Path) -> None:
    """A handful of real CIFAR-10 JPEGs (train/test layout) through train and predict."""
    from conftest_data import cifar_zip

    archive = cifar_zip()
    subset = tmp_path / "cifar_subset.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(subset, "w") as dst:
        for split, per in (("train", 8), ("test", 3)):
            for cls in ("airplane", "cat", "ship"):
                for i in range(per):
                    name = f"{split}/{cls}/{i:04d}.jpg"
                    dst.writestr(name, src.read(name))
    out = tmp_path / "run"
    code, err = run(
        ["train", "--data", str(subset), "--model", "cct_2_3x2_32", "--output", str(out), *FAST]
    )
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["protocol"] == "official train/test split" and metrics["n_test"] == 9
    dest = tmp_path / "p.csv"
    code, err = run(
        [
            "predict",
            "--checkpoint",
            str(out / "model.safetensors"),
            "--input",
            str(subset),
            "--output",
            str(dest),
            "-q",
        ]
    )
    assert code == 0, err
    assert len(list(csv.DictReader(dest.open()))) == 33


def test_default_model_is_the_cifar10_winner_of_its_budget(png_folder: Path, tmp_path: Path):
    """Without --model, train uses the best mean test top-1 over seeds of the 10-CPU-minute
    CIFAR-10 rows, and under --max-train-minutes 60 the best of the 60-CPU-minute rows."""
    from panspectra_vision.cli import default_model

    results = Path(__file__).resolve().parents[2] / "tools/bench/results/vision_cifar10.csv"
    rows = list(csv.DictReader(results.open()))

    def winner(budget: str) -> str:
        top1: dict[str, list[float]] = {}
        for r in rows:
            if r["budget_min"] == budget:
                top1.setdefault(r["model"], []).append(float(r["top1"]))
        return max(top1, key=lambda model: statistics.fmean(top1[model]))

    assert default_model({}) == default_model({"max_train_minutes": 10}) == winner("10")
    assert default_model({"max_train_minutes": 60}) == winner("60") != winner("10")
    for flags, expected in (([], winner("10")), (["--max-train-minutes", "60"], winner("60"))):
        out = io.StringIO()
        with redirect_stdout(out):
            code, _ = run(
                ["train", "--data", str(png_folder), *flags, "--print-config", "-o", str(tmp_path)]
            )
        assert code == 0 and f"model: {expected}" in out.getvalue()


def test_a_small_folder_gets_a_batch_and_epochs_that_fit_it(tmp_path: Path) -> None:
    """fastconv's recipe (batch 1024, 10 epochs) on 24 images: 1 step an epoch, 10 in all;
    the core's adapt_to_data makes it 4+ steps an epoch and 400 steps; user flags stay."""
    images = make_png_folder(tmp_path / "imgs", per_class=12)
    out = tmp_path / "adapted"
    code, err = run(["train", "--data", str(images), "--model", "fastconv_small_32", "-q",
                     "--threads", "1", "--output", str(out)])  # fmt: skip
    assert code == 0, err
    metrics = json.loads((out / "metrics.json").read_text())
    adapted = metrics["adapted_to_data"]
    assert adapted["batch_size"]["recipe"] == 1024 and adapted["batch_size"]["adapted"] <= 8
    assert metrics["epochs_run"] * -(-metrics["n_train"] // adapted["batch_size"]["adapted"]) >= 400
    fixed = tmp_path / "fixed"
    code, err = run(["train", "--data", str(images), "--model", "fastconv_small_32", "-q",
                     "--batch-size", "64", "--epochs", "2", "--threads", "1",
                     "--output", str(fixed)])  # fmt: skip
    assert code == 0, err
    metrics = json.loads((fixed / "metrics.json").read_text())
    assert "adapted_to_data" not in metrics and metrics["epochs_run"] == 2
