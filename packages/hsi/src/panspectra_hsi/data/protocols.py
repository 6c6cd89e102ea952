"""Train / validation / test splits of a labelled scene — where most published HSI numbers go wrong.

Three protocols, all seeded and deterministic, all returning a :class:`Split` of disjoint
``(H, W)`` boolean masks:

- :func:`random_split` — stratified random sampling of labelled pixels, by fraction or count per
  class (with a minimum per class). The common protocol; note that test pixels then sit inside
  training patches, so patch-based models see test pixels during training (leaky, optimistic).
- :func:`disjoint_split` — *exactly controlled random sampling* (Liang, Zhao, Wang & Kwan, 2017,
  "On the sampling strategy for evaluation of spectral-spatial methods in hyperspectral image
  classification", IEEE TGRS 55(2)): for each class, training pixels are grown as contiguous
  4-connected regions from a random seed pixel inside every connected component of that class,
  each component receiving a share of the class's training budget proportional to its size. The
  test set is every other labelled pixel farther (Chebyshev distance) than the guard radius from
  every training/validation pixel, so no training patch contains a test pixel.
- :func:`fixed_split` — user-given train and test label maps (SpectralFormer-style fixed splits).

Validation pixels always come out of the training pixels (never from the test set).
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from panspectra_hsi.data.errors import data_error

_FOUR_CONNECTED = ndimage.generate_binary_structure(2, 1)


@dataclass
class Split:
    """Disjoint pixel masks of one split.

    Attributes:
        train, val, test: ``(H, W)`` bool masks (pairwise disjoint).
        protocol: ``"random" | "disjoint" | "fixed"``.
        params: protocol parameters (fraction, counts, guard radius, seed ...).
        guard_removed: labelled pixels dropped from the test set by the guard band.
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    protocol: str
    params: dict = field(default_factory=dict)
    guard_removed: int = 0

    def counts(self, labels: np.ndarray, num_classes: int) -> dict[str, list[int]]:
        """Per-class counts ``{"train": [...], "val": [...], "test": [...]}`` (classes 1..K)."""
        return {
            part: np.bincount(labels[mask], minlength=num_classes + 1)[1:].tolist()
            for part, mask in (("train", self.train), ("val", self.val), ("test", self.test))
        }

    def describe(self, labels: np.ndarray, num_classes: int) -> dict:
        """JSON-friendly record of the protocol for metrics.json and checkpoints."""
        counts = self.counts(labels, num_classes)
        return {
            "name": self.protocol,
            **self.params,
            "train_pixels": int(self.train.sum()),
            "val_pixels": int(self.val.sum()),
            "test_pixels": int(self.test.sum()),
            "guard_removed_pixels": int(self.guard_removed),
            "per_class_counts": counts,
        }


def _class_name(class_names: list[str] | None, k: int) -> str:
    return f"{class_names[k - 1]!r} (class {k})" if class_names else f"class {k}"


def check_fraction(name: str, value: float, *, allow_zero: bool = False) -> float:
    """``value`` if it is a finite fraction in (0, 1) ([0, 1) with ``allow_zero``), else a
    one-line UserError naming the field, e.g. ``train_fraction=nan: expected a fraction in
    (0, 1)``."""
    low = "[0" if allow_zero else "(0"
    ok = isinstance(value, numbers.Real) and math.isfinite(value) and value < 1
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        hint = " (for a fixed number of pixels per class use train_count)" if not allow_zero else ""
        raise data_error(None, f"{name}={value}: expected a fraction in {low}, 1){hint}")
    return float(value)


def check_split_fields(
    train_fraction: float | None, train_count: int | None, min_per_class: int, val_fraction: float
) -> None:
    """Refuse split parameters that would silently become something else (a NaN or 0
    fraction turning into ``min_per_class`` pixels per class)."""
    if train_count is not None:
        if not isinstance(train_count, numbers.Integral) or train_count < 1:
            raise data_error(None, f"train_count={train_count}: expected an integer >= 1")
    else:
        check_fraction("train_fraction", train_fraction)
    if not isinstance(min_per_class, numbers.Integral) or min_per_class < 0:
        raise data_error(None, f"min_per_class={min_per_class}: expected an integer >= 0")
    check_fraction("val_fraction", val_fraction, allow_zero=True)


def _budget(n: int, fraction: float | None, count: int | None, min_per_class: int) -> int:
    wanted = count if count is not None else round(fraction * n)
    return max(wanted, min_per_class)


