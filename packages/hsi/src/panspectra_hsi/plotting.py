"""Classification map figures: class colours, legend, unlabelled/nodata pixels masked."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def class_colours(num_classes: int) -> np.ndarray:
    """``(K, 4)`` RGBA colours: tab20 for up to 20 classes, then evenly spaced hues."""
    import matplotlib

    if num_classes <= 20:
        return matplotlib.colormaps["tab20"](np.arange(num_classes))
    return matplotlib.colormaps["hsv"](np.linspace(0, 1, num_classes, endpoint=False))


def save_classification_map(
    path: str | Path,
    prediction: np.ndarray,
    class_names: list[str],
    *,
    reference: np.ndarray | None = None,
    title: str = "",
) -> Path:
    """PNG of a class map with a legend.

    Args:
        prediction: ``(H, W)`` 0-based class indices, −1 = nodata (drawn white).
        class_names: ``K`` names.
        reference: optional ``(H, W)`` labels (0 = unlabelled, 1..K). When given, three panels
            are drawn: the reference, the prediction on labelled pixels only (unlabelled masked)
            and the full-scene prediction.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    colours = class_colours(len(class_names))
    cmap = ListedColormap(colours).with_extremes(bad="white")

    def masked(indices: np.ndarray) -> np.ma.MaskedArray:
        return np.ma.masked_less(indices, 0)

    panels = [("prediction", masked(prediction))]
    if reference is not None:
        panels = [
            ("reference", masked(reference - 1)),
            ("prediction (labelled pixels)", masked(np.where(reference > 0, prediction, -1))),
            ("prediction (full scene)", masked(prediction)),
        ]
    height, width = prediction.shape
    panel_width = 4.0 * max(width / height, 0.5)
    fig, axes = plt.subplots(1, len(panels), figsize=(panel_width * len(panels) + 3.5, 4.5))
    for ax, (name, image) in zip(np.atleast_1d(axes), panels):
        ax.imshow(image, cmap=cmap, vmin=-0.5, vmax=len(class_names) - 0.5, interpolation="nearest")
        ax.set_title(name, fontsize=10)
        ax.set_axis_off()
    handles = [Patch(color=colours[i], label=name) for i, name in enumerate(class_names)]
    fig.legend(handles=handles, loc="center right", fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - 3.2 / fig.get_figwidth(), 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
