"""Exploration probe (not a benchmark row): the filter and the SVM of the disjoint default.

Starting from the disjoint default (RBF SVM of the ``svm`` recipe on standardized spectra with
one training-region nuisance axis projected out, guided probability filter r 6 with ε 1 and the
first principal component as guide, training pixels out of the windows), one thing at a time:

- the filter: ε 0.25 / 4, radius 3 / 4 / 5 / 7, and a *colour* guide (He et al. 2013, §3.5: the
  guided filter with a multi-channel guidance image) made of the first 3 principal components
  of the standardized training spectra — in units of the first one's std (``pc3``) or each at
  unit variance (``pc3 unit``), as in Kang et al. 2014's EPF-G-c;
- the SVM: ``gamma`` × 0.5 / × 2 of scikit-learn's ``"scale"``, ``C`` 10 / 1000, and the first
  derivative of the spectrum appended to the standardized spectrum (brightness-robust shape);
- the preprocessing: PCA to 10 / 20 / 40 components after the projection (``--pca N``), and one
  global scale instead of per-band standardization (``--no-band-std``).

Scored on the spatially disjoint split of Indian Pines (10 % per class, Liang et al. 2017) on
*tuning* seeds (default 100–109), never the benchmark's 0–4; OA on all test pixels. Prints one
JSON line per seed and writes ``tools/bench/results/hsi_disjoint_filter_probe.json``.

    python tools/bench/probe_hsi_disjoint_filter.py --seeds 100,101,102,103,104,105,106,107,108,109
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hsi_probe_seeds import DisjointTuningSplit, filtered_probe_main

RESULTS = Path(__file__).resolve().parent / "results" / "hsi_disjoint_filter_probe.json"
#: variant -> settings; missing keys keep the default's (svm: C 100, gamma "scale"; filter:
#: radius 6, eps 1, guide "pc1")
VARIANTS: dict[str, dict] = {
    "default": {},
    "eps 0.25": {"eps": 0.25},
    "eps 4": {"eps": 4.0},
    "radius 3": {"radius": 3},
    "radius 4": {"radius": 4},
    "radius 5": {"radius": 5},
    "radius 7": {"radius": 7},
    "guide pc3": {"guide": "pc3"},
    "guide pc3 unit": {"guide": "pc3 unit"},
    "gamma x0.5": {"gamma": 0.5},
    "gamma x2": {"gamma": 2.0},
    "C 10": {"C": 10.0},
    "C 1000": {"C": 1000.0},
    "+ derivative": {"derivative": True},
    "pca 10": {"pca": 10},
    "pca 20": {"pca": 20},
    "pca 40": {"pca": 40},
    "global scale": {"global_scale": True},
}
_SVM_KEYS = ("gamma", "C", "derivative", "pca", "global_scale")


def color_guided_filter(
    proba: np.ndarray, guide: np.ndarray, inside: np.ndarray, radius: int, eps: float
) -> np.ndarray:
    """Guided filter of ``proba`` ``(h, w, K)`` with a colour guide ``(h, w, C)`` over the
    ``inside`` pixels of each window (He et al. 2013, eq. 19-21); ``(h, w, K)`` float64."""
    from panspectra_hsi.pipeline.smoothing import box_mean

    channels = guide.shape[-1]
    guide = guide.astype(np.float64)
    mean_i = box_mean(guide, inside, radius)  # (h, w, C)
    mean_p = box_mean(proba, inside, radius)  # (h, w, K)
    products = guide[..., :, None] * guide[..., None, :]
    sigma = box_mean(products.reshape(*guide.shape[:2], -1), inside, radius)
    sigma = sigma.reshape(*guide.shape[:2], channels, channels)
    sigma = sigma - mean_i[..., :, None] * mean_i[..., None, :] + eps * np.eye(channels)
    cross = guide[..., :, None] * proba[..., None, :]  # (h, w, C, K)
    cov = box_mean(cross.reshape(*guide.shape[:2], -1), inside, radius)
    cov = cov.reshape(*cross.shape) - mean_i[..., :, None] * mean_p[..., None, :]
    a = np.linalg.solve(sigma, cov)  # (h, w, C, K)
    b = mean_p - np.einsum("hwck,hwc->hwk", a, mean_i)
    mean_a = box_mean(a.reshape(*guide.shape[:2], -1), inside, radius).reshape(a.shape)
    return np.einsum("hwck,hwc->hwk", mean_a, guide) + box_mean(b, inside, radius)


def probe_seed(scene, seed: int) -> dict:
    from scipy import ndimage

    from panspectra_core.registry import create_model
    from panspectra_hsi.data.preprocessing import SpectralPreprocessor
    from panspectra_hsi.models.recipes import get_recipe
    from panspectra_hsi.pipeline.smoothing import smooth_probabilities

    data = DisjointTuningSplit.of(scene, seed)
    cube, labels, train = data.cube, data.labels, data.train
    height, width, _ = cube.shape
    everywhere = np.ones((height, width), dtype=bool)

    def preprocessor(pca: int | None = None, global_scale: bool = False) -> SpectralPreprocessor:
        return SpectralPreprocessor.fit(
            cube[train],
            pca,
            standardize_bands=not global_scale,
            nuisance_dims=1,
            labels=labels[train],
            regions=data.regions,
        )

    prep = preprocessor()
    # the first 3 principal components of the standardized training spectra (no projection)
    components = SpectralPreprocessor.fit(cube[train], 3).transform(cube)
    stds = components[train].std(axis=0)
    guides = {"pc3": components / stds[0], "pc3 unit": components / stds}

    probas: dict = {}

    def svm_proba(settings: dict) -> np.ndarray:
        key = tuple(settings.get(k) for k in _SVM_KEYS)
        if key not in probas:
            features = preprocessor(settings.get("pca"), settings.get("global_scale", False))
            features = features.transform(cube)
            if settings.get("derivative"):
                features = np.concatenate([features, np.diff(features, axis=-1)], axis=-1)
            # the registered svm (StandardScaler first, so gamma "scale" = 1 / n_features)
            svm = create_model(
                "svm",
                num_bands=features.shape[-1],
                num_classes=data.num_classes,
                **get_recipe("svm").model_kwargs,
                C=settings.get("C", 100.0),
                gamma=settings.get("gamma", 1.0) / features.shape[-1],
            ).fit(features[train], labels[train] - 1)
            proba = svm.predict_proba(features.reshape(-1, features.shape[-1]))
            probas[key] = proba.reshape(height, width, -1)
        return probas[key]

    row: dict = {"seed": seed, "test_pixels": int(data.test.sum())}
    for name, settings in VARIANTS.items():
        proba = svm_proba(settings)
        radius, eps = settings.get("radius", 6), settings.get("eps", 1.0)
        guide = settings.get("guide", "pc1")
        if guide == "pc1":
            filtered = smooth_probabilities(
                proba, everywhere, radius, prep.guide(cube), eps=eps, sources=~train
            )
        else:
            filtered = color_guided_filter(proba, guides[guide], ~train, radius, eps)
            covered = ndimage.maximum_filter(~train, size=2 * radius + 1, mode="constant")
            filtered = np.where(covered[..., None], filtered, proba)
        row[name] = data.oa(proba, filtered)
    return row


main = filtered_probe_main(probe_seed, VARIANTS, __file__, RESULTS, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
