"""The classification benchmark keeps every seed's per-class accuracy in its results row."""

from __future__ import annotations

from hsi_test_helpers import load_bench

from panspectra_hsi.data.scene import Scene


def test_rows_keep_per_class_accuracy_for_every_seed(scene_factory):
    cube, labels = scene_factory(height=16, width=16)
    scene = Scene(cube=cube, labels=labels, class_names=["a", "b", "c"], label_values=[1, 2, 3])
    row = load_bench("bench_hsi_classify").bench_model(scene, "svm", "random", [0, 1], None, {})
    assert [run["seed"] for run in row["per_seed"]] == [0, 1]
    for run in row["per_seed"]:
        per_class = run["per_class_accuracy"]
        assert set(per_class) == {"a", "b", "c"}
        assert all(0.0 <= value <= 1.0 for value in per_class.values())
    assert row["summary"]["overall_accuracy"]["values"] == [
        run["overall_accuracy"] for run in row["per_seed"]
    ]


def test_overrides_become_the_flags_of_the_rows_command():
    bench = load_bench("bench_hsi_classify")
    overrides = bench.parse_overrides(
        ["members=svm,spectral_mlp", "smooth_exclude_training=true", "balanced_loss=false"]
    )
    assert overrides == {
        "members": ["svm", "spectral_mlp"],
        "smooth_exclude_training": True,
        "balanced_loss": False,
    }
    assert bench.flags(overrides) == " --members svm,spectral_mlp --smooth-exclude-training"


def test_a_non_default_precision_is_named_in_the_row_and_its_command(scene_factory):
    cube, labels = scene_factory(height=16, width=16)
    scene = Scene(cube=cube, labels=labels, class_names=["a", "b", "c"], label_values=[1, 2, 3])
    bench = load_bench("bench_hsi_classify")
    row = bench.bench_model(scene, "svm", "random", [0], None, {}, precision="bf16-mixed")
    assert row["name"] == "svm precision=bf16-mixed"
    assert " --precision bf16-mixed " in row["command"]
    default = bench.bench_model(scene, "svm", "random", [0], None, {})
    assert default["name"] == "svm" and "--precision" not in default["command"]
    assert row["machine"].endswith(" threads")  # where the CPU-seconds were measured
