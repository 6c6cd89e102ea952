"""Registered vision models (announced in the ``panspectra.models`` entry-point group)."""

from panspectra_vision.models import conv, crossvit, hybrid, transformers  # noqa: F401
from panspectra_vision.models.blocks import TokenNet
from panspectra_vision.models.conv import CifarResNet, FastConvNet
from panspectra_vision.models.crossvit import CrossViT

__all__ = ["CifarResNet", "CrossViT", "FastConvNet", "TokenNet"]
