"""Split protocols: counts, determinism, disjointness and — above all — no train/test leakage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from panspectra_hsi.data import HSIDataError, disjoint_split, fixed_split, random_split
from panspectra_hsi.data.protocols import grow_region


def _labels(seed=0, size=40, num_classes=4):
    """Blocky random label map: several components per class and unlabelled background."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, num_classes + 1, size=(size // 5, size // 5))
    return np.kron(coarse, np.ones((5, 5), dtype=np.int64))


def _budget(n, fraction=0.1, minimum=5):
    return max(round(fraction * n), minimum)


def test_random_split_counts_disjoint_and_labelled_only():
    labels = _labels()
    split = random_split(labels, train_fraction=0.1, min_per_class=5, val_fraction=0.2, seed=3)
    assert not (split.train & split.val).any()
    assert not ((split.train | split.val) & split.test).any()
    assert np.array_equal(split.train | split.val | split.test, labels > 0)
    counts = split.counts(labels, 4)
    for k in range(1, 5):
        n = int((labels == k).sum())
        assert counts["train"][k - 1] + counts["val"][k - 1] == _budget(n)
        assert counts["val"][k - 1] == int(np.floor(0.2 * _budget(n)))


def test_random_split_by_count_and_seed_determinism():
    labels = _labels()
    a = random_split(labels, train_count=7, val_fraction=0.0, seed=1)
    b = random_split(labels, train_count=7, val_fraction=0.0, seed=1)
    c = random_split(labels, train_count=7, val_fraction=0.0, seed=2)
    assert np.array_equal(a.train, b.train) and np.array_equal(a.test, b.test)
    assert not np.array_equal(a.train, c.train)
    assert a.counts(labels, 4)["train"] == [7, 7, 7, 7]


def test_class_too_small_for_protocol_is_a_user_error():
    labels = _labels()
    labels[labels == 2] = 0
    labels[0, 0] = 2  # class 2 now has a single pixel
    with pytest.raises(HSIDataError, match=r"class 2.*1 labelled pixels"):
        random_split(labels, train_fraction=0.1, min_per_class=5, source="gt.tif")
    with pytest.raises(HSIDataError, match=r"gt\.tif"):
        disjoint_split(labels, source="gt.tif")


@pytest.mark.parametrize("radius", [0, 2, 4])
def test_disjoint_no_training_patch_contains_a_test_pixel(radius):
    labels = _labels(seed=5)
    split = disjoint_split(labels, guard_radius=radius, val_fraction=0.2, seed=0)
    seen = split.train | split.val
    test_pixels = np.argwhere(split.test)
    for r, c in np.argwhere(seen):  # every training/validation patch footprint
        chebyshev = np.maximum(abs(test_pixels[:, 0] - r), abs(test_pixels[:, 1] - c))
        assert chebyshev.min() > radius
    # the guard band is exactly the labelled, unused pixels that were removed from testing
    unused = (labels > 0) & ~seen & ~split.test
    assert split.guard_removed == int(unused.sum())
    if radius == 0:
        assert split.guard_removed == 0


def test_disjoint_budget_per_class_and_contiguous_regions():
    labels = _labels(seed=7)
    split = disjoint_split(labels, train_fraction=0.1, guard_radius=1, val_fraction=0.0, seed=4)
    counts = split.counts(labels, 4)
    four = ndimage.generate_binary_structure(2, 1)
    for k in range(1, 5):
        n = int((labels == k).sum())
        assert counts["train"][k - 1] == _budget(n)
        components, count = ndimage.label(labels == k, structure=four)
        for index in range(1, count + 1):
            inside = split.train & (components == index)
            if inside.any():  # the training pixels of one component form ONE 4-connected region
                assert ndimage.label(inside, structure=four)[1] == 1


def test_disjoint_split_is_deterministic_and_seed_dependent():
    labels = _labels(seed=2)
    a = disjoint_split(labels, seed=11)
    b = disjoint_split(labels, seed=11)
    c = disjoint_split(labels, seed=12)
    assert np.array_equal(a.train, b.train) and np.array_equal(a.test, b.test)
    assert not np.array_equal(a.train, c.train)


def test_grow_region_stays_in_component_and_is_breadth_first():
    component = np.zeros((7, 7), dtype=bool)
    component[1:6, 1:4] = True
    region = grow_region(component, (3, 2), 5)
    assert region[0] == (3, 2)
    assert sorted(region[1:]) == [(2, 2), (3, 1), (3, 3), (4, 2)]
    assert len(grow_region(component, (1, 1), 100)) == int(component.sum())


def test_fixed_split_rejects_overlap_and_carves_validation_from_training():
    train = np.zeros((10, 10), dtype=np.int64)
    test = np.zeros_like(train)
    train[:5, :] = 1
    train[5:, :5] = 2
    test[5:, 5:] = 1
    split = fixed_split(train, test, val_fraction=0.2, seed=0)
    assert np.array_equal(split.test, test > 0)
    assert not (split.val & ~(train > 0)).any()
    assert np.array_equal(split.train | split.val, train > 0)
    test[0, 0] = 2
    with pytest.raises(HSIDataError, match="both the train and the test map"):
        fixed_split(train, test)
