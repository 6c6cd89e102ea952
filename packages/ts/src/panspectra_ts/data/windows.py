"""Sliding forecast windows over one split, as a map-style torch Dataset of batch dicts.

Window ``i`` of a slice with ``rows`` rows: input rows ``[i, i + L)``, target rows
``[i + L, i + L + H)``; stride 1, so there are ``rows - L - H + 1`` windows — all of them are
used for evaluation (no ``drop_last``; see :func:`make_loader`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from panspectra_ts.data.protocol import count_windows


class ForecastWindows(Dataset):
    """Windows over ``values`` (``(rows, channels)``, already normalized).

    Items are dicts:

    - ``"x"``: ``(lookback, channels)`` float32 model input (targets then covariates);
    - ``"y"``: ``(horizon, num_targets)`` float32 future of the target channels;
    - ``"x_mark"`` / ``"y_mark"``: ``(lookback | horizon, features)`` calendar features
      (only when ``marks`` is given), for models that take them;
    - ``"time_index"``: ``()`` int64 absolute step of the window's first input row (only when
      ``time_index`` is given), for models that place a window in a recurring cycle.

    Args:
        values: ``(rows, channels)`` array.
        lookback: input length ``L``.
        horizon: forecast length ``H``.
        num_targets: the first ``num_targets`` channels are forecast targets (default: all).
        marks: optional ``(rows, features)`` calendar features aligned with ``values``.
        time_index: optional ``(rows,)`` int64 step indices aligned with ``values``
            (:func:`panspectra_ts.data.calendar.step_index`).
    """

    def __init__(
        self,
        values: np.ndarray,
        lookback: int,
        horizon: int,
        num_targets: int | None = None,
        marks: np.ndarray | None = None,
        time_index: np.ndarray | None = None,
    ) -> None:
        self.values = torch.as_tensor(np.asarray(values, dtype=np.float32))
        self.marks = self._aligned("marks", marks, np.float32)
        self.time_index = self._aligned("time_index", time_index, np.int64)
        self.lookback = lookback
        self.horizon = horizon
        self.num_targets = self.values.shape[1] if num_targets is None else num_targets
        self._length = count_windows(len(self.values), lookback, horizon)

    def _aligned(self, name: str, array: np.ndarray | None, dtype) -> torch.Tensor | None:
        """``array`` as a tensor, checked to have one row per row of ``values``."""
        if array is None:
            return None
        tensor = torch.as_tensor(np.asarray(array, dtype=dtype))
        if len(tensor) != len(self.values):
            raise ValueError(f"{name} has {len(tensor)} rows, values {len(self.values)}")
        return tensor

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        if not 0 <= index < self._length:
            raise IndexError(index)
        split = index + self.lookback
        item = {
            "x": self.values[index:split],
            "y": self.values[split : split + self.horizon, : self.num_targets],
        }
        if self.marks is not None:
            item["x_mark"] = self.marks[index:split]
            item["y_mark"] = self.marks[split : split + self.horizon]
        if self.time_index is not None:
            item["time_index"] = self.time_index[index]
        return item


def make_loader(
    dataset: ForecastWindows, batch_size: int, *, shuffle: bool = False, seed: int = 0
) -> DataLoader:
    """DataLoader with ``num_workers=0``.

    Evaluation loaders (``shuffle=False``) keep the last partial batch (``drop_last=False``), so
    every window is scored. Shuffled training loaders drop it when there is more than one batch
    (as TSLib does for training only), which avoids a tiny noisy last step. Shuffling uses its own
    seeded generator so the order depends only on ``seed``.
    """
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    drop_last = shuffle and len(dataset) > batch_size
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        num_workers=0,
        generator=generator,
    )
