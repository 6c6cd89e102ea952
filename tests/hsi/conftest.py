"""Shared fixtures of the hsi tests: small synthetic labelled scenes (seeded)."""

from __future__ import annotations

import numpy as np
import pytest


def make_synthetic_scene(height=24, width=24, bands=12, num_classes=3, seed=0, noise=0.15):
    """A cube ``(H, W, B)`` float32 whose classes are vertical stripes with distinct spectra.

    Class k occupies a block of columns (with an unlabelled gap row band at the top), so every
    class has several hundred pixels in one 4-connected component plus a small separate blob.
    """
    rng = np.random.default_rng(seed)
    labels = np.zeros((height, width), dtype=np.int64)
    edges = np.linspace(0, width, num_classes + 1).astype(int)
    for k in range(num_classes):
        labels[3:, edges[k] : edges[k + 1]] = k + 1
    labels[0:2, 0:3] = num_classes  # a second, small component of the last class
    signatures = rng.uniform(0.2, 1.0, size=(num_classes + 1, bands))
    cube = signatures[labels] + noise * rng.standard_normal((height, width, bands))
    return cube.astype(np.float32), labels


@pytest.fixture
def synthetic_scene():
    return make_synthetic_scene()
