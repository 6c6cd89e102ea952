"""Test configuration shared by every package's tests.

- Points ``PANSPECTRA_DATA`` at ``../shared/data`` beside the checkout when it exists, so tests
  marked ``data`` can use the real datasets; they skip cleanly when it is absent.
- Keeps the user cache out of ``$HOME`` (a per-session temporary directory).
- Limits torch to 2 threads (the CI machine has 2 cores) and seeds every test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

if "PANSPECTRA_DATA" not in os.environ and SHARED_DATA.is_dir():
    os.environ["PANSPECTRA_DATA"] = str(SHARED_DATA)


def shared_data_dir() -> Path | None:
    """The real-data folder, or None when it is not available."""
    root = os.environ.get("PANSPECTRA_DATA")
    return Path(root) if root and Path(root).is_dir() else None


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ.setdefault("PANSPECTRA_CACHE", str(tmp_path_factory.mktemp("panspectra-cache")))


@pytest.fixture(autouse=True)
def _seed_and_threads() -> None:
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shared_data_dir() is not None:
        return
    skip = pytest.mark.skip(reason="needs ../shared/data (set PANSPECTRA_DATA)")
    for item in items:
        if "data" in item.keywords:
            item.add_marker(skip)
