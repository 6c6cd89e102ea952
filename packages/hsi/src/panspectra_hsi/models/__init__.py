"""Hyperspectral patch classifiers; importing this module registers every ``hsi`` model.

Torch models map (batch, bands, patch, patch) float32 -> (batch, num_classes) logits and share
the :class:`~panspectra_hsi.models.base.PatchClassifier` contract (forward_features /
forward_head / reset_head). The sklearn baselines (``svm``, ``rf``) classify single spectra and
carry ``is_sklearn = True``. Training recipes live in :mod:`panspectra_hsi.models.recipes`.
"""

from . import lola_specvit, sklearn_baselines, spectralformer, ss_mamba, ssftt  # noqa: F401
from .base import PatchClassifier
from .recipes import DEFAULT_MODEL, Recipe, get_recipe

__all__ = ["DEFAULT_MODEL", "PatchClassifier", "Recipe", "get_recipe"]
