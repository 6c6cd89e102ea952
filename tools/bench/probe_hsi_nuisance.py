"""Exploration probe (not a benchmark row): how many between-field nuisance axes to project out.

The disjoint-protocol SVM row — RBF SVM (the ``svm`` recipe: scores × 3 before the softmax) on
standardized spectra, trained on every training pixel (``--val-fraction 0``), guided probability
filter r 6 with the training pixels left out of the windows (guard 0, all test pixels) — is
scored with ``D`` = 0, 1, 2, 3 nuisance axes (``SpectralPreprocessor.fit(nuisance_dims=D)``,
estimated from the 4-connected training regions of each class), and with the pure gain
direction (a uniform brightness change, ``mean / std`` in standardized units) projected out
instead. It also reports ``|cos|`` between the first nuisance axis and that gain direction.

Every variant is scored on the spatially disjoint split of Indian Pines (10 % per class, Liang
et al. 2017) on *tuning* seeds (default 100–109), never the benchmark's 0–4, so the choice of
``D`` is not made on the benchmark's test pixels. Prints one JSON line per seed and writes
``tools/bench/results/hsi_nuisance_probe.json``.

    python tools/bench/probe_hsi_nuisance.py --seeds 100,101,102,103,104,105,106,107,108,109
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hsi_probe_seeds import DisjointTuningSplit, filtered_probe_main

RESULTS = Path(__file__).resolve().parent / "results" / "hsi_nuisance_probe.json"
#: variant -> number of nuisance axes, or "gain" for the uniform-brightness direction
VARIANTS: dict[str, int | str] = {"D 0": 0, "D 1": 1, "D 2": 2, "D 3": 3, "gain": "gain"}


def probe_seed(scene, seed: int) -> dict:
    from panspectra_hsi.data.preprocessing import SpectralPreprocessor

    data = DisjointTuningSplit.of(scene, seed)
    row: dict = {"seed": seed, "test_pixels": int(data.test.sum())}
    for name, variant in VARIANTS.items():
        dims = variant if isinstance(variant, int) else 0
        prep = SpectralPreprocessor.fit(
            data.cube[data.train],
            nuisance_dims=dims,
            labels=data.labels[data.train],
            regions=data.regions,
        )
        features = prep.transform(data.cube)
        if variant == "gain":
            gain = prep.mean / prep.std
            gain = (gain / np.linalg.norm(gain)).astype(np.float32)
            features = features - np.multiply.outer(features @ gain, gain)
        if variant == 1:
            gain = prep.mean / prep.std
            row["cos_axis1_gain"] = float(abs(prep.nuisance[0] @ gain) / np.linalg.norm(gain))
        row[name] = data.oa(*data.default_svm_and_filter(prep, features))
    return row


def _cosine_range(rows: list[dict]) -> dict:
    cosines = [r["cos_axis1_gain"] for r in rows]
    print("|cos(axis 1, gain)|:", round(min(cosines), 3), "-", round(max(cosines), 3))
    return {"cos_axis1_gain": {"min": round(min(cosines), 3), "max": round(max(cosines), 3)}}


main = filtered_probe_main(
    probe_seed, VARIANTS, __file__, RESULTS, __doc__, extra_summary=_cosine_range
)


if __name__ == "__main__":
    raise SystemExit(main())
