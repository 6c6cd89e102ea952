"""Exploration probe (not a benchmark row): the random walker instead of the guided filter.

The disjoint default's SVM (the ``svm`` recipe on standardized spectra with one nuisance axis
projected out, trained on every training pixel) gives a probability map; it is regularised
either by the default's guided filter (r 6) or by the random walker of
:func:`panspectra_hsi.pipeline.smoothing.random_walker_probabilities` (the extended random
walker of Kang et al. 2015: diffusion over the 8-neighbour pixel graph whose edge weights
``exp(-‖f_i − f_j‖² / scale)`` fall with the spectral distance of the SVM's input features),
for several diffusion lengths ℓ (prior weight 1/ℓ²) and multiples of the edge scale (the
median squared distance of the edges at the training pixels, :func:`edge_scale`). In every
variant the training pixels' probabilities stay out (guard 0, all test pixels).

Every variant is scored on the spatially disjoint split of Indian Pines (10 % per class, Liang
et al. 2017) on *tuning* seeds (default 100–109), never the benchmark's 0–4. Prints one JSON
line per seed and writes ``tools/bench/results/hsi_random_walker_probe.json``.

    python tools/bench/probe_hsi_random_walker.py --seeds 100,101,102,103,104,105,106,107,108,109
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hsi_probe_seeds import DisjointTuningSplit, filtered_probe_main, percent_mean_std

RESULTS = Path(__file__).resolve().parent / "results" / "hsi_random_walker_probe.json"
#: variant -> None (the guided filter r 6) or (diffusion length ℓ, edge-scale multiple)
VARIANTS: dict[str, tuple[float, float] | None] = {
    "guided r6 (the default)": None,
    "walker l6": (6.0, 1.0),
    "walker l8": (8.0, 1.0),
    "walker l10": (10.0, 1.0),
    "walker l14": (14.0, 1.0),
    "walker l18": (18.0, 1.0),
    "walker l10, scale x0.5": (10.0, 0.5),
    "walker l10, scale x2": (10.0, 2.0),
}


def probe_seed(scene, seed: int) -> dict:
    from panspectra_hsi.data.preprocessing import SpectralPreprocessor
    from panspectra_hsi.pipeline.smoothing import edge_scale, random_walker_probabilities

    data = DisjointTuningSplit.of(scene, seed)
    prep = SpectralPreprocessor.fit(
        data.cube[data.train], nuisance_dims=1, labels=data.labels[data.train], regions=data.regions
    )
    features = prep.transform(data.cube)
    proba, guided = data.default_svm_and_filter(prep, features)
    scale = edge_scale(features, data.train)
    everywhere = np.ones(data.train.shape, dtype=bool)
    row: dict = {"seed": seed, "test_pixels": int(data.test.sum()), "edge_scale": scale}
    for name, variant in VARIANTS.items():
        if variant is None:
            filtered = guided
        else:
            length, multiple = variant
            filtered = random_walker_probabilities(
                proba, everywhere, features, length, multiple * scale, sources=~data.train
            )
        row[name] = data.oa(proba, filtered)
        predicted = filtered[data.test].argmax(-1)
        row[name]["aa_filtered"] = float(
            np.mean([np.mean(predicted[data.truth == c] == c) for c in np.unique(data.truth)])
        )
    return row


def _average_accuracy(rows: list[dict]) -> dict:
    summary = {}
    base = [r["guided r6 (the default)"]["oa_filtered"] for r in rows]
    for name in VARIANTS:
        mean, std = percent_mean_std(r[name]["aa_filtered"] for r in rows)
        summary[f"{name}: AA"] = {"mean": mean, "std": std}
        better = sum(r[name]["oa_filtered"] > b for r, b in zip(rows, base))
        summary[f"{name}: seeds better than the default"] = better
        print(f"{name}: AA {mean} ± {std}, better than the default on {better} seeds")
    return summary


main = filtered_probe_main(
    probe_seed, VARIANTS, __file__, RESULTS, __doc__, extra_summary=_average_accuracy
)


if __name__ == "__main__":
    raise SystemExit(main())
