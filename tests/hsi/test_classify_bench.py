"""The classification benchmark keeps every seed's per-class accuracy in its results row."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from panspectra_hsi.data.scene import Scene

BENCH = Path(__file__).resolve().parents[2] / "tools" / "bench" / "bench_hsi_classify.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_hsi_classify", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_keep_per_class_accuracy_for_every_seed(scene_factory):
    cube, labels = scene_factory(height=16, width=16)
    scene = Scene(cube=cube, labels=labels, class_names=["a", "b", "c"], label_values=[1, 2, 3])
    row = _load_bench().bench_model(scene, "svm", "random", [0, 1], None, {})
    assert [run["seed"] for run in row["per_seed"]] == [0, 1]
    for run in row["per_seed"]:
        per_class = run["per_class_accuracy"]
        assert set(per_class) == {"a", "b", "c"}
        assert all(0.0 <= value <= 1.0 for value in per_class.values())
    assert row["summary"]["overall_accuracy"]["values"] == [
        run["overall_accuracy"] for run in row["per_seed"]
    ]
