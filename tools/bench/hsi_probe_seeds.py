"""Shared loop of the hsi exploration probes: one row per seed on Indian Pines.

Each probe (``probe_hsi_*.py``) scores its variants on one seed at a time with a
``probe_seed(scene, seed, ...)`` function; this runs it over the seeds on one torch thread with
Lightning's chatter silenced, printing each row as a JSON line as soon as it is done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch


def run_probe_seeds(probe_seed: Callable[..., dict], seeds: str, **kwargs) -> list[dict]:
    """``probe_seed(scene, seed, **kwargs)`` for every seed of ``"0,1,2"``; returns the rows."""
    from panspectra_hsi.data.named import load_indian_pines

    torch.set_num_threads(1)
    logging.disable(logging.WARNING)
    scene = load_indian_pines()
    rows = []
    for seed in (int(s) for s in seeds.split(",")):
        rows.append(probe_seed(scene, seed, **kwargs))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def percent_mean_std(fractions) -> tuple[float, float]:
    """Mean and sample std (0 for one value) of fractions, in percent, rounded to 0.01."""
    values = [100 * float(f) for f in fractions]
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
    return round(mean, 2), round(var**0.5, 2)


def write_probe_results(
    path: Path, script: str, seeds: str, variants: dict, summary: dict, per_seed
) -> None:
    """Write a probe's JSON results (its command, variants, summary, rows) atomically."""
    payload = {
        "command": f"python tools/bench/{script} --seeds {seeds}",
        "variants": variants,
        "summary": summary,
        "per_seed": per_seed,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    tmp.replace(path)


def spectra_and_filtered_oa(proba, filtered, test, truth) -> dict:
    """OA of the per-pixel decisions and of the filtered map on the ``test`` pixels
    (``proba``/``filtered`` ``(h, w, K)``, ``test`` ``(h, w)`` bool, ``truth`` 0-based)."""
    return {
        "oa_spectra": float((proba[test].argmax(-1) == truth).mean()),
        "oa_filtered": float((filtered[test].argmax(-1) == truth).mean()),
    }


def filtered_probe_main(
    probe_seed: Callable[..., dict],
    variants: dict,
    script_file: str,
    results: Path,
    doc: str,
    extra_summary: Callable[[list[dict]], dict] | None = None,
) -> Callable[[list[str] | None], int]:
    """``main(argv)`` of a probe whose rows hold :func:`spectra_and_filtered_oa` per variant.

    Its command line takes ``--seeds`` (default the tuning seeds 100–109) and ``--results``
    (default ``results``); it prints and writes the mean ± std of both OAs per variant (plus
    ``extra_summary(rows)``, if given). ``script_file``/``doc``: the probe's ``__file__`` and
    ``__doc__`` (its first line is the description).
    """

    def main(argv: list[str] | None = None) -> int:
        import argparse

        parser = argparse.ArgumentParser(description=doc.splitlines()[0])
        parser.add_argument("--seeds", default="100,101,102,103,104,105,106,107,108,109")
        parser.add_argument("--results", type=Path, default=results, help="JSON file to write")
        args = parser.parse_args(argv)
        rows = run_probe_seeds(probe_seed, args.seeds)
        summary: dict = {}
        for name in variants:
            summary[name] = {}
            for key in ("oa_spectra", "oa_filtered"):
                mean, std = percent_mean_std(r[name][key] for r in rows)
                summary[name][key] = {"mean": mean, "std": std}
            print(f"{name}: {summary[name]}")
        if extra_summary is not None:
            summary.update(extra_summary(rows))
        script = Path(script_file).name
        write_probe_results(args.results, script, args.seeds, variants, summary, rows)
        return 0

    return main


@dataclass
class DisjointTuningSplit:
    """One seed's spatially disjoint split of a scene, as the probes use it (guard 0, no
    validation pixels: the default's training pixels out of the filter windows)."""

    cube: np.ndarray  # (h, w, B) float32
    labels: np.ndarray  # (h, w), 0 = unlabelled
    num_classes: int
    train: np.ndarray  # (h, w) bool
    test: np.ndarray  # (h, w) bool
    regions: np.ndarray  # (n_train,) region id of every training pixel (training_regions)
    truth: np.ndarray  # (n_test,) 0-based class of every test pixel

    @classmethod
    def of(cls, scene, seed: int) -> DisjointTuningSplit:
        from panspectra_hsi.data.protocols import disjoint_split, training_regions

        split = disjoint_split(scene.labels, guard_radius=0, val_fraction=0.0, seed=seed)
        return cls(
            cube=np.asarray(scene.cube, dtype=np.float32),
            labels=scene.labels,
            num_classes=scene.num_classes,
            train=split.train,
            test=split.test,
            regions=training_regions(split.train, scene.labels),
            truth=scene.labels[split.test] - 1,
        )

    def default_svm_and_filter(
        self, prep, features: np.ndarray | None = None, radius: int = 6
    ) -> tuple[np.ndarray, np.ndarray]:
        """The disjoint default's SVM (``svm`` recipe) on ``features`` (default
        ``prep.transform(cube)``) and its guided filter with the training pixels out of the
        windows: ``(proba, filtered)``, both ``(h, w, K)``."""
        from panspectra_core.registry import create_model
        from panspectra_hsi.models.recipes import get_recipe
        from panspectra_hsi.pipeline.smoothing import smooth_probabilities

        if features is None:
            features = prep.transform(self.cube)
        height, width, bands = features.shape
        svm = create_model(
            "svm", num_bands=bands, num_classes=self.num_classes, **get_recipe("svm").model_kwargs
        ).fit(features[self.train], self.labels[self.train] - 1)
        proba = svm.predict_proba(features.reshape(-1, bands)).reshape(height, width, -1)
        everywhere = np.ones((height, width), dtype=bool)
        guide = prep.guide(self.cube)
        return proba, smooth_probabilities(proba, everywhere, radius, guide, sources=~self.train)

    def oa(self, proba: np.ndarray, filtered: np.ndarray) -> dict:
        """:func:`spectra_and_filtered_oa` on this split's test pixels."""
        return spectra_and_filtered_oa(proba, filtered, self.test, self.truth)
