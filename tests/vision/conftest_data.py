"""The real CIFAR-10 zip (``$PANSPECTRA_DATA``), for tests marked ``data``."""

from __future__ import annotations

from pathlib import Path


def cifar_zip() -> Path:
    from panspectra_core.datasets import fetch_file

    return fetch_file("vision", "cifar10", "cifar10_jpg.zip", download=False)