def _check_budget(k: int, n: int, n_train: int, class_names, source) -> None:
    if n_train >= n:
        raise data_error(
            source,
            f"{_class_name(class_names, k)} has {n} labelled pixels but the protocol needs "
            f"{n_train} for training and at least 1 for testing",
            "lower --train-fraction/--train-count/--min-per-class or relabel that class",
        )


def carve_validation(
    train: np.ndarray, labels: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Move ``floor(fraction * n_k)`` random training pixels of each class k to validation.

    At least one training pixel per class is always kept. Returns ``(train, val)`` masks.
    """
    train, val = train.copy(), np.zeros_like(train)
    if fraction <= 0:
        return train, val
    for k in np.unique(labels[train]):
        idx = np.flatnonzero((labels == k).ravel() & train.ravel())
        n_val = min(int(np.floor(fraction * idx.size)), idx.size - 1)
        chosen = rng.choice(idx, size=n_val, replace=False)
        val.ravel()[chosen] = True
        train.ravel()[chosen] = False
    return train, val


def random_split(
    labels: np.ndarray,
    *,
    train_fraction: float | None = 0.1,
    train_count: int | None = None,
    min_per_class: int = 5,
    val_fraction: float = 0.1,
    seed: int = 0,
    class_names: list[str] | None = None,
    source: str | None = None,
) -> Split:
    """Stratified random sampling: per class, ``max(round(fraction·n), min)`` or ``count`` pixels.

    Args:
        labels: ``(H, W)`` int, 0 = unlabelled, 1..K classes.
        train_fraction / train_count: training budget per class (count wins when given).
        min_per_class: lower bound of the per-class budget.
        val_fraction: share of each class's training pixels held out for validation.
        seed: random seed (the split is a pure function of labels and parameters).

    Raises:
        UserError: a fraction outside (0, 1) (NaN included), ``train_count < 1``.
    """
    check_split_fields(train_fraction, train_count, min_per_class, val_fraction)
    rng = np.random.default_rng(seed)
    train = np.zeros(labels.shape, dtype=bool)
    for k in range(1, int(labels.max()) + 1):
        idx = np.flatnonzero(labels.ravel() == k)
        if idx.size == 0:
            continue
        n_train = _budget(idx.size, train_fraction, train_count, min_per_class)
        _check_budget(k, idx.size, n_train, class_names, source)
        train.ravel()[rng.choice(idx, size=n_train, replace=False)] = True
    test = (labels > 0) & ~train
    train, val = carve_validation(train, labels, val_fraction, rng)
    params = {
        "train_fraction": None if train_count is not None else train_fraction,
        "train_count": train_count,
        "min_per_class": min_per_class,
        "val_fraction": val_fraction,
        "seed": seed,
    }
    return Split(train, val, test, "random", params)


def _largest_remainder(total: int, sizes: np.ndarray) -> np.ndarray:
    """Integer shares of ``total`` proportional to ``sizes`` that sum exactly to ``total``."""
    exact = total * sizes / sizes.sum()
    shares = np.floor(exact).astype(int)
    order = np.argsort(-(exact - shares), kind="stable")
    shares[order[: total - shares.sum()]] += 1
    return np.minimum(shares, sizes)


def grow_region(component: np.ndarray, seed_pixel: tuple[int, int], size: int) -> list:
    """Breadth-first 4-connected growth of ``size`` pixels inside ``component`` from a seed.

    Returns the grown pixels in growth order (the seed first), so the tail of the list is the
    region's outer rim.
    """
    height, width = component.shape
    grown, seen = [], {seed_pixel}
    queue = deque([seed_pixel])
    while queue and len(grown) < size:
        r, c = queue.popleft()
        grown.append((r, c))
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < height and 0 <= nc < width and component[nr, nc] and (nr, nc) not in seen:
                seen.add((nr, nc))
                queue.append((nr, nc))
    return grown


def training_regions(mask: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Region id of every pixel of ``mask``, in ``array[mask]`` (row-major) order.

    A region is a 4-connected component of the masked pixels of one class, so under the
    disjoint protocol every training region grown in a field is one region. Ids are unique
    across classes. Used to estimate the between-field nuisance (``nuisance_axes``).
    """
    ids = np.zeros(labels.shape, dtype=np.int64)
    offset = 0
    for k in np.unique(labels[mask]):
        components, n_components = ndimage.label(mask & (labels == k), structure=_FOUR_CONNECTED)
        ids = np.where(components > 0, components + offset, ids)
        offset += n_components
    return ids[mask]


def guard_band(mask: np.ndarray, radius: int) -> np.ndarray:
    """Pixels within Chebyshev distance ``radius`` of ``mask`` (the footprint of its patches)."""
    if radius <= 0:
        return mask.copy()
    return ndimage.binary_dilation(mask, structure=np.ones((2 * radius + 1,) * 2, dtype=bool))


def disjoint_split(
    labels: np.ndarray,
    *,
    train_fraction: float = 0.1,
    min_per_class: int = 5,
    guard_radius: int = 3,
    val_fraction: float = 0.1,
    seed: int = 0,
    class_names: list[str] | None = None,
    source: str | None = None,
) -> Split:
    """Exactly controlled random sampling (Liang et al., 2017) with a guard band.

    For every class k with ``n_k`` labelled pixels the training budget is
    ``max(round(train_fraction·n_k), min_per_class)``, shared among the class's 4-connected
    components in proportion to their sizes (largest-remainder rounding). In each component a
    region of its share is grown breadth-first from a random seed pixel. Validation pixels are
    the last-grown ``val_fraction`` of each region (its rim), so they stay spatially contiguous
    with training. Test = labelled pixels farther than ``guard_radius`` (Chebyshev) from every
    training or validation pixel; the guard band is neither trained nor tested and its size is
    reported as ``guard_removed``. Use ``guard_radius = patch_size // 2``.
    """
    check_split_fields(train_fraction, None, min_per_class, val_fraction)
    if not isinstance(guard_radius, numbers.Integral) or guard_radius < 0:
        raise data_error(None, f"guard_radius={guard_radius}: expected an integer >= 0")
    rng = np.random.default_rng(seed)
    train = np.zeros(labels.shape, dtype=bool)
    val = np.zeros(labels.shape, dtype=bool)
    for k in range(1, int(labels.max()) + 1):
        class_mask = labels == k
        n_k = int(class_mask.sum())
        if n_k == 0:
            continue
        n_train = _budget(n_k, train_fraction, None, min_per_class)
        _check_budget(k, n_k, n_train, class_names, source)
        components, n_components = ndimage.label(class_mask, structure=_FOUR_CONNECTED)
        sizes = np.bincount(components.ravel(), minlength=n_components + 1)[1:]
        shares = _largest_remainder(n_train, sizes)
        for index, share in enumerate(shares, start=1):
            if share == 0:
                continue
            component = components == index
            pixels = np.argwhere(component)
            seed_pixel = tuple(int(v) for v in pixels[rng.integers(len(pixels))])
            region = grow_region(component, seed_pixel, int(share))
            n_val = int(np.floor(val_fraction * len(region))) if len(region) > 1 else 0
            rows, cols = np.asarray(region).T
            train[rows[: len(region) - n_val], cols[: len(region) - n_val]] = True
            val[rows[len(region) - n_val :], cols[len(region) - n_val :]] = True
    candidates = (labels > 0) & ~train & ~val
    test = candidates & ~guard_band(train | val, guard_radius)
    params = {
        "train_fraction": train_fraction,
        "min_per_class": min_per_class,
        "guard_radius": guard_radius,
        "val_fraction": val_fraction,
        "seed": seed,
        "reference": "Liang et al. 2017, IEEE TGRS 55(2):862-880",
    }
    return Split(train, val, test, "disjoint", params, int(candidates.sum() - test.sum()))


def fixed_split(
    train_labels: np.ndarray,
    test_labels: np.ndarray,
    *,
    val_fraction: float = 0.1,
    seed: int = 0,
    source: str | None = None,
) -> Split:
    """User-given train/test label maps (already encoded 0 = unlabelled, same class codes).

    Pixels labelled in both maps are an error (that would be training on the test set).
    """
    overlap = int(((train_labels > 0) & (test_labels > 0)).sum())
    if overlap:
        raise data_error(
            source,
            f"{overlap} pixels are labelled in both the train and the test map",
            "the two maps must be disjoint",
        )
    check_fraction("val_fraction", val_fraction, allow_zero=True)
    rng = np.random.default_rng(seed)
    train, val = carve_validation(train_labels > 0, train_labels, val_fraction, rng)
    params = {"val_fraction": val_fraction, "seed": seed}
    return Split(train, val, test_labels > 0, "fixed", params)
