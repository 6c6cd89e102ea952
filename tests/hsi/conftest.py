"""Shared fixtures of the hsi tests: small synthetic labelled scenes (seeded)."""

from __future__ import annotations

import pytest
from hsi_test_helpers import make_synthetic_scene


@pytest.fixture
def synthetic_scene():
    return make_synthetic_scene()


@pytest.fixture
def scene_factory():
    """The :func:`make_synthetic_scene` factory (tests choose the size)."""
    return make_synthetic_scene
