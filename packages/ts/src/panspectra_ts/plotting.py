"""Forecast plots: a few test windows with history, truth and forecast (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path


def plot_forecasts(
    samples: dict, path: str | Path, *, target: int | str = -1, title: str = ""
) -> Path:
    """Write a PNG with one panel per sampled window for one target channel.

    Args:
        samples: output of :func:`panspectra_ts.eval.sample_forecasts`.
        path: PNG path.
        target: target index or name (default: the last target, e.g. ``OT`` for ETT).
        title: figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = samples["targets"]
    index = names.index(target) if isinstance(target, str) else target % len(names)
    count = len(samples["history"])
    fig, axes = plt.subplots(count, 1, figsize=(10, 2.6 * count), squeeze=False)
    for row, ax in enumerate(axes[:, 0]):
        ax.plot(
            samples["history_dates"][row],
            samples["history"][row][:, index],
            color="0.4",
            lw=1,
            label="history",
        )
        ax.plot(
            samples["future_dates"][row],
            samples["truth"][row][:, index],
            color="tab:blue",
            lw=1,
            label="truth",
        )
        ax.plot(
            samples["future_dates"][row],
            samples["forecast"][row][:, index],
            color="tab:orange",
            lw=1.2,
            label="forecast",
        )
        ax.set_ylabel(names[index])
        ax.grid(alpha=0.3)
        if row == 0:
            ax.legend(loc="upper left", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)
