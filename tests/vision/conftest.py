"""Fixtures of the vision tests (helpers in vision_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vision_helpers import make_png_folder


@pytest.fixture
def png_folder(tmp_path: Path) -> Path:
    return make_png_folder(tmp_path / "images")
