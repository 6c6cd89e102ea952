"""From a :class:`~panspectra_mol.data.MolTable` to model inputs: features and scalers.

Everything fitted (descriptor medians/means/stds, target means/stds) is fitted on the
training molecules only and stored in the checkpoint's ``preprocessing`` block, from which
the predictor rebuilds it (:meth:`Preprocessing.from_record`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from panspectra_mol.data.features import featurize
from panspectra_mol.data.standardize import Standardizer

#: standardized descriptors are clipped to ± this many standard deviations
DESCRIPTOR_CLIP = 6.0


@dataclass
class Preprocessing:
    """The fitted preprocessing of a property model (all lists are JSON-ready).

    Attributes:
        standardizer: the RDKit standardization applied to every SMILES.
        target_names / task_kinds: the T targets and their kinds.
        target_mean / target_std: regression scaling (0/1 for classification columns).
        descriptors: whether RDKit descriptors feed the model.
        morgan: whether Morgan fingerprints feed the model (random forest).
        desc_median / desc_mean / desc_std: descriptor imputation and scaling.
    """

    standardizer: Standardizer
    target_names: list[str]
    task_kinds: list[str]
    target_mean: list[float] = field(default_factory=list)
    target_std: list[float] = field(default_factory=list)
    descriptors: bool = False
    morgan: bool = False
    desc_median: list[float] = field(default_factory=list)
    desc_mean: list[float] = field(default_factory=list)
    desc_std: list[float] = field(default_factory=list)

    # -- fitting ------------------------------------------------------------------------

    def fit_targets(self, y: np.ndarray) -> None:
        """Mean/std of each regression column over its present training values."""
        mean, std = [], []
        for j, kind in enumerate(self.task_kinds):
            present = y[np.isfinite(y[:, j]), j]
            if kind == "classification" or present.size == 0:
                mean.append(0.0)
                std.append(1.0)
            else:
                mean.append(float(present.mean()))
                std.append(float(present.std()) or 1.0)
        self.target_mean, self.target_std = mean, std

    def fit_descriptors(self, raw: np.ndarray) -> None:
        """Median (for NaN), mean and std of each descriptor over the training molecules."""
        median = np.nanmedian(raw, axis=0)
        median = np.where(np.isfinite(median), median, 0.0)
        filled = np.where(np.isfinite(raw), raw, median)
        std = filled.std(axis=0)
        self.desc_median = median.tolist()
        self.desc_mean = filled.mean(axis=0).tolist()
        self.desc_std = np.where(std > 1e-8, std, 1.0).tolist()

    # -- applying -----------------------------------------------------------------------

    def scale_targets(self, y: np.ndarray) -> np.ndarray:
        return (y - np.asarray(self.target_mean)) / np.asarray(self.target_std)

    def outputs_to_values(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs ``(..., T)`` → regression values in target units / class-1
        probabilities."""
        out = np.asarray(outputs, dtype=np.float64)
        values = out * np.asarray(self.target_std) + np.asarray(self.target_mean)
        is_cls = np.asarray([k == "classification" for k in self.task_kinds])
        probs = 1.0 / (1.0 + np.exp(-np.clip(out, -60, 60)))
        return np.where(is_cls, probs, values)

    def scale_descriptors(self, raw: np.ndarray) -> np.ndarray:
        filled = np.where(np.isfinite(raw), raw, np.asarray(self.desc_median))
        z = (filled - np.asarray(self.desc_mean)) / np.asarray(self.desc_std)
        return np.clip(z, -DESCRIPTOR_CLIP, DESCRIPTOR_CLIP).astype(np.float32)

    # -- storage ------------------------------------------------------------------------

    def record(self) -> dict:
        # empty statistics are left out (the core refuses a zero-length *_std scale)
        out = {k: v for k, v in self.__dict__.items() if k != "standardizer" and v != []}
        return {**out, "standardize": self.standardizer.record()}

    @classmethod
    def from_record(cls, record: dict) -> Preprocessing:
        values = {k: v for k, v in record.items() if k != "standardize"}
        return cls(Standardizer.from_record(record.get("standardize")), **values)


@dataclass
class Features:
    """Model inputs of N molecules: graphs (graph models) or a matrix (forest), and
    standardized descriptors ``(N, D)`` (D = 0 when unused)."""

    graphs: list | None
    matrix: np.ndarray | None
    descriptors: np.ndarray

    def __len__(self) -> int:
        return len(self.descriptors)


def raw_descriptors(canonical: list[str], workers: int) -> np.ndarray:
    """``(N, D)`` RDKit descriptors (NaN where RDKit has no value)."""
    rows = featurize("descriptors", canonical, workers=workers)
    return np.stack(rows) if rows else np.zeros((0, 0), np.float32)


def build_features(
    prep: Preprocessing,
    canonical: list[str],
    raw_desc: np.ndarray | None,
    workers: int = 1,
    cache: bool = True,
) -> Features:
    """The model inputs of ``canonical`` SMILES under the fitted ``prep`` (``cache``: keep
    them in the on-disk feature cache; predict passes ``False``)."""
    n = len(canonical)
    desc = np.zeros((n, 0), np.float32)
    if prep.descriptors:
        if raw_desc is None:
            rows = featurize("descriptors", canonical, workers=workers, cache=cache)
            raw_desc = np.stack(rows) if rows else np.zeros((0, 0), np.float32)
        desc = prep.scale_descriptors(raw_desc)
    if prep.morgan:
        fps = np.stack(featurize("morgan", canonical, workers=workers, cache=cache))
        return Features(None, np.concatenate([fps, desc], axis=1).astype(np.float32), desc)
    return Features(featurize("graph", canonical, workers=workers, cache=cache), None, desc)
