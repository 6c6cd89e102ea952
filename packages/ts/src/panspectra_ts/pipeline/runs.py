"""What ``info`` tells about a series: rows, columns, frequency, problems and the split."""

from __future__ import annotations

from typing import Any

from panspectra_ts.data.calendar import feature_names
from panspectra_ts.data.prepare import prepare_series
from panspectra_ts.data.protocol import count_windows
from panspectra_ts.pipeline.source import LoadedSource, SourceOptions, load_source


def describe_source(source: LoadedSource, *, lookback: int, horizon: int) -> dict[str, Any]:
    """Rows, columns, frequency, span, problems found and the split (for ``info``)."""
    table = source.table
    summary: dict[str, Any] = {
        "source": source.name,
        "rows": len(table),
        "date_column": table.date_column,
        "start": str(table.dates[0]),
        "end": str(table.dates[-1]),
        "frequency": source.report.freq,
        "targets": table.targets,
        "covariates": table.covariates,
        "calendar_features": feature_names(source.report.freq),
        "quality": source.report.to_dict(),
        "issues": source.report.issues(),
        "protocol": source.protocol,
    }
    try:
        data = prepare_series(
            table,
            source.report,
            lookback=lookback,
            horizon=horizon,
            protocol=source.protocol,
            name=source.name,
        )
    except Exception as exc:  # info still reports what it can
        summary["split"] = f"not usable with lookback {lookback}, horizon {horizon}: {exc}"
        return summary
    summary["split"] = {
        split: {
            "rows": list(data.rows(split)),
            "windows": count_windows(data.rows(split)[1] - data.rows(split)[0], lookback, horizon),
        }
        for split in ("train", "val", "test")
    }
    summary["split"]["lookback"] = lookback
    summary["split"]["horizon"] = horizon
    return summary


def describe_file(options: SourceOptions, *, lookback: int, horizon: int) -> dict[str, Any]:
    """:func:`describe_source` of a dataset or file."""
    return describe_source(load_source(options), lookback=lookback, horizon=horizon)
