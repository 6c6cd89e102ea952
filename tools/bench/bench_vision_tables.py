"""Result-file helpers shared by the vision benchmarks (``bench_vision_*.py``)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict]) -> None:
    """Write ``rows`` (dicts keyed by ``columns``) to ``path`` with a header line."""
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: Path) -> list[dict]:
    """The rows of a results CSV, or none when it does not exist yet."""
    return list(csv.DictReader(path.open())) if path.exists() else []
